"""Compliance checks: which sources a check asks, the verdict, and the signed report.

A check fans out to every source of its kind at once. Each (domain, source) pair yields one
`DomainOutcome`; a disabled source yields DISABLED without a call; a domain with no configured
source yields UNAVAILABLE. The verdict is FINDINGS if any outcome carries a finding (a violation,
or arrears owed), else INCOMPLETE if any enabled domain is UNAVAILABLE or INVALID, else CLEAN: a
source that did not answer never reads as clean. A domain whose record the enterprise has
objected to, while the objection is open, says so (`disputed`, with the objection ids): a
disputed finding still counts. The report is signed over its canonical JSON
(`signing.canonical`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from connectors.base import Answer
from connectors.catalogue import CheckKind, DomainInfo, domains_of
from connectors.config import SourceConfig
from connectors.records import Record
from signing.canonical import canonical

__all__ = [
    "FAILED",
    "CheckReport",
    "DomainOutcome",
    "DomainStatus",
    "PlanItem",
    "Signer",
    "Verdict",
    "is_finding",
    "outcome",
    "plan",
    "record_document",
    "report_document",
    "sign_report",
    "verdict",
]

Verdict = Literal["CLEAN", "FINDINGS", "INCOMPLETE"]
DomainStatus = Literal["OK", "NOT_FOUND", "UNAVAILABLE", "INVALID", "DENIED", "DISABLED"]
FAILED = ("UNAVAILABLE", "INVALID")


class Signer(Protocol):
    def sign(self, payload: bytes) -> tuple[str, str]: ...


@dataclass(frozen=True, slots=True)
class PlanItem:
    domain: DomainInfo
    source: SourceConfig | None  # None: no source is configured for the domain


@dataclass(frozen=True, slots=True)
class DomainOutcome:
    domain: DomainInfo
    department: str
    source: str
    status: DomainStatus
    records: tuple[Record, ...]
    as_of: dt.datetime | None
    latency_ms: float | None
    detail: str | None
    disputed: tuple[str, ...] = ()  # ids of open objections to this domain's record

    def counts(self) -> bool:
        return self.status != "DISABLED"


@dataclass(frozen=True, slots=True)
class CheckReport:
    report_id: str
    kind: CheckKind
    uscc: str
    verdict: Verdict
    checked_at: dt.datetime
    outcomes: tuple[DomainOutcome, ...]
    signature: str
    key_id: str
    canonical: bytes  # the signed document, kept as the bytes that were signed
    application: str | None = None


def plan(configs: Mapping[str, SourceConfig], kind: CheckKind) -> list[PlanItem]:
    items = []
    for domain in domains_of(kind):
        sources = [c for c in configs.values() if c.check == kind and c.domain == domain.code]
        items += [PlanItem(domain, s) for s in sources] or [PlanItem(domain, None)]
    return items


def is_finding(record: Record) -> bool:
    if record.type == "violation":
        return True
    arrears = record.values.get("arrears_amount")
    return isinstance(arrears, int) and arrears > 0


def verdict(outcomes: Sequence[DomainOutcome]) -> Verdict:
    if any(is_finding(r) for o in outcomes for r in o.records):
        return "FINDINGS"
    if any(o.status in FAILED for o in outcomes if o.counts()):
        return "INCOMPLETE"
    return "CLEAN"


def outcome(item: PlanItem, answer: Answer | None) -> DomainOutcome:
    """The result of one (domain, source): `answer` is None when the source is switched off."""
    source = item.source
    if source is None:
        return DomainOutcome(item.domain, "", "", "UNAVAILABLE", (), None, None,
                             "no source is configured for this domain")
    if answer is None:
        return DomainOutcome(item.domain, source.department, source.name, "DISABLED", (), None,
                             None, "this domain is switched off by configuration")
    detail = answer.detail
    if answer.status == "NOT_FOUND":
        detail = f"{source.department} has no record of this enterprise"
    return DomainOutcome(item.domain, source.department, source.name, answer.status,
                         answer.records, answer.as_of, answer.latency_ms, detail)


def sign_report(signer: Signer, kind: CheckKind, uscc: str, items: Sequence[PlanItem],
                answers: Sequence[Answer | None], now: dt.datetime, caller: str, *,
                disputes: Mapping[str, tuple[str, ...]] | None = None,
                application: str | None = None) -> CheckReport:
    """The signed report of one enterprise from the answers of every item of its plan.
    `disputes` maps "domain/source" (or "domain/" for any source) to open objection ids."""
    outcomes = tuple(_disputed(outcome(i, a), disputes or {})
                     for i, a in zip(items, answers, strict=True))
    result = verdict(outcomes)
    report_id = uuid.uuid4().hex
    document = report_document(report_id, kind, uscc, result, now, outcomes, caller)
    if application is not None:
        document["application"] = application
    signed = canonical(document)
    signature, kid = signer.sign(signed)
    return CheckReport(report_id, kind, uscc, result, now, outcomes, signature, kid, signed,
                       application)


def _disputed(o: DomainOutcome, disputes: Mapping[str, tuple[str, ...]]) -> DomainOutcome:
    ids = (*disputes.get(f"{o.domain.code}/{o.source}", ()),
           *disputes.get(f"{o.domain.code}/", ()))
    return dataclasses.replace(o, disputed=ids) if ids else o


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def record_document(record: Record) -> dict[str, Any]:
    return {"type": record.type, **{k: _json_value(v) for k, v in record.values.items()}}


def report_document(report_id: str, kind: str, uscc: str, result: str, now: dt.datetime,
                    outcomes: Sequence[DomainOutcome], caller: str) -> dict[str, Any]:
    """The signed content of a report (money in fen, times ISO 8601 with offset)."""
    return {
        "reportId": report_id, "kind": kind, "subject": {"uscc": uscc}, "verdict": result,
        "checkedAt": now.isoformat(), "requestedBy": caller,
        "domains": [{
            "domain": o.domain.code, "title": o.domain.title, "department": o.department,
            "source": o.source, "status": o.status,
            "records": [record_document(r) for r in o.records],
            "asOf": o.as_of.isoformat() if o.as_of else None,
            "latencyMs": None if o.latency_ms is None else round(o.latency_ms, 3),
            "detail": o.detail, "disputed": bool(o.disputed),
            **({"objections": list(o.disputed)} if o.disputed else {}),
        } for o in outcomes],
    }
