"""Fault modes a sandbox department can be put into, parsed from `SOURCE=MODE` or JSON.

Modes (CONTRACT.md): `down` (connection refused, and open keep-alive connections closed),
`hang` (accepts, never answers), `slow:MS` (adds MS milliseconds), `error` (HTTP 500),
`garbage` (200 with a body that is not the agreed JSON), `wrong-subject` (answers about
another subject), `flaky:P` (fails with probability P), `reset` (sends half the answer, then
resets the connection), `partial` (answers only the first half of the keys asked for, none of
one), `slowloris` (dribbles the answer a few bytes at a time), `ok` (clears the fault).
Each behaves like the real outage whenever it is set, also on connections already open.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MODES", "SQL_MODES", "Fault", "FaultError", "parse_assignment", "parse_fault"]

MODES = ("ok", "down", "hang", "slow", "error", "garbage", "wrong-subject", "flaky", "reset",
         "partial", "slowloris")
# A front-end exchange database (前置库) is a file the hub reads; faults that need a server in
# the path (a delay, a random failure, a forged answer) cannot be imposed on it.
SQL_MODES = ("ok", "down", "hang", "error", "garbage")


class FaultError(ValueError):
    """A fault specification was not understood; the message says what is accepted."""


@dataclass(frozen=True, slots=True)
class Fault:
    mode: str = "ok"
    value: float = 0.0  # milliseconds for slow, probability for flaky

    def __str__(self) -> str:
        if self.mode == "slow":
            return f"slow:{self.value:g}"
        if self.mode == "flaky":
            return f"flaky:{self.value:g}"
        return self.mode


def parse_fault(text: str) -> Fault:
    mode, _, arg = text.strip().partition(":")
    if mode not in MODES:
        raise FaultError(f"unknown fault mode {mode!r}; use one of {', '.join(MODES)}")
    if mode in ("slow", "flaky"):
        try:
            value = float(arg)
        except ValueError:
            hint = "slow:MS, e.g. slow:500" if mode == "slow" else "flaky:P, e.g. flaky:0.3"
            raise FaultError(f"fault {text!r} needs a number: {hint}") from None
        if mode == "slow" and not 0 <= value <= 600_000:
            raise FaultError("slow:MS takes 0 to 600000 milliseconds")
        if mode == "flaky" and not 0 <= value <= 1:
            raise FaultError("flaky:P takes a probability between 0 and 1")
        return Fault(mode, value)
    if arg:
        raise FaultError(f"fault mode {mode!r} takes no argument")
    return Fault(mode)


def parse_assignment(text: str) -> tuple[str, Fault]:
    """Parse `SOURCE=MODE` as given to `--fault`."""
    source, sep, mode = text.partition("=")
    if not sep or not source.strip():
        raise FaultError(f"--fault takes SOURCE=MODE, e.g. sw_penalties=down; got {text!r}")
    return source.strip(), parse_fault(mode)
