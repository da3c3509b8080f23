"""What one GraphQL request leaves in the audit log: the `AuditRecord` built as it ends.

Paths and codes, never values: released field paths, denied paths with their codes, the
subjects touched (USCCs and person pseudonyms), the consents presented or relied on, every
source call, and the outcome: ALLOWED, PARTIAL (some fields released, some refused or failed),
DENIED (refused, nothing released) or FAILED (nothing released for any other reason).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from audit.entry import AuditRecord, CallRecord, Denial
from consent.catalogue import Matter
from schema.context import RequestContext

__all__ = ["DENIAL_CODES", "Trail"]

DENIAL_CODES = frozenset({"UNAUTHENTICATED", "FORBIDDEN", "PURPOSE_REQUIRED",
                          "CONSENT_REQUIRED", "CONSENT_INVALID"})


@dataclass(slots=True)
class Trail:
    time: dt.datetime
    request_id: str
    caller: str | None = None
    query_hash: str | None = None
    context: RequestContext | None = None

    def record(self, body: Mapping[str, Any], matters: Mapping[str, Matter]) -> AuditRecord:
        record = AuditRecord(time=self.time, request_id=self.request_id, outcome="FAILED",
                             caller=self.caller, query_hash=self.query_hash)
        denied = [Denial(".".join(map(str, e.get("path", []))),
                         e.get("extensions", {}).get("code", "INTERNAL"))
                  for e in body.get("errors", [])]
        ctx = self.context
        if ctx is not None:
            gateway = ctx.gateway
            record.operator, record.case, record.purpose = ctx.operator, ctx.case, gateway.purpose
            matter = matters.get(gateway.purpose or "")
            record.legal_basis = matter.legal_basis if matter else None
            record.consent_ids = sorted(set(ctx.consent_ids) | gateway.consents_relied_on)
            record.subjects = sorted(gateway.subjects)
            record.subject_categories = {s: sorted(c) for s, c in
                                         gateway.released_categories.items()}
            record.released = list(dict.fromkeys(gateway.released))
            known = set(denied)
            denied += [Denial(p, c) for p, c in gateway.denied if Denial(p, c) not in known]
            record.sources = [CallRecord(c.source, c.status, c.latency_ms, c.keys)
                              for c in gateway.calls]
        record.denied = denied
        codes = {d.code for d in denied}
        if record.released:
            record.outcome = "PARTIAL" if codes else "ALLOWED"
        elif codes & DENIAL_CODES:
            record.outcome = "DENIED"
        elif codes or "data" not in body:
            record.outcome = "FAILED"
        else:
            record.outcome = "ALLOWED"
        return record
