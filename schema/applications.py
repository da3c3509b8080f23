"""Applications on the GraphQL surface: `openApplication`, `application(id)`, `closeApplication`.

A calling system opens an application of a matter for its subjects and sends its id as
`X-Hub-Application` with every request that serves it; the audit log ties those requests to it,
and consents, prefill answers, check reports, licences and objections carry it. `application(id)`
shows its status and a timeline of what the hub did for it: every request tied to it (from the
audit log: who, when, what was released or refused) and every step of its objections. The hub
records what it did; it does not approve or refuse the case. An unknown id and another caller's
get the same answer.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

import strawberry
from strawberry.types import Info

from application.store import Application
from audit.entry import parse_time
from connectors.identifiers import InvalidIdentifier, verify_subject
from objection.model import Event, Objection
from schema.context import RequestContext, path_of
from schema.errors import BadUserInput
from workdays.calendar import CHINA

__all__ = ["MAX_PARTIES", "ApplicationMutations", "ApplicationQueries", "ApplicationType", "PartyInput",
           "PartyType", "TimelineItem", "timeline"]

_ROLE = re.compile(r"^[a-z][a-z_]{0,31}$")
MAX_PARTIES = 10
# What a request did, by the top-level field of its released or refused paths.
_KINDS = {
    "openApplication": "OPENED", "grantConsent": "CONSENT_GRANTED",
    "revokeConsent": "CONSENT_REVOKED", "prefill": "PREFILLED", "person": "PERSON_DATA",
    "complianceCheck": "CHECKED", "complianceChecks": "CHECKED",
    "licence": "LICENCE_VERIFIED", "licences": "LICENCE_VERIFIED",
    "raiseObjection": "OBJECTION_RAISED", "objection": "OBJECTION_LOOKED_UP",
    "objections": "OBJECTION_LOOKED_UP", "closeApplication": "CLOSED",
    "application": "LOOKED_UP",
}


@strawberry.input
class PartyInput:
    role: str = strawberry.field(description="applicant, child, guardian, spouse, enterprise, "
                                             "legal_representative, …")
    id: str = strawberry.field(description="a resident ID or a USCC")


@strawberry.type(name="Party")
class PartyType:
    role: str
    kind: str


@strawberry.type
class TimelineItem:
    at: dt.datetime
    kind: str = strawberry.field(description="OPENED, CONSENT_GRANTED, PREFILLED, CHECKED, "
                                 "LICENCE_VERIFIED, OBJECTION_RAISED, OBJECTION_FORWARDED, "
                                 "OBJECTION_CORRECTED, …")
    caller: str | None
    operator: str | None
    outcome: str | None = strawberry.field(description="for a request: ALLOWED, PARTIAL, "
                                                       "DENIED or FAILED")
    summary: str
    refs: list[str]


@strawberry.type(name="Application")
class ApplicationType:
    id: strawberry.ID
    matter: str
    status: str = strawberry.field(description="OPEN or CLOSED (as the caller marked it; the "
                                               "hub does not decide cases)")
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    operator: str | None
    parties: list[PartyType]
    open_objections: int
    timeline: list[TimelineItem]

    @classmethod
    def of(cls, app: Application, items: list[TimelineItem] | None = None,
           open_objections: int = 0) -> ApplicationType:
        return cls(id=strawberry.ID(app.id), matter=app.matter, status=app.status,
                   opened_at=app.opened_at, closed_at=app.closed_at, operator=app.operator,
                   parties=[PartyType(role=p.role, kind=p.kind) for p in app.parties],
                   open_objections=open_objections, timeline=items or [])


def _request_item(body: dict[str, Any]) -> TimelineItem:
    paths = [*body["released"], *(d["path"] for d in body["denied"])]
    heads = list(dict.fromkeys(p.split(".")[0] for p in paths if p))
    kind = next((_KINDS[h] for h in heads if h in _KINDS), "REQUEST")
    refused = [f"{d['path'] or '(request)'}: {d['code']}" for d in body["denied"]]
    summary = (f"提供 (released): {', '.join(body['released'])}" if body["released"] else
               "未提供数据 (nothing released)") + (f"；拒绝 (refused): {', '.join(refused)}"
                                                  if refused else "")
    return TimelineItem(at=parse_time(body["time"]).astimezone(CHINA), kind=kind,
                        caller=body["caller"],
                        operator=body["operator"], outcome=body["outcome"], summary=summary,
                        refs=[*body.get("refs", []),
                              *(f"consent:{c}" for c in body["consentIds"])])


def timeline(rows: list[tuple[int, dict[str, Any], str]],
             objections: list[tuple[Objection, list[Event]]]) -> list[TimelineItem]:
    """Requests (from the audit log) and objection steps, oldest first."""
    items = [_request_item(body) for _, body, _ in rows]
    for o, history in objections:
        items += [TimelineItem(at=e.at.astimezone(CHINA), kind=f"OBJECTION_{e.kind}",
                               caller=None, operator=None,
                               outcome=None, summary=f"{o.department}: {e.note}",
                               refs=[f"objection:{o.id}"])
                  for e in history if e.kind != "RECEIVED"]
    return sorted(items, key=lambda i: i.at)


def _parties(ctx: RequestContext, subjects: list[PartyInput]
             ) -> list[tuple[str, str, Literal["person", "enterprise"]]]:
    if not 1 <= len(subjects) <= MAX_PARTIES:
        raise BadUserInput(f"subjects: 1 to {MAX_PARTIES} subjects, each with a role")
    out: list[tuple[str, str, Literal["person", "enterprise"]]] = []
    for i, party in enumerate(subjects):
        if not _ROLE.match(party.role):
            raise BadUserInput(f"subjects[{i}].role: lower-case letters and _, e.g. applicant")
        try:
            out.append((party.role, *verify_subject(party.id, today=ctx.now.date())))
        except InvalidIdentifier as exc:
            raise BadUserInput(f"subjects[{i}].id: {exc}") from None
    if len({(r, i) for r, i, _ in out}) != len(out):
        raise BadUserInput("subjects: a subject is named twice in the same role")
    return out


@strawberry.type
class ApplicationMutations:
    @strawberry.mutation(description="Open an application of a matter for its subjects; send "
                                     "its id as X-Hub-Application with the requests that serve "
                                     "it.")
    async def open_application(self, info: Info[RequestContext, None], matter: str,
                               subjects: list[PartyInput]) -> ApplicationType:
        ctx = info.context
        found = ctx.matters.get(matter)
        if found is None:
            raise BadUserInput(f"matter: {matter!r} is not a registered matter; the matters "
                               "query lists them")
        app = ctx.gateway.open_application(path_of(info), found, _parties(ctx, subjects))
        return ApplicationType.of(app)

    @strawberry.mutation(description="Mark an application closed (its case is decided "
                                     "elsewhere); requests can no longer be tied to it.")
    async def close_application(self, info: Info[RequestContext, None],
                                id: strawberry.ID) -> ApplicationType:
        app = await info.context.gateway.close_application(path_of(info), str(id))
        return ApplicationType.of(app)


@strawberry.type
class ApplicationQueries:
    @strawberry.field(description="An application: its status and a timeline of what the hub "
                                  "did for it (the caller that opened it; auditors).")
    async def application(self, info: Info[RequestContext, None],
                          id: strawberry.ID) -> ApplicationType:
        ctx = info.context
        app, (rows, _, _), objections = await ctx.gateway.application(path_of(info), str(id))
        still_open = sum(1 for o, _ in objections if o.open)
        return ApplicationType.of(app, timeline(list(reversed(rows)), objections), still_open)
