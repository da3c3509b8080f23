"""A check's signed report: the subject gate, the verdict, and the document that is signed.

The gate comes first. The market registry (市场监管 registration) is asked about every subject;
only a subject it holds is checked any further:

- the registry does not hold it (NOT_FOUND, or no registration record) → `SUBJECT_UNKNOWN`,
  with no domain read and no other department asked;
- the registry did not answer (or answered with stale or unusable data) → `INCOMPLETE`, with no
  other department asked: nothing can be said about a subject that was not confirmed, and a
  department's "no record" means "no record held" only about a confirmed subject;
- the registry holds it → every source is asked, and a revoked (吊销) or deregistered (注销)
  enterprise is a finding of its own.

The signed document carries everything the 告知书 prints: the report number, the subject as
registered, the period and base date, who asked (department by name, operator, case number),
the legal basis of the check and of each domain, each department's answer with its data date
and the reference of the call in the audit log, the registry's answer, and for a bankruptcy
check the inventory by creditor class. Money is integer fen; times ISO 8601 with offset.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, overload

from connectors.base import Answer
from connectors.catalogue import REGISTRATION, CheckKind
from connectors.config import SourceConfig
from connectors.records import Record
from reports.store import StoredReport
from schema.checks import (
    ENDED,
    DomainOutcome,
    PlanItem,
    Verdict,
    outcome,
    record_document,
    verdict,
    with_objections,
)
from schema.citations import CHECK_BASIS, REGISTRY_BASIS
from schema.inventory import Inventory, build_inventory
from schema.period import CheckScope
from signing.canonical import canonical

__all__ = ["CheckReport", "FiledReports", "Gate", "ReportCheck", "Requester", "Signer", "Subject",
           "assemble", "filed", "gate", "report_document"]


class Signer(Protocol):
    def sign(self, payload: bytes) -> tuple[str, str]: ...


@dataclass(frozen=True, slots=True)
class Subject:
    """The enterprise as the registry holds it (only the USCC when it holds none)."""

    uscc: str
    name: str | None = None
    status: str | None = None  # 存续 / 在业 / 吊销 / 注销 / 迁出
    registered_on: dt.date | None = None  # 成立日期
    status_on: dt.date | None = None
    authority: str | None = None  # 登记机关


@dataclass(frozen=True, slots=True)
class Requester:
    caller: str
    name: str  # the requesting department, by name
    operator: str | None = None
    case: str | None = None
    request_id: str = ""

    def answer_ref(self, source: str) -> str | None:
        """Where the audit log records the call to `source` for this request (one string per
        request and source, however many reports of a batch cite it)."""
        return sys.intern(f"{self.request_id}/{source}") if self.request_id else None


@dataclass(frozen=True, slots=True)
class Gate:
    subject: Subject
    registry: DomainOutcome
    confirmed: bool  # the registry holds the subject: ask everyone else
    unknown: bool  # the registry answered that it does not hold it


@dataclass(frozen=True, slots=True)
class CheckReport:
    report_no: str
    report_id: str
    kind: CheckKind
    subject: Subject
    scope: CheckScope
    verdict: Verdict
    checked_at: dt.datetime
    requester: Requester
    registry: DomainOutcome
    outcomes: tuple[DomainOutcome, ...]
    inventory: Inventory | None
    detail: str | None
    legal_basis: str
    signature: str
    key_id: str
    signed: bytes  # the bytes that were signed; deflated against `primer` unless it is None
    application: str | None = None  # the application (X-Hub-Application) it was run for
    primer: bytes | None = None  # the preset dictionary `signed` was deflated with

    @property
    def canonical(self) -> bytes:
        """The signed document: exactly the bytes the signature covers."""
        return _inflated(self.signed, self.primer)


@dataclass(frozen=True, slots=True)
class ReportCheck:
    """What `GET /verify` tells anyone: a report with that number and code exists (or not), its
    verdict, date and subject name, and whether its stored signature holds. Nothing more."""

    report_no: str
    found: bool
    verdict: str | None = None
    checked_at: dt.datetime | None = None
    subject_name: str | None = None
    signature_valid: bool | None = None


class FiledReports(Sequence[StoredReport]):
    """Signed reports as the register keeps them, each document inflated when it is read: a
    batch's filing holds what the register keeps of its reports (their documents as the
    reports held them), not the reports' outcomes and records, nor the documents twice."""

    __slots__ = ("_documents", "_expiry", "_reports")

    def __init__(self, size: int, expiry: Callable[[dt.datetime], dt.datetime]) -> None:
        """Room for `size` reports, each `put` in its place as it is made."""
        self._expiry = expiry
        self._reports: list[StoredReport | None] = [None] * size
        self._documents: list[tuple[bytes, bytes | None]] = [(b"", None)] * size

    def put(self, index: int, r: CheckReport) -> None:
        self._reports[index] = _stored(r, self._expiry(r.checked_at), b"")
        self._documents[index] = (r.signed, r.primer)

    def __len__(self) -> int:
        return len(self._reports)

    def numbers_and_ids(self) -> Iterator[tuple[str, str]]:
        """Each report's number and id, in order, without inflating its document."""
        for stored in self._reports:
            if stored is None:
                raise LookupError("a report of the filing was never made")
            yield stored.report_no, stored.report_id

    @overload
    def __getitem__(self, index: int) -> StoredReport: ...

    @overload
    def __getitem__(self, index: slice) -> list[StoredReport]: ...

    def __getitem__(self, index: int | slice) -> StoredReport | list[StoredReport]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        stored = self._reports[index]
        if stored is None:
            raise LookupError(f"report {index} of the filing was never made")
        signed, primer = self._documents[index]
        return dataclasses.replace(stored, document=_inflated(signed, primer))


def filed(r: CheckReport, expires_at: dt.datetime) -> StoredReport:
    """A signed report as the register keeps it: the signed bytes and what /verify tells."""
    return _stored(r, expires_at, r.canonical)


def _stored(r: CheckReport, expires_at: dt.datetime, document: bytes) -> StoredReport:
    return StoredReport(
        report_no=r.report_no, report_id=r.report_id, kind=r.kind.value, uscc=r.subject.uscc,
        subject_name=r.subject.name, verdict=r.verdict, checked_at=r.checked_at,
        caller=r.requester.caller, key_id=r.key_id, signature=r.signature, document=document,
        expires_at=expires_at)


def _date(value: object) -> dt.date | None:
    return value if isinstance(value, dt.date) else None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def gate(uscc: str, registry: SourceConfig | None, answer: Answer | None,
         requester: Requester) -> Gate:
    """What the registry's answer means for the rest of the check."""
    if registry is None or answer is None:
        row = DomainOutcome(REGISTRATION, registry.department if registry else "",
                            registry.name if registry else "", "UNAVAILABLE", (), None, None,
                            "未配置市场监管登记数据来源，无法确认主体", REGISTRY_BASIS)
        return Gate(Subject(uscc), row, confirmed=False, unknown=False)
    row = outcome(CheckKind.BANKRUPTCY, PlanItem(REGISTRATION, registry), answer,
                  answer_ref=requester.answer_ref(registry.name))
    row = DomainOutcome(row.domain, row.department, row.source, row.status, row.records,
                        row.as_of, row.latency_ms, row.detail, REGISTRY_BASIS, row.answer_ref)
    found: Record | None = next((r for r in row.records if r.type == "registration"), None)
    if row.status == "OK" and found is not None:
        v = found.values
        subject = Subject(uscc, _str(v.get("name")), _str(v.get("status")),
                          _date(v.get("established_on")), _date(v.get("status_on")),
                          _str(v.get("registration_authority")))
        return Gate(subject, row, confirmed=True, unknown=False)
    if row.status in ("OK", "NOT_FOUND"):
        missing = DomainOutcome(row.domain, row.department, row.source, "NOT_FOUND", (),
                                row.as_of, row.latency_ms,
                                f"{row.department}登记信息中无此统一社会信用代码对应的企业",
                                REGISTRY_BASIS, row.answer_ref)
        return Gate(Subject(uscc), missing, confirmed=False, unknown=True)
    return Gate(Subject(uscc), row, confirmed=False, unknown=False)


def _detail(g: Gate) -> str | None:
    s = g.subject
    if g.unknown:
        return (f"{g.registry.department}登记信息中无统一社会信用代码为 {s.uscc} 的企业，"
                "未向其他部门查询。请核对代码")
    if not g.confirmed:
        return (f"未能确认主体：{g.registry.detail or '登记机关未答复'}。未向其他部门查询，"
                "核查不完整，请稍后重新核查")
    since = f"（{s.status_on}）" if s.status_on else ""
    if s.status in ENDED:
        return f"企业登记状态为{s.status}{since}，列为核查发现的问题"
    if s.status == "迁出":
        return f"企业已迁出本市登记机关管辖{since}，本市各部门的记录可能不完整"
    return None


def assemble(signer: Signer, kind: CheckKind, g: Gate, items: Sequence[PlanItem],
             answers: Sequence[Answer | None], *, report_no: str, report_id: str,
             scope: CheckScope, requester: Requester, now: dt.datetime,
             disputes: Mapping[str, tuple[str, ...]] | None = None,
             application: str | None = None, primer: bytes | None = None) -> CheckReport:
    """The signed report of one subject: `answers` follows `items` (empty when unconfirmed).
    `disputes` maps "domain/source" (or "domain/" for any source) to open objection ids.
    `primer`: keep the signed document deflated against this preset dictionary (a batch holds
    its documents until they are filed: deflated against the batch's first document, which
    they mostly repeat, ~0.7 KB each instead of ~10 KB)."""
    outcomes: tuple[DomainOutcome, ...] = ()
    inventory = None
    if g.unknown:
        result: Verdict = "SUBJECT_UNKNOWN"
    elif not g.confirmed:
        result = "INCOMPLETE"
    else:
        outcomes = tuple(with_objections(outcome(
            kind, i, a, scope=scope if kind == CheckKind.IPO_COMPLIANCE else None,
            answer_ref=requester.answer_ref(i.source.name)
            if i.source is not None and a is not None else None), disputes or {})
            for i, a in zip(items, answers, strict=True))
        if kind == CheckKind.BANKRUPTCY:
            outcomes, inventory = build_inventory(outcomes, scope.base_date)
        result = verdict((g.registry, *outcomes))
    basis = CHECK_BASIS[kind]
    document = report_document(report_no, report_id, kind, g, scope, result, now, requester,
                               outcomes, inventory, _detail(g), basis)
    if application is not None:
        document["application"] = application
    signed = canonical(document)
    signature, kid = signer.sign(signed)
    return CheckReport(report_no, report_id, kind, g.subject, scope, result, now, requester,
                       g.registry, outcomes, inventory, _detail(g), basis, signature, kid,
                       signed if primer is None else _deflated(signed, primer), application,
                       primer)


def _deflated(data: bytes, primer: bytes) -> bytes:
    packer = zlib.compressobj(1, zdict=primer)
    return packer.compress(data) + packer.flush()


def _inflated(data: bytes, primer: bytes | None) -> bytes:
    if primer is None:
        return data
    unpacker = zlib.decompressobj(zdict=primer)
    return unpacker.decompress(data) + unpacker.flush()


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _domain(o: DomainOutcome) -> dict[str, Any]:
    return {
        "domain": o.domain.code, "title": o.domain.title, "department": o.department,
        "source": o.source, "status": o.status,
        "records": [record_document(r, i not in o.superseded) for i, r in enumerate(o.records)],
        "asOf": _iso(o.as_of),
        "latencyMs": None if o.latency_ms is None else round(o.latency_ms, 3),
        "detail": o.detail, "legalBasis": o.legal_basis, "answerRef": o.answer_ref,
        "disputed": o.contested, "disagreement": o.disagreement,
        **({"objections": list(o.disputed)} if o.disputed else {}),
    }


def _inventory(inv: Inventory) -> dict[str, Any]:
    return {
        "baseDate": _iso(inv.base_date), "total": inv.total, "secured": inv.secured,
        "notes": list(inv.notes),
        "classes": [{
            "code": g.code, "order": g.order, "title": g.title, "basis": g.basis,
            "total": g.total, "items": [{
                "domain": i.domain, "department": i.department, "source": i.source,
                "item": i.item, "amount": i.amount, "months": i.months,
                "periodFrom": i.period_from, "periodTo": i.period_to,
                "liabilityRef": i.liability_ref, "note": i.note} for i in g.items],
        } for g in inv.classes],
        "assets": [{"domain": a.domain, "title": a.title, "department": a.department,
                    "count": a.count, "seized": a.seized, "mortgaged": a.mortgaged,
                    "areaM2": a.area_m2} for a in inv.assets],
        "reconciliations": [{
            "domain": r.domain, "scheme": r.scheme, "liabilityRef": r.liability_ref,
            "kept": {"source": r.kept_source, "department": r.kept_department,
                     "amount": r.kept_amount},
            "other": {"source": r.other_source, "department": r.other_department,
                      "amount": r.other_amount},
            "disputed": r.disputed, "reason": r.reason} for r in inv.reconciliations],
    }


def report_document(report_no: str, report_id: str, kind: CheckKind, g: Gate,
                    scope: CheckScope, result: Verdict, now: dt.datetime, requester: Requester,
                    outcomes: Sequence[DomainOutcome], inventory: Inventory | None,
                    detail: str | None, basis: str) -> dict[str, Any]:
    """The signed content of a report."""
    s = g.subject
    return {
        "reportNo": report_no, "reportId": report_id, "kind": kind.value, "verdict": result,
        "checkedAt": now.isoformat(),
        "subject": {"uscc": s.uscc, "name": s.name, "status": s.status,
                    "registeredOn": _iso(s.registered_on), "statusOn": _iso(s.status_on),
                    "registrationAuthority": s.authority},
        "period": {"since": _iso(scope.since), "until": _iso(scope.until)},
        "baseDate": _iso(scope.base_date),
        "requestedBy": {"caller": requester.caller, "name": requester.name},
        "operator": requester.operator, "case": requester.case,
        "requestId": requester.request_id or None,
        "legalBasis": basis, "detail": detail,
        "registry": _domain(g.registry),
        "domains": [_domain(o) for o in outcomes],
        "inventory": None if inventory is None else _inventory(inventory),
    }
