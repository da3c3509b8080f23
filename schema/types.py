"""GraphQL object types of the checks surface: reports, domain results, enterprises, sources."""

from __future__ import annotations

import datetime as dt
from enum import Enum

import strawberry
from strawberry.types import Info

from connectors.catalogue import CheckKind
from connectors.identifiers import InvalidIdentifier, verify_uscc
from schema.checks import CheckReport, DomainOutcome
from schema.context import RequestContext, path_of
from schema.errors import BadUserInput
from schema.records import RecordType, Registration, to_graphql
from schema.scalars import USCC

__all__ = ["CheckKind", "ComplianceReport", "DomainResult", "Enterprise", "Source",
           "SourceStatus", "Verdict"]


strawberry.enum(CheckKind)  # the one CheckKind (connectors.catalogue), as a GraphQL enum


@strawberry.enum(description="INCOMPLETE whenever any required domain did not answer.")
class Verdict(Enum):
    CLEAN = "CLEAN"
    FINDINGS = "FINDINGS"
    INCOMPLETE = "INCOMPLETE"


@strawberry.enum
class SourceStatus(Enum):
    OK = "OK"
    NOT_FOUND = "NOT_FOUND"
    UNAVAILABLE = "UNAVAILABLE"
    INVALID = "INVALID"
    DENIED = "DENIED"
    DISABLED = "DISABLED"


@strawberry.type
class DomainResult:
    domain: str = strawberry.field(description='stable code, e.g. "tax", "fire_safety"')
    title: str = strawberry.field(description='human label, Chinese, e.g. "企业合法纳税情况"')
    department: str
    source: str
    status: SourceStatus
    records: list[RecordType]
    as_of: dt.datetime | None
    latency_ms: float | None
    detail: str | None
    disputed: bool = strawberry.field(description="an objection to this record is open: the "
                                                  "finding still counts, but it is disputed")
    objection_ids: list[str] = strawberry.field(description="the open objections (disputed)")

    @classmethod
    def of(cls, o: DomainOutcome) -> DomainResult:
        return cls(domain=o.domain.code, title=o.domain.title, department=o.department,
                   source=o.source, status=SourceStatus(o.status),
                   records=[to_graphql(r) for r in o.records], as_of=o.as_of,
                   latency_ms=None if o.latency_ms is None else round(o.latency_ms, 3),
                   detail=o.detail, disputed=bool(o.disputed),
                   objection_ids=list(o.disputed))


@strawberry.federation.type(keys=["uscc"], description="An enterprise, keyed by its USCC.")
class Enterprise:
    uscc: USCC

    @strawberry.field(description="Registered name, from the market registry (市场监管局).")
    async def name(self, info: Info[RequestContext, None]) -> str | None:
        registration = await info.context.gateway.enterprise(path_of(info), str(self.uscc))
        name = None if registration is None else registration.get("name")
        return name if isinstance(name, str) else None

    @strawberry.field(description="注册登记基本信息 from the market registry.")
    async def registration(self, info: Info[RequestContext, None]) -> Registration | None:
        record = await info.context.gateway.enterprise(path_of(info), str(self.uscc))
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


@strawberry.type
class ComplianceReport:
    report_id: strawberry.ID
    kind: CheckKind
    subject: Enterprise
    verdict: Verdict
    checked_at: dt.datetime
    signature: str = strawberry.field(description="Ed25519 over the report's canonical JSON")
    key_id: str
    signed: strawberry.Private[bytes]
    outcomes: strawberry.Private[tuple[DomainOutcome, ...]]
    application: str | None = strawberry.field(
        default=None, description="the application (X-Hub-Application) it was run for")

    @strawberry.field(description="One result per (domain, source).")
    def domains(self) -> list[DomainResult]:
        return [DomainResult.of(o) for o in self.outcomes]

    @strawberry.field(description="The canonical JSON that `signature` covers (rules: README, "
                                  "'Signed reports'); `hub report verify` checks it offline.")
    def document(self) -> str:
        return self.signed.decode()

    @classmethod
    def of(cls, r: CheckReport) -> ComplianceReport:
        return cls(report_id=strawberry.ID(r.report_id), kind=r.kind,
                   subject=Enterprise(uscc=USCC(r.uscc)), verdict=Verdict(r.verdict),
                   checked_at=r.checked_at, signature=r.signature, key_id=r.key_id,
                   signed=r.canonical, outcomes=r.outcomes, application=r.application)


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
