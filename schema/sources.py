"""The configured sources of an app, their open connectors and their live state.

Shared by every request of one app (never a global). Only the gateway fetches through the
connectors; the catalogue query and `/readyz` read the configurations and the live state.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from connectors.base import AnswerStatus, Call, Connector
from connectors.catalogue import CheckKind
from connectors.config import SourceConfig
from schema.breaker import Breaker
from schema.checks import PlanItem, plan

__all__ = ["SourceSet", "SourceState"]


@dataclass(slots=True)
class SourceState:
    """Live state of one source."""

    last_status: AnswerStatus | None = None
    last_at: float | None = None
    consecutive_failures: int = 0
    calls: int = 0
    failures: int = 0
    latency_ewma_ms: float = 0.0  # how long this source usually takes to answer
    breaker: Breaker = field(default_factory=Breaker)

    def record(self, call: Call) -> None:
        self.calls += 1
        if call.status == "OK":
            self.latency_ewma_ms += 0.2 * (call.latency_ms - self.latency_ewma_ms)
        self.last_status = call.status
        self.last_at = time.time()
        if call.status == "OK":
            self.consecutive_failures = 0
        else:
            self.failures += 1
            self.consecutive_failures += 1


@dataclass(slots=True)
class SourceSet:
    configs: Mapping[str, SourceConfig]
    connectors: Mapping[str, Connector]
    states: dict[str, SourceState] = field(default_factory=dict)
    breaker_failures: int = 5
    breaker_reset_s: float = 10.0
    _plans: dict[CheckKind, tuple[PlanItem, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in self.configs:
            self.states.setdefault(name, SourceState(
                breaker=Breaker(self.breaker_failures, self.breaker_reset_s)))

    def plan(self, kind: CheckKind) -> tuple[PlanItem, ...]:
        """The domains of a `kind` check with their sources (made once: configs are fixed)."""
        items = self._plans.get(kind)
        if items is None:
            items = self._plans[kind] = tuple(plan(self.configs, kind))
        return items

    def person_source(self, category: str) -> SourceConfig | None:
        return next((c for c in self.configs.values()
                     if c.subject == "person" and c.domain == category and c.enabled), None)

    def enterprise_source(self, category: str) -> SourceConfig | None:
        """The source of an enterprise data category; the market registry serves
        `registration` for matters as it does for the checks."""
        found = next((c for c in self.configs.values()
                      if c.subject == "enterprise" and c.check is None and c.domain == category
                      and c.enabled), None)
        if found is None and category == "registration":
            return self.registry()
        return found

    def registry(self) -> SourceConfig | None:
        """The market registry (注册登记基本信息): the source of enterprise registration."""
        return next((c for c in self.configs.values()
                     if c.record == "registration" and c.enabled), None)

    def expected_ms(self, source: SourceConfig | None, keys: int = 1) -> float:
        """How long `source` usually takes to answer about `keys` subjects (0 when none is
        configured): its usual latency per call (1 ms until it has answered), times the rounds
        of calls its batch size and concurrency make of them. Asked about a thousand
        subjects, a fast one-key-per-call source can take longer than a slow batch one."""
        if source is None:
            return 0.0
        calls = math.ceil(keys / max(source.keys_per_call, 1))
        rounds = math.ceil(calls / max(source.concurrency, 1))
        return max(self.states[source.name].latency_ewma_ms, 1.0) * rounds
