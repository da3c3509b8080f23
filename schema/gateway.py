"""The choke point: every piece of subject data leaves the hub through a `Gateway`.

One gateway per request. It knows who is calling and for which declared purpose, decides whether
a fetch is allowed (`authorize_*`), batches fetches per source through per-request dataloaders,
and records every source call and every subject touched, for the audit trail. Resolvers never
call a connector directly; they call `load`, without awaiting anything first, so that all the
loads of one execution tick share one batch per source.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field

from aiodataloader import DataLoader

from connectors.base import Answer, Call, Connector
from connectors.config import SourceConfig
from schema.errors import Forbidden, PurposeRequired

__all__ = ["Caller", "Gateway", "SourceSet", "SourceState"]


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated calling system (a department, the portal, an auditor)."""

    name: str
    display: str
    role: str  # lead | portal | auditor
    purposes: frozenset[str]


@dataclass(slots=True)
class SourceState:
    """Live state of one source, shared by all requests of an app (not a global)."""

    last_status: str | None = None
    last_at: float | None = None
    consecutive_failures: int = 0
    calls: int = 0
    failures: int = 0

    def record(self, call: Call) -> None:
        self.calls += 1
        self.last_status = call.status
        self.last_at = time.time()
        if call.status == "OK":
            self.consecutive_failures = 0
        else:
            self.failures += 1
            self.consecutive_failures += 1


@dataclass(slots=True)
class SourceSet:
    """The configured sources of an app, their open connectors and their live state."""

    configs: Mapping[str, SourceConfig]
    connectors: Mapping[str, Connector]
    states: dict[str, SourceState] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in self.configs:
            self.states.setdefault(name, SourceState())


class Gateway:
    def __init__(self, sources: SourceSet, caller: Caller, purpose: str | None,
                 now: dt.datetime) -> None:
        self.sources = sources
        self.caller = caller
        self.purpose = purpose
        self.now = now
        self.calls: list[Call] = []
        self.subjects: set[str] = set()
        self._loaders: dict[str, DataLoader[str, Answer]] = {}

    # -- decisions ---------------------------------------------------------------------------

    def authorize_purpose(self, needed: str, *, what: str) -> None:
        """The caller declared `needed` as its purpose and may use it; raise otherwise."""
        if needed not in self.caller.purposes:
            raise Forbidden(f"{self.caller.name} may not run {what}; ask the data-sharing "
                            "authority to grant it")
        if self.purpose is None:
            raise PurposeRequired(f"send the X-Hub-Purpose header ({needed}) with {what}")
        if self.purpose != needed:
            raise Forbidden(f"X-Hub-Purpose is {self.purpose}, but {what} serves {needed}; "
                            "a request serves the one purpose it declares")

    def authorize_any(self, purposes: frozenset[str], *, what: str) -> str:
        """The declared purpose is one of `purposes` and allowed to the caller."""
        if self.purpose is None:
            raise PurposeRequired(f"send the X-Hub-Purpose header with {what}")
        if self.purpose not in purposes:
            raise Forbidden(f"{what} does not serve the purpose {self.purpose}")
        self.authorize_purpose(self.purpose, what=what)
        return self.purpose

    # -- fetching ----------------------------------------------------------------------------

    def load(self, source: str, key: str) -> Awaitable[Answer]:
        """The source's answer about `key`, batched with every other load of this tick."""
        loader = self._loaders.get(source)
        if loader is None:
            loader = self._loaders[source] = DataLoader(self._batch_fn(source))
        self.subjects.add(key)
        return loader.load(key)

    def _batch_fn(self, source: str):  # type: ignore[no-untyped-def]
        connector = self.sources.connectors[source]
        state = self.sources.states[source]

        async def batch(keys: list[str]) -> list[Answer]:
            result = await connector.fetch(keys)
            for call in result.calls:
                state.record(call)
            self.calls.extend(result.calls)
            return [result.answers[k] for k in keys]

        return batch
