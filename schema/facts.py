"""What a request did with subject data, as the audit trail records it: paths, never values.

The gateway is the only writer (`Recorder`, private to it); when the request ends it hands
over one frozen `Facts` and nothing else reads its state. Besides what the entry says, `Facts`
carries the store changes to commit in the entry's transaction (`effects`) and what to do once
it is committed (`committed`: never run if the entry could not be written). Released paths are recorded when an
answer was delivered; denied paths with the code that refused or failed them; every source call;
every subject touched (USCCs and person pseudonyms, never a clear resident ID); per person
subject the data categories released (the citizen's access log shows those).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from audit.entry import CallRecord, Denial
from connectors.base import Call

__all__ = ["Facts", "Recorder"]


@dataclass(frozen=True, slots=True)
class Facts:
    calls: tuple[CallRecord, ...] = ()
    subjects: tuple[str, ...] = ()
    released: tuple[str, ...] = ()
    denied: tuple[Denial, ...] = ()
    consents: tuple[str, ...] = ()  # consents relied on (a use taken) or managed
    subject_categories: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    effects: tuple[Any, ...] = ()  # store changes to commit with the audit entry
    refs: tuple[str, ...] = ()  # what the request issued: "report:<no>", "objection:<id>"
    application: str | None = None  # an application the request opened
    case: str | None = None  # a case number named in the operation (e.g. a job's caseNo)
    committed: tuple[Callable[[], None], ...] = ()  # to run once the entry is committed
    # Seconds the request did nothing but wait for departments (the union of its waits): the
    # admission limit follows the rest, the hub's own share of its latency.
    waited_s: float = 0.0


class Recorder:
    """The mutable side of `Facts`, owned by one gateway."""

    def __init__(self) -> None:
        self._calls: list[CallRecord] = []
        self._subjects: set[str] = set()
        self._released: dict[str, None] = {}
        self._denied: dict[Denial, None] = {}
        self._consents: set[str] = set()
        self._categories: dict[str, set[str]] = {}
        self._effects: list[Any] = []
        self._refs: dict[str, None] = {}
        self._application: str | None = None
        self._case: str | None = None
        self._committed: list[Callable[[], None]] = []
        self._waits: list[tuple[float, float]] = []

    def subject(self, subject: str) -> None:
        self._subjects.add(subject)

    def released(self, path: str, *, subject: str | None = None,
                 category: str | None = None) -> None:
        self._released[path] = None
        if subject is not None and category is not None:
            self._categories.setdefault(subject, set()).add(category)

    def denied(self, path: str, code: str) -> None:
        self._denied[Denial(path, code)] = None

    def calls(self, calls: Iterable[Call]) -> None:
        self._calls += [CallRecord(c.source, c.status, c.latency_ms, c.keys) for c in calls]

    def opened(self, application: str) -> None:
        self._application = application

    def case(self, case: str) -> None:
        self._case = case

    def ref(self, ref: str) -> None:
        self._refs[ref] = None

    def consent(self, consent_id: str) -> None:
        self._consents.add(consent_id)

    def effect(self, statement: Any) -> None:
        """A change to the hub's store that commits with this request's audit entry, or not."""
        self._effects.append(statement)

    def on_commit(self, action: Callable[[], None]) -> None:
        """Something to do once this request's audit entry (and its effects) is committed."""
        self._committed.append(action)

    def waited(self, start: float, end: float) -> None:
        """The request waited for departments from `start` to `end` (a monotonic clock), with
        nothing else of its own to do."""
        self._waits.append((start, end))

    def _waited_s(self) -> float:
        """The union of the waits: two concurrent checks of one request waiting together
        count once."""
        total, reach = 0.0, float("-inf")
        for start, end in sorted(self._waits):
            if end > reach:
                total += end - max(start, reach)
                reach = end
        return total

    def freeze(self, consents_taken: Iterable[str] = ()) -> Facts:
        return Facts(
            calls=tuple(self._calls), subjects=tuple(sorted(self._subjects)),
            released=tuple(self._released), denied=tuple(self._denied),
            consents=tuple(sorted(self._consents | set(consents_taken))),
            subject_categories={s: tuple(sorted(c)) for s, c in self._categories.items()},
            effects=tuple(self._effects), refs=tuple(self._refs),
            application=self._application, case=self._case,
            committed=tuple(self._committed), waited_s=self._waited_s())
