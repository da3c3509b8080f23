"""Consent management on the GraphQL surface: `grantConsent` (the portal, or a window for a
consent signed on paper) and `revokeConsent` (the portal).

`grantConsent` refuses anything outside the purpose's caps with a message naming the cap; the
input carries no status, signature, key id, use counter or creation time — the hub sets those.
A consent's subject is a person (`subject`, stored by pseudonym) or an enterprise (`enterprise`,
its USCC: the enterprise's authorisation, given by its `legalRepresentative`). A minor's consent
is given by a `guardian`. A window records a consent the applicant signed on paper at its
counter: the clerk's `operator` id and the `paperForm` reference are required and signed into it.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from enum import Enum

import strawberry
from strawberry.types import Info

from connectors.catalogue import ENTERPRISE_CATEGORIES
from consent.artefact import Consent, Provenance
from consent.catalogue import Matter
from schema.context import RequestContext, path_of
from schema.errors import BadUserInput
from schema.scalars import USCC, ResidentId

__all__ = [
    "ConsentChannel",
    "ConsentStatus",
    "ConsentType",
    "FetchType",
    "GrantConsentInput",
    "GrantorRole",
    "Mutation",
    "SubjectKind",
]

_OPERATOR = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
_PAPER_FORM = re.compile(r"^[\w\-/()（）〔〕\[\]]{4,64}$")
_ADULT = 18


@strawberry.enum
class FetchType(Enum):
    ONE_TIME = "ONE_TIME"
    REUSABLE = "REUSABLE"


@strawberry.enum
class ConsentStatus(Enum):
    ACTIVE = "ACTIVE"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"
    EXHAUSTED = "EXHAUSTED"


@strawberry.enum(description="Whose data a consent covers.")
class SubjectKind(Enum):
    PERSON = "person"
    ENTERPRISE = "enterprise"


@strawberry.enum(description="Who gave a consent.")
class GrantorRole(Enum):
    SELF = "SELF"
    GUARDIAN = "GUARDIAN"
    LEGAL_REPRESENTATIVE = "LEGAL_REPRESENTATIVE"


@strawberry.enum(name="ConsentChannel", description="Online on the portal, or on paper at a "
                                                   "window.")
class ConsentChannel(Enum):
    ONLINE = "ONLINE"
    WINDOW = "WINDOW"


@strawberry.type(name="Consent", description="A signed consent artefact.")
class ConsentType:
    id: strawberry.ID
    status: ConsentStatus
    grantee: str
    purpose: str
    categories: list[str]
    valid_from: dt.datetime
    valid_until: dt.datetime
    fetch_type: FetchType
    uses_left: int | None
    created_at: dt.datetime
    signature: str
    key_id: str
    subject_kind: SubjectKind
    grantor_role: GrantorRole
    channel: ConsentChannel
    operator: str | None
    paper_form: str | None
    application: str | None = strawberry.field(
        default=None, description="the application (X-Hub-Application) it was recorded for")

    @classmethod
    def of(cls, c: Consent, now: dt.datetime, application: str | None = None) -> ConsentType:
        p = c.provenance
        return cls(id=strawberry.ID(c.id), status=ConsentStatus(c.status(now)),
                   grantee=c.grantee, purpose=c.purpose, categories=list(c.categories),
                   valid_from=c.valid_from, valid_until=c.valid_until,
                   fetch_type=FetchType(c.fetch_type), uses_left=c.uses_left(),
                   created_at=c.created_at, signature=c.signature, key_id=c.key_id,
                   subject_kind=SubjectKind(p.subject_kind),
                   grantor_role=GrantorRole(p.grantor_role), channel=ConsentChannel(p.channel),
                   operator=p.operator, paper_form=p.paper_form, application=application)


@strawberry.input
class GrantConsentInput:
    purpose: str
    grantee: str
    categories: list[str]
    subject: ResidentId | None = strawberry.field(default=None, description="the person whose "
                                                  "data it is")
    enterprise: USCC | None = strawberry.field(default=None, description="or the enterprise "
                                               "whose data it is (its authorisation)")
    valid_until: dt.datetime | None = None
    fetch_type: FetchType = FetchType.ONE_TIME
    max_uses: int | None = None
    guardian: ResidentId | None = strawberry.field(default=None, description="the guardian "
                                                   "who consents for a minor")
    legal_representative: ResidentId | None = strawberry.field(
        default=None, description="who authorises for the enterprise")
    operator: str | None = strawberry.field(default=None, description="the window clerk who "
                                            "recorded a paper consent")
    paper_form: str | None = strawberry.field(default=None, description="the reference of the "
                                              "signed paper form")


@dataclass(frozen=True, slots=True)
class _Grant:
    matter: Matter
    until: dt.datetime
    uses: int
    grantor: str | None  # the guardian's or legal representative's resident ID


def _age(resident_id: str, today: dt.date) -> int:
    born = dt.date(int(resident_id[6:10]), int(resident_id[10:12]), int(resident_id[12:14]))
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _matter(ctx: RequestContext, data: GrantConsentInput) -> Matter:
    matter = ctx.matters.get(data.purpose)
    if matter is None:
        raise BadUserInput(f"input.purpose: {data.purpose!r} is not a registered matter; "
                           "the matters query lists them")
    if matter.legal_basis != "CONSENT":
        raise BadUserInput(f"input.purpose: {data.purpose} rests on a statutory duty and takes "
                           "no consent")
    if data.grantee not in matter.callers:
        raise BadUserInput(f"input.grantee: {data.grantee!r} may not use {matter.code} "
                           f"(allowed: {', '.join(sorted(matter.callers))})")
    return matter


def _categories(matter: Matter, data: GrantConsentInput) -> None:
    if not data.categories:
        raise BadUserInput("input.categories: name at least one data category")
    outside = [c for c in data.categories if not matter.releases(c)]
    if outside:
        raise BadUserInput(f"input.categories: {matter.code} does not release {outside[0]!r} "
                           f"(it releases {', '.join(matter.categories)})")
    if len(set(data.categories)) != len(data.categories):
        raise BadUserInput("input.categories: a category is named twice")
    enterprise = data.enterprise is not None
    wrong = [c for c in data.categories if (c in ENTERPRISE_CATEGORIES) != enterprise]
    if wrong:
        kind = "an enterprise's" if enterprise else "a person's"
        raise BadUserInput(f"input.categories: {wrong[0]!r} is not {kind} data; a consent "
                           "covers the data of its own subject")


def _grantor(ctx: RequestContext, data: GrantConsentInput) -> str | None:
    """Who gives the consent when the subject cannot: a minor's guardian, an enterprise's
    legal representative."""
    if (data.subject is None) == (data.enterprise is None):
        raise BadUserInput("input.subject: give the person (subject) or the enterprise "
                           "(enterprise) whose data the consent covers, one of them")
    if data.enterprise is not None:
        if data.guardian is not None:
            raise BadUserInput("input.guardian: an enterprise is represented by its legal "
                               "representative, not a guardian")
        if data.legal_representative is None:
            raise BadUserInput("input.legalRepresentative: an enterprise's authorisation is "
                               "given by its legal representative; give their resident ID")
        return str(data.legal_representative)
    subject = str(data.subject)
    if data.legal_representative is not None:
        raise BadUserInput("input.legalRepresentative: only an enterprise's authorisation names "
                           "a legal representative")
    today = ctx.now.date()
    if data.guardian is None:
        if _age(subject, today) < _ADULT:
            raise BadUserInput("input.guardian: the subject is a minor; a guardian consents "
                               "for them (give the guardian's resident ID)")
        return None
    guardian = str(data.guardian)
    if guardian == subject:
        raise BadUserInput("input.guardian: a guardian is someone other than the subject")
    if _age(guardian, today) < _ADULT:
        raise BadUserInput("input.guardian: a guardian must be an adult")
    return guardian


def _channel(ctx: RequestContext, data: GrantConsentInput) -> None:
    window = ctx.caller.role == "window"
    if window and data.grantee != ctx.caller.name:
        raise BadUserInput(f"input.grantee: a window records consents for itself "
                           f"({ctx.caller.name}), not for {data.grantee!r}")
    if window and data.paper_form is None:
        raise BadUserInput("input.paperForm: a window records a consent the applicant signed on "
                           "paper; give the reference of the signed form")
    if data.paper_form is None and data.operator is None:
        return
    if data.paper_form is None:
        raise BadUserInput("input.paperForm: an operator records a paper consent; give the "
                           "reference of the signed form")
    if not _PAPER_FORM.match(data.paper_form):
        raise BadUserInput("input.paperForm: 4 to 64 letters, digits and - / ( ) 〔 〕, e.g. "
                           "XZSP-2026-000123")
    if data.operator is None:
        raise BadUserInput("input.operator: a paper consent names the window clerk who "
                           "recorded it; give the operator id")
    if not _OPERATOR.match(data.operator):
        raise BadUserInput("input.operator: 1 to 64 letters, digits and . _ @ -")


def _checked(ctx: RequestContext, data: GrantConsentInput) -> _Grant:
    matter = _matter(ctx, data)
    grantor = _grantor(ctx, data)
    _categories(matter, data)
    _channel(ctx, data)
    fetch = data.fetch_type.value
    if fetch not in matter.fetch_types:
        raise BadUserInput(f"input.fetchType: {matter.code} allows only "
                           f"{', '.join(matter.fetch_types)}")
    cap = ctx.now + dt.timedelta(days=matter.max_validity_days)
    until = data.valid_until or cap
    if until.tzinfo is None:
        raise BadUserInput("input.validUntil: give a time zone offset (ISO 8601)")
    if until > cap:
        raise BadUserInput(f"input.validUntil: {matter.code} consents last at most "
                           f"{matter.max_validity_days} days (until {cap.isoformat()})")
    if until <= ctx.now:
        raise BadUserInput("input.validUntil: must be in the future")
    if fetch == "ONE_TIME":
        if data.max_uses not in (None, 1):
            raise BadUserInput("input.maxUses: a ONE_TIME consent is used once; omit maxUses")
        uses = 1
    else:
        uses = matter.max_uses if data.max_uses is None else data.max_uses
        if not 1 <= uses <= matter.max_uses:
            raise BadUserInput(f"input.maxUses: {matter.code} allows 1 to {matter.max_uses} "
                               "uses")
    return _Grant(matter, until, uses, grantor)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Record a subject's consent: the portal, or a window for "
                                     "a consent signed on paper (operator and paperForm "
                                     "required).")
    async def grant_consent(self, info: Info[RequestContext, None],
                            input: GrantConsentInput) -> ConsentType:
        ctx = info.context
        gateway = ctx.gateway
        gateway.require_granter()
        grant = _checked(ctx, input)
        now = ctx.now.astimezone(dt.UTC)
        enterprise = input.enterprise is not None
        provenance = Provenance(
            subject_kind="enterprise" if enterprise else "person",
            granted_by=None if grant.grantor is None else gateway.pseudonym(grant.grantor),
            grantor_role=("LEGAL_REPRESENTATIVE" if enterprise else
                          "GUARDIAN" if grant.grantor else "SELF"),
            channel="WINDOW" if input.paper_form else "ONLINE", operator=input.operator,
            paper_form=input.paper_form)
        subject = str(input.enterprise) if enterprise else gateway.pseudonym(str(input.subject))
        unsigned = Consent(
            id="cst_" + uuid.uuid4().hex, subject=subject, grantee=input.grantee,
            purpose=grant.matter.code, categories=tuple(sorted(input.categories)),
            valid_from=now, valid_until=grant.until.astimezone(dt.UTC),
            fetch_type=input.fetch_type.value, max_uses=grant.uses, created_at=now, key_id="",
            signature="", provenance=provenance)
        consent = await gateway.grant_consent(path_of(info), unsigned)
        return ConsentType.of(consent, ctx.now, gateway.application_id())

    @strawberry.mutation(description="Withdraw a consent (portal only); idempotent.")
    async def revoke_consent(self, info: Info[RequestContext, None],
                             id: strawberry.ID) -> ConsentType:
        ctx = info.context
        consent = await ctx.gateway.revoke_consent(path_of(info), str(id))
        if consent is None:
            raise BadUserInput(f"id: no consent {id}")
        return ConsentType.of(consent, ctx.now)
