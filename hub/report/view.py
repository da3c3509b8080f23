"""What a signed report says, read from its document: the input of the 告知书 and of `hub check`.

A signed report file is `{"report": <document>, "signature", "keyId"}` (as `hub check --out`
writes it). `ReportView.from_signed` reads it without trusting more than it must: every field
the renderer shows is looked up with a default, so documents from before and after the report
fields `reportNo`, `subject{uscc name status registeredOn}`, `period{since until}`, per-domain
`legalBasis`/`asOf`/`disputed`/`disagreement`/`objections`/`answerRef`, the registry's answer, the report's own legal
basis and detail, and a bankruptcy check's `inventory` all render. Verification of the signature
is separate (`hub report verify`); this module only reads.

The verification code printed on the 告知书 is derived from the signature alone
(`reports.codes.verification_code`: the first 8 characters of the RFC 4648 base32 encoding of
SHA-256 over the signature exactly as it stands in the file). Anyone holding the report file can
recompute it; `GET /verify?no=<reportNo>&code=<code>` checks it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from reports.codes import verification_code

__all__ = ["ENDED", "DomainView", "ReportInvalid", "ReportView", "is_finding",
           "verification_code", "verification_url"]

ENDED = ("吊销", "注销")  # a revoked or deregistered enterprise is a finding of its own


class ReportInvalid(ValueError):
    """The file is not a signed report the renderer can read; the message says why."""


def verification_url(base: str, report_no: str, code: str) -> str:
    return f"{base.rstrip('/')}/verify?{urlencode({'no': report_no, 'code': code})}"


def is_finding(record: Mapping[str, Any]) -> bool:
    """A violation on record, an amount owed, or a revoked or deregistered registration: what
    makes a check read FINDINGS (a record counted in another department's answer is not)."""
    if record.get("counted") is False:
        return False
    if record.get("type") == "violation":
        return True
    if record.get("type") == "registration":
        return record.get("status") in ENDED
    arrears = record.get("arrears_amount")
    return isinstance(arrears, int) and not isinstance(arrears, bool) and arrears > 0


def _text(value: Any) -> str:
    return "" if value is None else str(value)


@dataclass(frozen=True, slots=True)
class DomainView:
    domain: str
    title: str
    department: str
    source: str
    status: str
    records: tuple[Mapping[str, Any], ...]
    as_of: str
    detail: str
    legal_basis: str
    disputed: bool
    answer_ref: str = ""
    disagreement: bool = False  # two departments answered differently about one liability
    objections: tuple[str, ...] = ()  # open objections to this domain's record

    @property
    def marks(self) -> str:
        """Why the row is disputed, in words (empty when it is not)."""
        words = []
        if self.objections:
            words.append("（企业已提出异议，处理中）")
        if self.disagreement or (self.disputed and not self.objections):
            words.append("（两部门答复不一致）")
        return "".join(words)

    @property
    def findings(self) -> tuple[Mapping[str, Any], ...]:
        """Records that make the verdict FINDINGS (only a usable answer has them)."""
        if self.status != "OK":
            return ()
        return tuple(r for r in self.records if is_finding(r))


@dataclass(frozen=True, slots=True)
class ReportView:
    report_no: str
    kind: str
    verdict: str
    checked_at: str
    requested_by: str
    operator: str
    case: str
    uscc: str
    name: str
    status: str
    registered_on: str
    since: str
    until: str
    base_date: str
    domains: tuple[DomainView, ...]
    signature: str
    key_id: str
    legal_basis: str = ""
    detail: str = ""
    registry: DomainView | None = None
    inventory: Mapping[str, Any] | None = None

    @property
    def code(self) -> str:
        return verification_code(self.signature)

    @classmethod
    def from_signed(cls, signed: Any) -> ReportView:
        if not isinstance(signed, Mapping) or not {"report", "signature", "keyId"} <= set(signed):
            raise ReportInvalid("not a signed report: expected an object with report, "
                                "signature and keyId (as `hub check --out` writes)")
        report, signature, key_id = signed["report"], signed["signature"], signed["keyId"]
        if not isinstance(report, Mapping) or not isinstance(signature, str) or not signature \
                or not isinstance(key_id, str):
            raise ReportInvalid("not a signed report: report must be an object, signature and "
                                "keyId text")
        domains = report.get("domains")
        if not isinstance(domains, Sequence) or isinstance(domains, str | bytes) or not all(
                isinstance(d, Mapping) for d in domains):
            raise ReportInvalid("the report has no list of domains")
        subject = report.get("subject")
        subject = subject if isinstance(subject, Mapping) else {}
        period = report.get("period")
        period = period if isinstance(period, Mapping) else {}
        requester = report.get("requestedBy")
        if isinstance(requester, Mapping):
            requester = requester.get("name") or requester.get("caller")
        report_no = _text(report.get("reportNo") or report.get("reportId"))
        if not report_no:
            raise ReportInvalid("the report has neither reportNo nor reportId")
        # Before the hub put the subject's name into the report, a bankruptcy check still
        # carried it in the registry's answer.
        registered = next((r for d in domains if isinstance(d.get("records"), list)
                           for r in d["records"]
                           if isinstance(r, Mapping) and r.get("type") == "registration"), {})
        return cls(
            report_no=report_no, kind=_text(report.get("kind")),
            verdict=_text(report.get("verdict")), checked_at=_text(report.get("checkedAt")),
            requested_by=_text(requester), operator=_text(report.get("operator")),
            case=_text(report.get("case") or report.get("caseNo")),
            uscc=_text(subject.get("uscc")),
            name=_text(subject.get("name") or registered.get("name")),
            status=_text(subject.get("status") or registered.get("status")),
            registered_on=_text(subject.get("registeredOn") or registered.get("established_on")),
            since=_text(period.get("since")), until=_text(period.get("until")),
            base_date=_text(report.get("baseDate")),
            domains=tuple(_domain(d) for d in domains), signature=signature, key_id=key_id,
            legal_basis=_text(report.get("legalBasis")), detail=_text(report.get("detail")),
            registry=_domain(registry) if isinstance(registry := report.get("registry"),
                                                     Mapping) else None,
            inventory=inventory if isinstance(inventory := report.get("inventory"), Mapping)
            else None)


def _domain(d: Mapping[str, Any]) -> DomainView:
    records = d.get("records")
    rows = tuple(r for r in records if isinstance(r, Mapping)) if isinstance(records, list) else ()
    basis = d.get("legalBasis")
    if isinstance(basis, Mapping):
        basis = basis.get("citation") or basis.get("title") or basis.get("text")
    elif isinstance(basis, list):
        basis = "；".join(_text(b) for b in basis)
    return DomainView(
        domain=_text(d.get("domain")), title=_text(d.get("title")),
        department=_text(d.get("department")), source=_text(d.get("source")),
        status=_text(d.get("status")), records=rows, as_of=_text(d.get("asOf")),
        detail=_text(d.get("detail")), legal_basis=_text(basis),
        disputed=bool(d.get("disputed")), answer_ref=_text(d.get("answerRef")),
        disagreement=bool(d.get("disagreement")),
        objections=tuple(str(o) for o in objections) if isinstance(
            objections := d.get("objections"), list) else ())
