"""The connector protocol: fetch the records of many subject keys in one call.

A connector never raises for what a department does. `fetch` answers every key it was given with
an `Answer` — OK with records, NOT_FOUND, UNAVAILABLE or INVALID with a plain-words reason — and
reports each call it made to the department (`Call`), for the audit trail and the metrics.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from connectors.config import SourceConfig
from connectors.records import Record

__all__ = ["Answer", "AnswerStatus", "Call", "Connector", "FetchResult", "chunked"]

AnswerStatus = Literal["OK", "NOT_FOUND", "UNAVAILABLE", "INVALID"]


@dataclass(frozen=True, slots=True)
class Answer:
    status: AnswerStatus
    records: tuple[Record, ...] = ()
    detail: str | None = None
    as_of: dt.datetime | None = None
    latency_ms: float | None = None


@dataclass(frozen=True, slots=True)
class Call:
    """One request to a department: what the audit trail records of it (never values)."""

    source: str
    status: AnswerStatus
    latency_ms: float
    keys: int


@dataclass(slots=True)
class FetchResult:
    answers: dict[str, Answer] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)


class Connector(Protocol):
    config: SourceConfig

    async def fetch(self, keys: Sequence[str]) -> FetchResult:
        """Answer every key; never raise for a department's failure."""
        ...

    async def aclose(self) -> None:
        """Release what this connector holds (pooled connections); the hub calls it once."""
        ...


def chunked(keys: Sequence[str], size: int) -> list[list[str]]:
    unique = list(dict.fromkeys(keys))
    return [unique[i:i + size] for i in range(0, len(unique), size)]
