"""Compliance checks: which sources a check asks, what each answer means, and the verdict.

A check fans out to every source of its kind at once, after the registry has confirmed the
subject (`schema.report` holds that gate and the signed document). Each (domain, source) pair
yields one `DomainOutcome`; a disabled source yields DISABLED without a call; a domain with no
configured source yields UNAVAILABLE; an answer older than its source's `max_age` yields STALE,
which counts like UNAVAILABLE. An IPO check keeps only the penalties decided within its period.
The verdict of a confirmed subject is FINDINGS if any counted record is a finding (a violation,
arrears owed, or a revoked or deregistered registration), else INCOMPLETE if any enabled domain
did not give a usable answer, else CLEAN: a source that did not answer never reads as clean.
Every `detail` is Chinese (`schema.wording`); every domain carries its legal basis. A domain
whose record the enterprise has objected to, while the objection is open, says so (`objections`,
with the objection ids): a disputed finding still counts. Two departments that answered
differently about one liability are a `disagreement` (`schema.inventory`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from connectors.base import Answer
from connectors.catalogue import CheckKind, DomainInfo, domains_of
from connectors.config import SourceConfig
from connectors.records import Record
from schema.citations import legal_basis
from schema.period import CheckScope
from schema.wording import failure_detail, not_found_detail, stale_detail

__all__ = [
    "ENDED",
    "FAILED",
    "DomainOutcome",
    "DomainStatus",
    "PlanItem",
    "Verdict",
    "findings_of",
    "is_finding",
    "money_text",
    "outcome",
    "plan",
    "record_document",
    "verdict",
    "with_objections",
]

Verdict = Literal["CLEAN", "FINDINGS", "INCOMPLETE", "SUBJECT_UNKNOWN"]
DomainStatus = Literal["OK", "NOT_FOUND", "UNAVAILABLE", "INVALID", "DENIED", "DISABLED",
                       "STALE"]
FAILED = ("UNAVAILABLE", "INVALID", "STALE")
ENDED = ("吊销", "注销")  # registration statuses that are a finding of their own


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
    legal_basis: str = ""
    answer_ref: str | None = None
    disputed: tuple[str, ...] = ()  # ids of open objections to this domain's record
    disagreement: bool = False  # two departments answered differently about one liability
    superseded: tuple[int, ...] = ()  # records shown but not counted (reconciled elsewhere)

    def counts(self) -> bool:
        return self.status != "DISABLED"

    @property
    def contested(self) -> bool:
        """Disputed in either way: an open objection, or two departments that disagree."""
        return bool(self.disputed) or self.disagreement

    def counted_records(self) -> tuple[Record, ...]:
        return tuple(r for i, r in enumerate(self.records) if i not in self.superseded)


def plan(configs: Mapping[str, SourceConfig], kind: CheckKind) -> list[PlanItem]:
    items = []
    for domain in domains_of(kind):
        sources = [c for c in configs.values() if c.check == kind and c.domain == domain.code]
        items += [PlanItem(domain, s) for s in sources] or [PlanItem(domain, None)]
    return items


def is_finding(record: Record) -> bool:
    if record.type == "violation":
        return True
    if record.type == "registration":
        return record.get("status") in ENDED
    arrears = record.values.get("arrears_amount")
    return isinstance(arrears, int) and arrears > 0


def findings_of(o: DomainOutcome) -> tuple[Record, ...]:
    """The records of one outcome that make a check read FINDINGS (usable answers only)."""
    if o.status != "OK":
        return ()
    return tuple(r for r in o.counted_records() if is_finding(r))


def verdict(outcomes: Sequence[DomainOutcome]) -> Verdict:
    """The verdict of a subject the registry has confirmed."""
    if any(findings_of(o) for o in outcomes):
        return "FINDINGS"
    if any(o.status in FAILED for o in outcomes if o.counts()):
        return "INCOMPLETE"
    return "CLEAN"


def money_text(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}¥{yuan:,}.{cents:02d}"


def _in_period(records: tuple[Record, ...], scope: CheckScope | None
               ) -> tuple[tuple[Record, ...], int]:
    """The records within the period (penalties by decision date), and how many were left out."""
    if scope is None:
        return records, 0
    kept = tuple(r for r in records if _covered(r, scope))
    return kept, len(records) - len(kept)


def _covered(record: Record, scope: CheckScope) -> bool:
    day = record.get("decided_on")
    return record.type != "violation" or not isinstance(day, dt.date) or scope.covers(day)


def outcome(kind: CheckKind, item: PlanItem, answer: Answer | None, *,
            scope: CheckScope | None = None, answer_ref: str | None = None) -> DomainOutcome:
    """The result of one (domain, source): `answer` is None when the source is switched off."""
    source = item.source
    basis = legal_basis(kind, item.domain.code)
    if source is None:
        return DomainOutcome(item.domain, "", "", "UNAVAILABLE", (), None, None,
                             "本领域未配置数据来源，未能核查", basis)
    if answer is None:
        return DomainOutcome(item.domain, source.department, source.name, "DISABLED", (), None,
                             None, "本领域暂未纳入核查（已按配置关闭），不影响核查结论", basis)
    status: DomainStatus = answer.status
    records, omitted = _in_period(answer.records, scope)
    detail: str | None = None
    if answer.stale:
        status = "STALE"
        detail = stale_detail(source.department, answer.as_of, source.max_age_s)
    elif answer.status == "NOT_FOUND":
        detail = not_found_detail(source.department)
    elif answer.status in FAILED:
        detail = failure_detail(source.department, answer.status, answer.detail)
    if omitted:
        outside = f"另有 {omitted} 条处罚记录的决定日期在核查期间之外，未列入"
        detail = f"{detail}；{outside}" if detail else outside
    return DomainOutcome(item.domain, source.department, source.name, status, records,
                         answer.as_of, answer.latency_ms, detail, basis, answer_ref)


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def record_document(record: Record, counted: bool = True) -> dict[str, Any]:
    doc = {"type": record.type, **{k: _json_value(v) for k, v in record.values.items()}}
    if not counted:
        doc["counted"] = False  # shown, but counted in the other department's answer
    return doc


def with_objections(o: DomainOutcome, disputes: Mapping[str, tuple[str, ...]]) -> DomainOutcome:
    """`o` with the open objections to its record: `disputes` maps "domain/source" (or
    "domain/" for any source) to objection ids."""
    ids = (*disputes.get(f"{o.domain.code}/{o.source}", ()),
           *disputes.get(f"{o.domain.code}/", ()))
    return dataclasses.replace(o, disputed=ids) if ids else o
