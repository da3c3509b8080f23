"""GraphQL object types of the checks surface: reports, domain results, enterprises, sources."""

from __future__ import annotations

import datetime as dt
from enum import Enum

import strawberry
from strawberry.types import Info

from connectors.catalogue import CheckKind
from connectors.identifiers import InvalidIdentifier, verify_uscc
from connectors.records import Record
from reports.codes import verification_code
from schema.checks import DomainOutcome
from schema.context import RequestContext, path_of
from schema.errors import BadUserInput
from schema.inventory_types import InventoryType
from schema.records import RecordType, Registration, to_graphql
from schema.report import CheckReport
from schema.scalars import USCC

__all__ = ["CheckKind", "ComplianceReport", "DomainResult", "Enterprise", "Period", "Source",
           "SourceStatus", "Verdict"]


strawberry.enum(CheckKind)  # the one CheckKind (connectors.catalogue), as a GraphQL enum


@strawberry.enum(description="INCOMPLETE whenever any required domain did not answer; "
                             "SUBJECT_UNKNOWN when the market registry holds no such enterprise "
                             "(nothing else is asked).")
class Verdict(Enum):
    CLEAN = "CLEAN"
    FINDINGS = "FINDINGS"
    INCOMPLETE = "INCOMPLETE"
    SUBJECT_UNKNOWN = "SUBJECT_UNKNOWN"


@strawberry.enum
class SourceStatus(Enum):
    OK = "OK"
    NOT_FOUND = "NOT_FOUND"
    UNAVAILABLE = "UNAVAILABLE"
    INVALID = "INVALID"
    DENIED = "DENIED"
    DISABLED = "DISABLED"
    STALE = "STALE"


@strawberry.type
class DomainResult:
    domain: str = strawberry.field(description='stable code, e.g. "tax", "fire_safety"')
    title: str = strawberry.field(description='human label, Chinese, e.g. "企业合法纳税情况"')
    department: str
    source: str
    status: SourceStatus
    records: list[RecordType]
    as_of: dt.datetime | None = strawberry.field(description="when the department's data "
                                                 "were current (SQL sources too)")
    latency_ms: float | None
    detail: str | None = strawberry.field(description="what the answer means, in Chinese")
    legal_basis: str | None = strawberry.field(description="policy item and law this domain "
                                                         "answers under")
    answer_ref: str | None = strawberry.field(
        description="the call in the audit log: <request id>/<source>")
    disputed: bool = strawberry.field(description="an objection to this record is open (the "
                                                  "finding still counts), or two departments "
                                                  "answered differently about one liability")
    objection_ids: list[str] = strawberry.field(description="the open objections (disputed)")
    disagreement: bool = strawberry.field(description="two departments answered differently "
                                                      "about one liability; detail says which "
                                                      "answer was kept and why")

    @classmethod
    def of(cls, o: DomainOutcome) -> DomainResult:
        return cls(domain=o.domain.code, title=o.domain.title, department=o.department,
                   source=o.source, status=SourceStatus(o.status),
                   records=[to_graphql(r) for r in o.records], as_of=o.as_of,
                   latency_ms=None if o.latency_ms is None else round(o.latency_ms, 3),
                   detail=o.detail, legal_basis=o.legal_basis or None,
                   answer_ref=o.answer_ref, disputed=o.contested,
                   objection_ids=list(o.disputed), disagreement=o.disagreement)


@strawberry.federation.type(keys=["uscc"], description="An enterprise, keyed by its USCC. As "
                             "the subject of a report, what the registry said at the check.")
class Enterprise:
    uscc: USCC
    # As a report's subject: the registry's record at the time of the check (None: it held
    # none), never asked again.
    reported: strawberry.Private[Record | None] = None
    from_report: strawberry.Private[bool] = False

    async def _registration(self, info: Info[RequestContext, None]) -> Record | None:
        if self.from_report:
            return self.reported
        return await info.context.gateway.enterprise(path_of(info), str(self.uscc))

    async def _value(self, info: Info[RequestContext, None], name: str) -> object:
        record = await self._registration(info)
        return None if record is None else record.get(name)

    @strawberry.field(description="Registered name, from the market registry (市场监管局).")
    async def name(self, info: Info[RequestContext, None]) -> str | None:
        value = await self._value(info, "name")
        return value if isinstance(value, str) else None

    @strawberry.field(description="登记状态: 存续 / 在业 / 吊销 / 注销 / 迁出.")
    async def status(self, info: Info[RequestContext, None]) -> str | None:
        value = await self._value(info, "status")
        return value if isinstance(value, str) else None

    @strawberry.field(description="成立日期 the day the enterprise was registered.")
    async def registered_on(self, info: Info[RequestContext, None]) -> dt.date | None:
        value = await self._value(info, "established_on")
        return value if isinstance(value, dt.date) else None

    @strawberry.field(description="注册登记基本信息 from the market registry.")
    async def registration(self, info: Info[RequestContext, None]) -> Registration | None:
        record = await self._registration(info)
        if record is None:
            return None
        registration: Registration = to_graphql(record)
        return registration

    @classmethod
    def resolve_reference(cls, info: Info[RequestContext, None], uscc: str) -> Enterprise:
        info.context.gateway.enterprise_scope()
        try:
            return cls(uscc=USCC(verify_uscc(uscc)))
        except InvalidIdentifier as exc:
            raise BadUserInput(f"representations: uscc {exc}") from None


@strawberry.type(description="The period a check covers (since null: all records held).")
class Period:
    since: dt.date | None
    until: dt.date


@strawberry.type
class ComplianceReport:
    """A check's report, every field read from it when asked: a batch of a thousand holds
    one small object per report while the response is made, not a copy of its fields."""

    check: strawberry.Private[CheckReport]

    @strawberry.field(description="报告编号, e.g. XXHC-2026-000123: unique, printed on the "
                                  "告知书, checked at /verify")
    def report_no(self) -> str:
        return self.check.report_no

    @strawberry.field
    def report_id(self) -> strawberry.ID:
        return strawberry.ID(self.check.report_id)

    @strawberry.field
    def kind(self) -> CheckKind:
        return self.check.kind

    @strawberry.field
    def subject(self) -> Enterprise:
        r = self.check
        registration = next((x for x in r.registry.records if x.type == "registration"), None)
        return Enterprise(uscc=USCC(r.subject.uscc), reported=registration, from_report=True)

    @strawberry.field
    def period(self) -> Period:
        return Period(since=self.check.scope.since, until=self.check.scope.until)

    @strawberry.field(description="受理日 (bankruptcy)")
    def base_date(self) -> dt.date | None:
        return self.check.scope.base_date

    @strawberry.field
    def verdict(self) -> Verdict:
        return Verdict(self.check.verdict)

    @strawberry.field
    def checked_at(self) -> dt.datetime:
        return self.check.checked_at

    @strawberry.field(description="the requesting department, by name")
    def requested_by(self) -> str:
        return self.check.requester.name

    @strawberry.field
    def operator(self) -> str | None:
        return self.check.requester.operator

    @strawberry.field(description="案号 / 办件编号 as given in X-Hub-Case")
    def case(self) -> str | None:
        return self.check.requester.case

    @strawberry.field
    def legal_basis(self) -> str:
        return self.check.legal_basis

    @strawberry.field(description="what the verdict rests on, in Chinese, when the subject was "
                                  "not confirmed or is itself a finding")
    def detail(self) -> str | None:
        return self.check.detail

    @strawberry.field(description="the registry's answer that confirmed (or did not) the "
                                  "subject")
    def registry(self) -> DomainResult:
        return DomainResult.of(self.check.registry)

    @strawberry.field(description="bankruptcy: assets and liabilities by creditor class")
    def inventory(self) -> InventoryType | None:
        inventory = self.check.inventory
        return None if inventory is None else InventoryType.of(inventory)

    @strawberry.field(description="Ed25519 over the report's canonical JSON")
    def signature(self) -> str:
        return self.check.signature

    @strawberry.field
    def key_id(self) -> str:
        return self.check.key_id

    @strawberry.field(description="the application (X-Hub-Application) it was run for")
    def application(self) -> str | None:
        return self.check.application

    @strawberry.field(description="One result per (domain, source); empty when the subject "
                                  "was not confirmed (no other department was asked).")
    def domains(self) -> list[DomainResult]:
        return [DomainResult.of(o) for o in self.check.outcomes]

    @strawberry.field(description="The canonical JSON that `signature` covers (rules: README, "
                                  "'Signed reports'); `hub report verify` checks it offline.")
    def document(self) -> str:
        return self.check.canonical.decode()

    @strawberry.field(description="验证码: the first 8 base32 characters of SHA-256 over the "
                                  "signature; with reportNo, GET /verify checks it.")
    def verification_code(self) -> str:
        return verification_code(self.check.signature)

    @classmethod
    def of(cls, r: CheckReport) -> ComplianceReport:
        return cls(check=r)


@strawberry.type(description="A configured department source and its live state.")
class Source:
    name: str
    department: str
    check: CheckKind | None
    domain: str
    transport: str
    enabled: bool
    timeout_s: float
    max_batch: int
    last_status: SourceStatus | None
    consecutive_failures: int
    circuit: str = strawberry.field(description="CLOSED, OPEN (not being called) or HALF_OPEN "
                                                "(one probe allowed)")
