"""A circuit breaker per source: stop calling a department that keeps failing, probe it later.

closed → open after `failures` consecutive failed fetches; while open, the source answers
UNAVAILABLE at once ("circuit open") and costs no wait; after `reset_s` one fetch is let through
as a probe (half-open): if it succeeds the circuit closes, if not it opens again. Time is a
parameter, so the states are tested without sleeping.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Breaker", "CircuitState"]

CircuitState = Literal["CLOSED", "OPEN", "HALF_OPEN"]


@dataclass(slots=True)
class Breaker:
    failures: int = 5
    reset_s: float = 10.0
    state: CircuitState = "CLOSED"
    consecutive: int = 0
    opened_at: float = 0.0
    probing: bool = False
    transitions: int = 0

    def admit(self, now: float) -> bool:
        """May a fetch go out now? In half-open, only one probe at a time."""
        if self.state == "CLOSED":
            return True
        if self.state == "OPEN":
            if now - self.opened_at < self.reset_s:
                return False
            self._move("HALF_OPEN")
        if self.probing:
            return False
        self.probing = True
        return True

    def release(self) -> None:
        """A fetch that was admitted made no call after all (nothing to learn from it)."""
        self.probing = False

    def record(self, ok: bool, now: float) -> None:
        """The outcome of an admitted fetch."""
        self.probing = False
        if ok:
            self.consecutive = 0
            if self.state != "CLOSED":
                self._move("CLOSED")
            return
        self.consecutive += 1
        if self.state == "HALF_OPEN" or (self.state == "CLOSED"
                                         and self.consecutive >= self.failures):
            self.opened_at = now
            self._move("OPEN")

    def retry_in(self, now: float) -> float:
        return max(0.0, self.reset_s - (now - self.opened_at))

    def _move(self, state: CircuitState) -> None:
        self.state = state
        self.transitions += 1
