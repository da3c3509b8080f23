"""An objection to shared data: what it disputes, where it stands, and what makes two the same.

An objection names its target — the subject (a person's pseudonym, or an enterprise's USCC), the
data item (a person data category such as `household`, or a check domain such as `tax`), and
optionally the field, the report it was raised on and the record (a decision number) — with
the reason and evidence. Its stored state moves RECEIVED → FORWARDED → CORRECTED | REJECTED; its
status at a given moment is the state, except that an objection still open at its deadline is
OVERDUE (derived from `now`, as a consent's EXPIRED is). While it is open (RECEIVED, FORWARDED,
OVERDUE) every answer about its target carries `disputed`.

Two objections are the same when their target, reason and evidence are: the fingerprint is the
SHA-256 of their canonical JSON, and raising the same objection twice gives the first back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Literal

from signing.canonical import canonical

__all__ = ["EVENT_KINDS", "OPEN_STATES", "STATES", "STATUSES", "Event", "EventKind",
           "Objection", "State", "Status", "SubjectKind", "Target", "fingerprint"]

State = Literal["RECEIVED", "FORWARDED", "CORRECTED", "REJECTED"]
Status = Literal["RECEIVED", "FORWARDED", "CORRECTED", "REJECTED", "OVERDUE"]
EventKind = Literal["RECEIVED", "FORWARDED", "FORWARD_FAILED", "CORRECTED", "REJECTED",
                    "OVERDUE"]
SubjectKind = Literal["person", "enterprise"]
STATES: tuple[State, ...] = ("RECEIVED", "FORWARDED", "CORRECTED", "REJECTED")
STATUSES: tuple[Status, ...] = (*STATES, "OVERDUE")
EVENT_KINDS: tuple[EventKind, ...] = ("RECEIVED", "FORWARDED", "FORWARD_FAILED", "CORRECTED",
                                      "REJECTED", "OVERDUE")
OPEN_STATES: tuple[State, ...] = ("RECEIVED", "FORWARDED")


@dataclass(frozen=True, slots=True)
class Target:
    subject: str  # person pseudonym ("v1:…") or USCC
    subject_kind: SubjectKind
    item: str  # person data category, or check domain
    field: str | None = None
    report_no: str | None = None
    record_ref: str | None = None
    source: str | None = None  # the source (connector) whose record it is


def fingerprint(target: Target, reason: str, evidence: tuple[str, ...]) -> str:
    doc = {"subject": target.subject, "item": target.item, "field": target.field,
           "reportNo": target.report_no, "recordRef": target.record_ref,
           "source": target.source, "reason": " ".join(reason.split()),
           "evidence": sorted(evidence)}
    return hashlib.sha256(canonical(doc)).hexdigest()


@dataclass(frozen=True, slots=True)
class Event:
    at: dt.datetime
    kind: EventKind
    note: str


@dataclass(frozen=True, slots=True)
class Objection:
    id: str
    target: Target
    department: str
    reason: str
    evidence: tuple[str, ...]
    raised_by: str  # the calling system
    raised_at: dt.datetime
    deadline: dt.datetime
    state: State = "RECEIVED"
    operator: str | None = None
    application: str | None = None
    desk: str | None = None  # the department's desk code (None: no desk configured)
    desk_ref: str | None = None  # the desk's own number once forwarded
    answered_at: dt.datetime | None = None
    answer_note: str | None = None
    overdue_at: dt.datetime | None = None  # when the hub first recorded it overdue
    sealed_subject: str = ""  # the clear identifier, sealed (signing.seal) for the desk

    @property
    def open(self) -> bool:
        return self.state in OPEN_STATES

    def status(self, now: dt.datetime) -> Status:
        if self.open and now >= self.deadline:
            return "OVERDUE"
        return self.state

    @property
    def answered_late(self) -> bool:
        return self.answered_at is not None and self.answered_at >= self.deadline
