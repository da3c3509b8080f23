"""The connector protocol: fetch the records of many subject keys in one call.

A connector never raises for what a department does. `fetch` answers every key it was given with
an `Answer` — OK with records (none when the department holds the subject but has no record of
it), NOT_FOUND (the subject is not the department's: it does not hold it), UNAVAILABLE or
INVALID with a plain-words reason — and reports each call it made to the department (`Call`),
for the audit trail and the metrics. An answer whose data are older than the source's declared
`max_age` is stale: UNAVAILABLE with `stale` set, its records and data time kept (so that it
counts like an unavailable source, and a report can say STALE and show what was said).
Every call has an id (`CallIds`); requests that shared one department call (coalescing) each
report it with the same id. A connector that makes several calls for one fetch may also hand
over each call's answers as it returns (`each`), before the fetch returns; the fetch's result
holds every answer all the same.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from connectors.config import SourceConfig
from connectors.records import Record

__all__ = ["Answer", "AnswerStatus", "Call", "CallIds", "Connector", "Each", "FetchResult",
           "check_age", "chunked"]

AnswerStatus = Literal["OK", "NOT_FOUND", "UNAVAILABLE", "INVALID"]


@dataclass(frozen=True, slots=True)
class Answer:
    status: AnswerStatus
    records: tuple[Record, ...] = ()
    detail: str | None = None
    as_of: dt.datetime | None = None
    latency_ms: float | None = None
    stale: bool = False  # older than max_age: reads UNAVAILABLE, records kept


@dataclass(frozen=True, slots=True)
class Call:
    """One request to a department: what the audit trail records of it (never values).

    `keys` counts the keys of the request that reports the call; when requests shared the call,
    each reports its own keys under the same `call_id`."""

    source: str
    status: AnswerStatus
    latency_ms: float
    keys: int
    call_id: str = ""


class CallIds:
    """Ids for department calls: a random prefix per open hub (so that the workers of one hub
    do not collide), then a count."""

    def __init__(self, prefix: str | None = None) -> None:
        self._prefix = prefix or secrets.token_hex(6)
        self._count = itertools.count(1)

    def next(self) -> str:
        return f"{self._prefix}-{next(self._count)}"


# Answers handed over as a department call returns, before the fetch that made it returns.
Each = Callable[[Mapping[str, "Answer"]], None]


@dataclass(slots=True)
class FetchResult:
    answers: dict[str, Answer] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)


class Connector(Protocol):
    config: SourceConfig

    async def fetch(self, keys: Sequence[str], each: Each | None = None) -> FetchResult:
        """Answer every key; never raise for a department's failure. `each`, if given, may be
        called with some keys' answers as calls return (some connectors never call it)."""
        ...

    async def aclose(self) -> None:
        """Release what this connector holds (pooled connections); the hub calls it once."""
        ...


def chunked(keys: Sequence[str], size: int) -> list[list[str]]:
    unique = list(dict.fromkeys(keys))
    return [unique[i:i + size] for i in range(0, len(unique), size)]


def check_age(answer: Answer, max_age_s: float | None, now: dt.datetime) -> Answer:
    """The answer, or a stale one when its data time is more than `max_age_s` before `now`.

    Only OK and NOT_FOUND answers age; an answer that carries no data time cannot be checked
    and is returned as it is (an SQL source dates its rows with `as_of_column`)."""
    if max_age_s is None or answer.as_of is None or answer.status not in ("OK", "NOT_FOUND"):
        return answer
    if (now - answer.as_of).total_seconds() <= max_age_s:
        return answer
    hours = max_age_s / 3600
    return dataclasses.replace(
        answer, status="UNAVAILABLE", stale=True,
        detail=f"the data are as of {answer.as_of.isoformat()}, older than the {hours:g} h "
               "this source may be behind (max_age)")
