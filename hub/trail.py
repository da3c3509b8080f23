"""What one GraphQL request leaves in the audit log: the `AuditRecord` built as it ends.

Paths and codes, never values: from the request its caller, headers and query hash; from the
gateway's frozen `Facts` the released field paths, the denied paths with their codes, the
subjects touched (USCCs and person pseudonyms), the consents relied on and every source call;
from the response body the errors at their paths. The outcome is ALLOWED, PARTIAL (some paths
released, some refused or failed), DENIED (refused, nothing released) or FAILED (nothing
released for any other reason).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from audit.entry import AuditRecord, Denial, Outcome
from consent.catalogue import Matter
from schema.facts import Facts

__all__ = ["DENIAL_CODES", "RequestMeta", "Trail", "after_commit"]

DENIAL_CODES = frozenset({"UNAUTHENTICATED", "FORBIDDEN", "PURPOSE_REQUIRED",
                          "CONSENT_REQUIRED", "CONSENT_INVALID", "LICENCE_NOT_HELD"})


@dataclass(frozen=True, slots=True)
class RequestMeta:
    """The request's own headers, as checked: what it declares, not what it was given."""

    purpose: str | None = None
    operator: str | None = None
    case: str | None = None
    consents: tuple[str, ...] = ()
    application: str | None = None  # X-Hub-Application


@dataclass(slots=True)
class Trail:
    time: dt.datetime
    request_id: str
    caller: str | None = None
    query_hash: str | None = None
    meta: RequestMeta = field(default_factory=RequestMeta)
    operation: str = "-"  # the first root field, for metrics and the access log

    def record(self, body: Mapping[str, Any], matters: Mapping[str, Matter],
               facts: Facts | None) -> AuditRecord:
        meta = self.meta
        matter = matters.get(meta.purpose or "")
        facts = facts or Facts()
        denied = [Denial(".".join(map(str, e.get("path", []))),
                         e.get("extensions", {}).get("code", "INTERNAL"))
                  for e in body.get("errors", [])]
        known = set(denied)
        denied += [d for d in facts.denied if d not in known]
        released = list(facts.released)
        return AuditRecord(
            time=self.time, request_id=self.request_id, caller=self.caller,
            query_hash=self.query_hash, operator=meta.operator, case=meta.case or facts.case,
            purpose=meta.purpose, legal_basis=matter.legal_basis if matter else None,
            consent_ids=sorted(set(meta.consents) | set(facts.consents)),
            subjects=list(facts.subjects),
            subject_categories={s: list(c) for s, c in facts.subject_categories.items()},
            released=released, denied=denied, sources=list(facts.calls),
            outcome=_outcome(released, denied, body), effects=facts.effects,
            application=meta.application or facts.application,
            refs=list(facts.refs))


def _outcome(released: list[str], denied: list[Denial], body: Mapping[str, Any]) -> Outcome:
    codes = {d.code for d in denied}
    if released:
        return "PARTIAL" if codes else "ALLOWED"
    if codes & DENIAL_CODES:
        return "DENIED"
    if codes or "data" not in body:
        return "FAILED"
    return "ALLOWED"


def after_commit(facts: Facts | None) -> None:
    """Run what the request left to do once its audit entry is committed (call it only then:
    e.g. a raised objection is forwarded only when it exists with its record)."""
    for action in facts.committed if facts is not None else ():
        action()
