"""The root Query. Resolvers ask the gateway for data; they never decide, fetch or record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable
from typing import Annotated

import strawberry
from strawberry.types import Info

from connectors.catalogue import CheckKind
from schema.audit_api import (
    AuditEntryConnection,
    AuditFilter,
    AuditVerification,
    resolve_access_log,
    resolve_entries,
    resolve_verification,
)
from schema.context import RequestContext, path_of
from schema.errors import BadUserInput
from schema.matter_types import MatterType, matters_of
from schema.period import CheckScope, check_scope
from schema.person import Person
from schema.prefill import resolve_prefill
from schema.prefill_types import Prefill, SubjectInput
from schema.report import CheckReport
from schema.scalars import CHINA, USCC, ResidentId
from schema.types import ComplianceReport, Enterprise, Source, SourceStatus

__all__ = ["Query"]


def _scope(info: Info[RequestContext, None], kind: CheckKind, since: dt.date | None,
           until: dt.date | None, base_date: dt.date | None) -> CheckScope:
    today = info.context.now.astimezone(CHINA).date()
    return check_scope(kind, since, until, base_date, today)  # refused before any call


async def _converted(pending: Awaitable[CheckReport]) -> ComplianceReport:
    return ComplianceReport.of(await pending)


_SINCE = "first day covered (default: 36 months before until for IPO; all records held for " \
         "bankruptcy)"
_UNTIL = "last day covered (default today); at most 10 years after since"
_BASE = "受理日: the day the court accepted the bankruptcy petition (bankruptcy only)"


@strawberry.type
class Query:
    @strawberry.field(description="One enterprise, one check: the registry first, then every "
                                  "domain fanned out at once; a numbered, signed, filed report.")
    async def compliance_check(
            self, info: Info[RequestContext, None], kind: CheckKind, uscc: USCC,
            since: Annotated[dt.date | None, strawberry.argument(description=_SINCE)] = None,
            until: Annotated[dt.date | None, strawberry.argument(description=_UNTIL)] = None,
            base_date: Annotated[dt.date | None, strawberry.argument(description=_BASE)] = None,
    ) -> ComplianceReport:
        scope = _scope(info, kind, since, until, base_date)
        return ComplianceReport.of(
            await info.context.gateway.check(path_of(info), kind, str(uscc), scope))

    @strawberry.field(description="Up to 1000 enterprises: the registry is asked for the whole "
                                  "batch in one go, then each other source once per batch for "
                                  "the enterprises it confirmed. For longer lists, or when "
                                  "none may be left INCOMPLETE, submit a job (submitCheckJob).")
    async def compliance_checks(
            self, info: Info[RequestContext, None], kind: CheckKind, usccs: list[USCC],
            since: Annotated[dt.date | None, strawberry.argument(description=_SINCE)] = None,
            until: Annotated[dt.date | None, strawberry.argument(description=_UNTIL)] = None,
            base_date: Annotated[dt.date | None, strawberry.argument(description=_BASE)] = None,
    ) -> list[ComplianceReport]:
        limit = info.context.max_batch
        if len(usccs) > limit:
            raise BadUserInput(f"usccs: at most {limit} enterprises per query, got "
                               f"{len(usccs)}; submit a list this long as a batch check job "
                               "(submitCheckJob, POST /jobs or hub check --file), which "
                               "takes up to 100,000 and finishes every enterprise")
        if not usccs:
            raise BadUserInput("usccs: give at least one USCC")
        scope = _scope(info, kind, since, until, base_date)
        # Each report is completed as soon as it is made, while the others wait for answers.
        return [_converted(r) for r in  # type: ignore[misc]
                await info.context.gateway.checks(path_of(info), kind, [str(u) for u in usccs],
                                                  scope)]

    @strawberry.field(description="An enterprise by USCC (registration data needs a check "
                                  "purpose).")
    def enterprise(self, info: Info[RequestContext, None],
                   uscc: USCC) -> Enterprise | None:
        info.context.gateway.enterprise_scope()
        return Enterprise(uscc=uscc)

    @strawberry.field(description="Person data for the portal: every field needs a consent "
                                  "covering it.")
    def person(self, info: Info[RequestContext, None],
               id: ResidentId) -> Person | None:
        gateway = info.context.gateway
        gateway.person_scope()
        gateway.touch_person(str(id))
        return Person(id=str(id))

    @strawberry.field(description="Pre-fill the form of a 'one thing' matter from shared data: "
                                  "`subjects` by role (an enterprise by USCC, a newborn by its "
                                  "birth medical certificate number), or `applicant` for the "
                                  "matter's first role.")
    async def prefill(self, info: Info[RequestContext, None], matter: str,
                      applicant: ResidentId | None = None,
                      subjects: list[SubjectInput] | None = None) -> Prefill:
        return await resolve_prefill(info, matter, None if applicant is None else str(applicant),
                                     subjects)

    @strawberry.field(description="The registered 'one things' and the data each needs.")
    def matters(self, info: Info[RequestContext, None]) -> list[MatterType]:
        return matters_of(info)

    @strawberry.field(description="Audit entries, newest first (auditors only).")
    async def audit_entries(self, info: Info[RequestContext, None],
                            filter: AuditFilter | None = None,
                            first: int = 50, after: str | None = None) -> AuditEntryConnection:
        return await resolve_entries(info, filter, first, after)

    @strawberry.field(description="Chain and checkpoint status of the audit log (auditors "
                                  "only).")
    async def audit_verification(self, info: Info[RequestContext, None]) -> AuditVerification:
        return await resolve_verification(info)

    @strawberry.field(description="Who used this subject's data, when and why (the portal, "
                                  "for the logged-in subject, purpose SUBJECT_ACCESS).")
    async def my_access_log(self, info: Info[RequestContext, None],
                            subject: ResidentId,
                            first: int = 50, after: str | None = None) -> AuditEntryConnection:
        return await resolve_access_log(info, str(subject), first, after)

    @strawberry.field(description="Catalogue and live state of every connector.")
    def sources(self, info: Info[RequestContext, None]) -> list[Source]:
        return [Source(
            name=cfg.name, department=cfg.department, check=cfg.check, domain=cfg.domain,
            transport=cfg.transport, enabled=cfg.enabled, timeout_s=cfg.timeout_s,
            max_batch=cfg.max_batch,
            last_status=SourceStatus(state.last_status) if state.last_status else None,
            consecutive_failures=state.consecutive_failures, circuit=state.breaker.state)
            for cfg, state in info.context.gateway.source_states()]
