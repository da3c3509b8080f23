"""Consent management (portal only) and the purpose catalogue, on the GraphQL surface.

`grantConsent` refuses anything outside the purpose's caps with a message naming the cap; the
input carries no status, signature, key id, use counter or creation time — the hub sets those.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import Enum

import strawberry
from strawberry.types import Info

from consent.artefact import Consent
from consent.catalogue import Matter
from schema.context import RequestContext, path_of
from schema.errors import BadUserInput
from schema.scalars import ResidentId

__all__ = [
    "ConsentStatus",
    "ConsentType",
    "FetchType",
    "GrantConsentInput",
    "MatterType",
    "Mutation",
    "matters_of",
]


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

    @classmethod
    def of(cls, c: Consent, now: dt.datetime) -> ConsentType:
        return cls(id=strawberry.ID(c.id), status=ConsentStatus(c.status(now)),
                   grantee=c.grantee, purpose=c.purpose, categories=list(c.categories),
                   valid_from=c.valid_from, valid_until=c.valid_until,
                   fetch_type=FetchType(c.fetch_type), uses_left=c.uses_left(),
                   created_at=c.created_at, signature=c.signature, key_id=c.key_id)


@strawberry.input
class GrantConsentInput:
    subject: ResidentId
    purpose: str
    grantee: str
    categories: list[str]
    valid_until: dt.datetime | None = None
    fetch_type: FetchType = FetchType.ONE_TIME
    max_uses: int | None = None


@strawberry.type(name="Matter", description="A registered purpose: a 'one thing' or a check.")
class MatterType:
    code: str
    title: str
    legal_basis: str
    callers: list[str]
    categories: list[str]
    max_validity_days: int
    fetch_types: list[str]
    max_uses: int


def matters_of(info: Info[RequestContext, None]) -> list[MatterType]:
    return [MatterType(code=m.code, title=m.title, legal_basis=m.legal_basis,
                       callers=sorted(m.callers), categories=list(m.categories),
                       max_validity_days=m.max_validity_days, fetch_types=list(m.fetch_types),
                       max_uses=m.max_uses)
            for m in info.context.matters.values()]


def _checked(ctx: RequestContext, data: GrantConsentInput) -> tuple[Matter, dt.datetime, int]:
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
    if not data.categories:
        raise BadUserInput("input.categories: name at least one data category")
    outside = [c for c in data.categories if not matter.releases(c)]
    if outside:
        raise BadUserInput(f"input.categories: {matter.code} does not release {outside[0]!r} "
                           f"(it releases {', '.join(matter.categories)})")
    if len(set(data.categories)) != len(data.categories):
        raise BadUserInput("input.categories: a category is named twice")
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
    return matter, until, uses


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Record a subject's consent (portal only).")
    async def grant_consent(self, info: Info[RequestContext, None],
                            input: GrantConsentInput) -> ConsentType:
        ctx = info.context
        ctx.gateway.require_portal()
        matter, until, uses = _checked(ctx, input)
        now = ctx.now.astimezone(dt.UTC)
        unsigned = Consent(
            id="cst_" + uuid.uuid4().hex, subject=ctx.gateway.pseudonym(str(input.subject)),
            grantee=input.grantee, purpose=matter.code, categories=tuple(sorted(input.categories)),
            valid_from=now, valid_until=until.astimezone(dt.UTC),
            fetch_type=input.fetch_type.value, max_uses=uses, created_at=now, key_id="",
            signature="")
        consent = await ctx.gateway.grant_consent(path_of(info), unsigned)
        return ConsentType.of(consent, ctx.now)

    @strawberry.mutation(description="Withdraw a consent (portal only); idempotent.")
    async def revoke_consent(self, info: Info[RequestContext, None],
                             id: strawberry.ID) -> ConsentType:
        ctx = info.context
        consent = await ctx.gateway.revoke_consent(path_of(info), str(id))
        if consent is None:
            raise BadUserInput(f"id: no consent {id}")
        return ConsentType.of(consent, ctx.now)
