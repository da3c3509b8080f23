"""Objections on the GraphQL surface: `raiseObjection`, `objection(id)`, `objections(filter)`.

The portal or a window raises an objection for a subject, under the purpose DATA_OBJECTION: for a
person with a consent of that person covering the disputed data (X-Hub-Consent), for an
enterprise as the enterprise itself, about a report it was given. The input names what is
disputed: for a person a `path` as the hub answered it (`householdRegistration.address`,
`household.address`, `property[0].area_m2`), for an enterprise a `reportNo` with the `domain`
(and the `source`, where a domain has two). Raising the same objection again gives the first
back (`created: false`). Reading: the portal and windows see their own, auditors all.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from connectors.catalogue import CATEGORY_RECORDS, ENTERPRISE_CATEGORIES, PERSON_CATEGORIES
from connectors.identifiers import InvalidIdentifier, verify_subject
from connectors.records import RECORD_TYPES
from objection.model import STATUSES, Event, Objection
from objection.store import ObjectionFilter
from schema.audit_api import subject_keys
from schema.context import RequestContext, path_of
from schema.errors import BadUserInput
from schema.gateway import ObjectionDraft
from schema.person import (
    BirthCertificate,
    CreditReport,
    DisabilityCertificate,
    EducationRecord,
    HouseholdRegistration,
    LowIncomeStatus,
    MarriageRecord,
    ResidencePermit,
    SocialInsuranceRecord,
)
from schema.records import PropertyRecord, Vehicle
from workdays.calendar import CHINA

__all__ = ["MAX_PAGE", "ObjectionEvent", "ObjectionFilterInput", "ObjectionMutations",
           "ObjectionPage", "ObjectionQueries", "ObjectionStatus", "ObjectionType",
           "RaiseObjectionInput", "parse_enterprise_path", "parse_path"]

MAX_PAGE = 200
# Person fields as the hub answers them: GraphQL field name -> (category, record type).
_PERSON_FIELDS: dict[str, tuple[str, type[Any]]] = {
    "householdRegistration": ("household", HouseholdRegistration),
    "residencePermit": ("residence_permit", ResidencePermit),
    "propertyCertificates": ("property", PropertyRecord),
    "socialInsuranceRecord": ("social_insurance", SocialInsuranceRecord),
    "marriage": ("marriage", MarriageRecord), "lowIncomeStatus": ("low_income", LowIncomeStatus),
    "education": ("education", EducationRecord),
    "birthCertificate": ("birth_certificate", BirthCertificate),
    "disabilityCertificate": ("disability", DisabilityCertificate),
    "creditReport": ("credit", CreditReport), "vehicles": ("vehicles", Vehicle),
}
_BY_CATEGORY = {category: cls for category, cls in _PERSON_FIELDS.values()}
_SEGMENT = re.compile(r"^([A-Za-z_]+)(\[\d{1,3}\])?$")
_NOT_FIELDS = {"disputed", "objection_ids"}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def parse_path(path: str) -> tuple[str, str | None]:
    """(category, field) of a person-data path; raise BadUserInput naming what is wrong."""
    parts = path.strip().split(".")
    if parts and parts[0] in ("person", "prefill", "fields"):
        parts = parts[1:]
    if not parts or len(parts) > 2 or not all(_SEGMENT.match(p) for p in parts):
        raise BadUserInput("input.path: a person field as the hub answered it, e.g. "
                           "householdRegistration.address or household.address")
    head = _SEGMENT.match(parts[0])
    name = head.group(1) if head else ""
    if name in _PERSON_FIELDS:
        category, cls = _PERSON_FIELDS[name]
    elif name in _BY_CATEGORY:
        category, cls = name, _BY_CATEGORY[name]
    else:
        raise BadUserInput(f"input.path: {name!r} is not person data (categories: "
                           f"{', '.join(PERSON_CATEGORIES)})")
    if len(parts) == 1:
        return category, None
    leaf = _SEGMENT.match(parts[1])
    field = _snake(leaf.group(1)) if leaf else ""
    known = sorted({f.name for f in dataclasses.fields(cls)} - _NOT_FIELDS)
    if field not in known:
        raise BadUserInput(f"input.path: {category} data has no field {parts[1]!r} (fields: "
                           f"{', '.join(known)})")
    return category, field


def parse_enterprise_path(path: str) -> tuple[str, str | None]:
    """(category, field) of an enterprise-data path (`business_licence.address`)."""
    parts = path.strip().split(".")
    if parts and parts[0] in ("enterprise", "prefill"):
        parts = parts[1:]
    category = parts[0] if parts else ""
    if len(parts) > 2 or category not in ENTERPRISE_CATEGORIES:
        raise BadUserInput(f"input.path: {category!r} is not enterprise data (categories: "
                           f"{', '.join(ENTERPRISE_CATEGORIES)})")
    if len(parts) == 1:
        return category, None
    known = sorted(f.name for f in RECORD_TYPES[CATEGORY_RECORDS[category]])
    field = _snake(parts[1])
    if field not in known:
        raise BadUserInput(f"input.path: {category} data has no field {parts[1]!r} (fields: "
                           f"{', '.join(known)})")
    return category, field


@strawberry.enum(description="Where an objection stands. OVERDUE: open past its deadline.")
class ObjectionStatus(Enum):
    RECEIVED = "RECEIVED"
    FORWARDED = "FORWARDED"
    CORRECTED = "CORRECTED"
    REJECTED = "REJECTED"
    OVERDUE = "OVERDUE"


@strawberry.input
class RaiseObjectionInput:
    subject: str = strawberry.field(description="the resident ID or USCC whose data it is")
    reason: str
    path: str | None = strawberry.field(default=None, description="person data, as answered")
    report_no: str | None = strawberry.field(default=None,
                                             description="an enterprise's check report")
    domain: str | None = strawberry.field(default=None, description="with reportNo")
    source: str | None = strawberry.field(default=None, description="with reportNo, where the "
                                          "domain has two sources")
    record_ref: str | None = strawberry.field(default=None, description="the record disputed, "
                                              "e.g. a decision number")
    evidence: list[str] = strawberry.field(default_factory=list, description="references to "
                                           "the evidence (document numbers, file digests)")


@strawberry.input
class ObjectionFilterInput:
    subject: str | None = None
    status: ObjectionStatus | None = None
    department: str | None = None
    application: str | None = None


@strawberry.type
class ObjectionEvent:
    at: dt.datetime
    kind: str
    note: str


@strawberry.type(name="Objection")
class ObjectionType:
    id: strawberry.ID
    status: ObjectionStatus
    subject_kind: str
    item: str = strawberry.field(description="the data category or check domain disputed")
    field: str | None
    report_no: str | None
    record_ref: str | None
    source: str | None
    department: str
    reason: str
    evidence: list[str]
    raised_by: str
    raised_at: dt.datetime
    deadline: dt.datetime = strawberry.field(description="answer due before this instant "
                                             "(5 working days, China time)")
    desk_ref: str | None = strawberry.field(description="the department's own number")
    answered_at: dt.datetime | None
    answer_note: str | None
    answered_late: bool
    application: str | None
    created: bool = strawberry.field(description="false: the same objection had been raised "
                                                 "before, and this is it")
    history: list[ObjectionEvent]

    @classmethod
    def of(cls, o: Objection, now: dt.datetime, history: list[Event] | None = None,
           created: bool = False) -> ObjectionType:
        t = o.target
        answered = o.answered_at.astimezone(CHINA) if o.answered_at else None
        return cls(id=strawberry.ID(o.id), status=ObjectionStatus(o.status(now)),
                   subject_kind=t.subject_kind, item=t.item, field=t.field,
                   report_no=t.report_no, record_ref=t.record_ref, source=t.source,
                   department=o.department, reason=o.reason, evidence=list(o.evidence),
                   raised_by=o.raised_by, raised_at=o.raised_at.astimezone(CHINA),
                   deadline=o.deadline.astimezone(CHINA), desk_ref=o.desk_ref,
                   answered_at=answered, answer_note=o.answer_note,
                   answered_late=o.answered_late, application=o.application, created=created,
                   history=[ObjectionEvent(at=e.at.astimezone(CHINA), kind=e.kind, note=e.note)
                            for e in history or ()])


@strawberry.type
class ObjectionPage:
    items: list[ObjectionType]
    total_count: int


def _text(where: str, value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > limit or any(not c.isprintable() and c not in "\n"
                                              for c in value):
        raise BadUserInput(f"input.{where}: 1 to {limit} printable characters")
    return value


def _draft(ctx: RequestContext, data: RaiseObjectionInput) -> ObjectionDraft:
    reason = _text("reason", data.reason, 1000) or ""
    if len(data.evidence) > 20:
        raise BadUserInput("input.evidence: at most 20 references")
    evidence = tuple(_text("evidence", e, 256) or "" for e in data.evidence)
    record_ref = _text("recordRef", data.record_ref, 128)
    try:
        number, kind = verify_subject(data.subject, today=ctx.now.date())
    except InvalidIdentifier as exc:
        raise BadUserInput(f"input.subject: {exc}") from None
    uscc = number if kind == "enterprise" else None
    if uscc is not None and data.path is not None:
        if data.report_no is not None or data.domain is not None:
            raise BadUserInput("input: for an enterprise give path (its data as the hub "
                               "answered it) or reportNo and domain (a check report), not both")
        category, field = parse_enterprise_path(data.path)
        return ObjectionDraft(uscc, "enterprise", category, field, None, record_ref, None,
                              reason, evidence)
    if uscc is not None:
        if not data.report_no or not data.domain:
            raise BadUserInput("input: for an enterprise give reportNo and domain (the report "
                               "and the domain whose record is wrong), or path")
        return ObjectionDraft(uscc, "enterprise", _text("domain", data.domain, 64) or "", None,
                              _text("reportNo", data.report_no, 64), record_ref,
                              _text("source", data.source, 64), reason, evidence)
    if data.path is None or data.report_no is not None or data.domain is not None:
        raise BadUserInput("input: for a person give path (the field as the hub answered it), "
                           "not reportNo or domain")
    category, field = parse_path(data.path)
    return ObjectionDraft(number, "person", category, field, None, record_ref, None, reason,
                          evidence)


@strawberry.type
class ObjectionMutations:
    @strawberry.mutation(description="Object to shared data (portal or window, purpose "
                                     "DATA_OBJECTION): stored with this request's audit entry "
                                     "(RECEIVED), then forwarded to the department that holds "
                                     "the record. The same objection again gives the first.")
    async def raise_objection(self, info: Info[RequestContext, None],
                              input: RaiseObjectionInput) -> ObjectionType:
        ctx = info.context
        objection, created = await ctx.gateway.raise_objection(path_of(info), _draft(ctx, input))
        return ObjectionType.of(objection, ctx.now, created=created)


@strawberry.type
class ObjectionQueries:
    @strawberry.field(description="One objection and its history (the portal or a window: its "
                                  "own; auditors: any).")
    async def objection(self, info: Info[RequestContext, None],
                        id: strawberry.ID) -> ObjectionType:
        ctx = info.context
        found, history = await ctx.gateway.objection(path_of(info), str(id))
        return ObjectionType.of(found, ctx.now, history)

    @strawberry.field(description="Objections, newest first (the portal or a window: its own; "
                                  "auditors: all, e.g. status OVERDUE).")
    async def objections(self, info: Info[RequestContext, None],
                         filter: ObjectionFilterInput | None = None, first: int = 50,
                         offset: int = 0) -> ObjectionPage:
        ctx = info.context
        if not 1 <= first <= MAX_PAGE or offset < 0:
            raise BadUserInput(f"first: 1 to {MAX_PAGE}; offset: 0 or more")
        f = filter or ObjectionFilterInput()
        search = ObjectionFilter(
            subjects=subject_keys(ctx, f.subject) if f.subject else (),
            status=next((s for s in STATUSES if f.status and s == f.status.value), None),
            department=f.department,
            application=f.application)
        found, total = await ctx.gateway.objections(path_of(info), search, first=first,
                                                    offset=offset)
        return ObjectionPage(items=[ObjectionType.of(o, ctx.now) for o in found],
                             total_count=total)
