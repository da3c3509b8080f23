"""What the gateway reports to the hub's telemetry: source fetches and calls, consent decisions,
circuit changes. A Protocol, so that schema/ needs neither Prometheus nor OpenTelemetry; the
hub injects its implementation (`hub.telemetry`), and `NullObserver` reports nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from connectors.base import Call

__all__ = ["NullObserver", "Observer"]


class Observer(Protocol):
    def fetch(self, source: str, keys: int) -> AbstractContextManager[None]:
        """Around one fetch from a source: a trace span, current while the fetch runs (the
        connectors carry its context to the department as `traceparent`)."""
        ...

    def calls(self, calls: Sequence[Call]) -> None:
        """The department calls one fetch made (duration and outcome per source)."""
        ...

    def decision(self, code: str) -> None:
        """A consent decision: ALLOWED or the code that refused it."""
        ...

    def circuit(self, source: str, state: str) -> None:
        """A source's circuit changed state."""
        ...


class NullObserver:
    """Reports nothing (tests of the gateway alone, tools)."""

    @contextlib.contextmanager
    def fetch(self, source: str, keys: int) -> Iterator[None]:
        yield

    def calls(self, calls: Sequence[Call]) -> None:
        return None

    def decision(self, code: str) -> None:
        return None

    def circuit(self, source: str, state: str) -> None:
        return None
