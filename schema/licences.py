"""Electronic licences on the GraphQL surface: `licence(type, number, holder)` and
`licences(holder, types, expiringWithinDays)`.

A window that would ask for a paper licence asks the hub instead: the gateway decides (a
person's licence is person data and needs the person's consent; an enterprise's licence is
public registration information, available under any purpose the caller is registered for),
fetches it from the licence library and verifies it here. The answer's `verification` says what
the hub found — VALID, NOT_YET_VALID, EXPIRED, REVOKED, BAD_SIGNATURE or UNKNOWN_ISSUER — and
`replacesPaper` is true only for VALID. A licence whose signature did not verify carries no
content: nothing it claims is shown. `null`: the holder holds no licence of that type and number
(the same answer when the number is somebody else's).
"""

from __future__ import annotations

import datetime as dt
from enum import Enum

import strawberry
from strawberry.types import Info

from connectors.identifiers import InvalidIdentifier, verify_resident_id, verify_uscc
from licence.catalogue import LICENCE_TYPES
from licence.catalogue import LicenceType as Kind
from licence.verify import CHINA
from schema.context import RequestContext, path_of
from schema.errors import BadUserInput
from schema.licence_answers import LicenceFinding
from signing.canonical import canonical

__all__ = ["MAX_DAYS", "Licence", "LicenceDetail", "LicenceQueries", "LicenceType", "Verification"]

MAX_DAYS = 3650


@strawberry.enum(description="Kinds of electronic licence (licence.catalogue).")
class LicenceType(Enum):
    BUSINESS_LICENCE = "BUSINESS_LICENCE"  # 营业执照
    FOOD_BUSINESS_PERMIT = "FOOD_BUSINESS_PERMIT"  # 食品经营许可证
    ROAD_TRANSPORT_PERMIT = "ROAD_TRANSPORT_PERMIT"  # 道路运输经营许可证
    PROPERTY_CERTIFICATE = "PROPERTY_CERTIFICATE"  # 不动产权证书
    DISABILITY_CERTIFICATE = "DISABILITY_CERTIFICATE"  # 残疾人证


@strawberry.enum(description="What the hub found when it verified the licence.")
class Verification(Enum):
    VALID = "VALID"
    NOT_YET_VALID = "NOT_YET_VALID"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"
    BAD_SIGNATURE = "BAD_SIGNATURE"
    UNKNOWN_ISSUER = "UNKNOWN_ISSUER"


@strawberry.type
class LicenceDetail:
    name: str
    value: str


@strawberry.type(description="An electronic licence (电子证照) as the hub verified it; its content "
                             "only when the issuer's signature verified.")
class Licence:
    type: LicenceType
    title: str
    number: str
    verification: Verification
    detail: str = strawberry.field(description="what the verification found, in plain words")
    replaces_paper: bool = strawberry.field(
        description="VALID: the window need not ask for the paper licence (免提交)")
    claimed_issuer: str | None = strawberry.field(
        description="the issuer the document names (verified or not)")
    holder_name: str | None
    issuer_name: str | None
    issued_on: dt.date | None
    valid_from: dt.date | None
    valid_until: dt.date | None = strawberry.field(description="null: 长期 (no end)")
    revoked_on: dt.date | None
    details: list[LicenceDetail]
    document: str | None = strawberry.field(
        description="the canonical JSON the issuer signed (verified licences only)")
    signature: str | None
    key_id: str | None
    application: str | None

    @classmethod
    def of(cls, f: LicenceFinding) -> Licence:
        a, lic = f.assessment, f.assessment.licence
        envelope = a.envelope
        return cls(
            type=LicenceType[f.kind.code], title=f.kind.title, number=f.number,
            verification=Verification(a.verification), detail=a.detail,
            replaces_paper=a.verification == "VALID",
            claimed_issuer=envelope.claimed_issuer or None if envelope else None,
            holder_name=lic.holder_name if lic else None,
            issuer_name=lic.issuer_name if lic else None,
            issued_on=lic.issued_on if lic else None, valid_from=lic.valid_from if lic else None,
            valid_until=lic.valid_until if lic else None,
            revoked_on=lic.revoked_on if lic else None,
            details=[LicenceDetail(name=k, value=v) for k, v in lic.details.items()]
            if lic else [],
            document=_document(f) if lic else None,
            signature=envelope.signature if lic and envelope else None,
            key_id=envelope.kid if lic and envelope else None, application=f.application)


def _document(f: LicenceFinding) -> str | None:
    envelope = f.assessment.envelope
    return None if envelope is None else canonical(dict(envelope.document)).decode()


def _kind(value: Enum) -> Kind:
    return LICENCE_TYPES[str(value.value)]


def _holder(kind: Kind, holder: str, info: Info[RequestContext, None]) -> str:
    try:
        if kind.holder == "enterprise":
            return verify_uscc(holder)
        return verify_resident_id(holder, today=info.context.now.date())
    except InvalidIdentifier as exc:
        what = "a USCC" if kind.holder == "enterprise" else "a resident ID"
        raise BadUserInput(f"holder: a {kind.code} is held by {kind.holder}s; give {what} "
                           f"({exc})") from None


def _number(number: str) -> str:
    number = number.strip()
    if not 1 <= len(number) <= 64 or not number.isprintable():
        raise BadUserInput("number: the licence number as printed, 1 to 64 characters")
    return number


@strawberry.type
class LicenceQueries:
    @strawberry.field(description="One electronic licence by type and number, verified at the "
                                  "hub; null when the holder holds no such licence.")
    async def licence(self, info: Info[RequestContext, None], type: LicenceType, number: str,
                      holder: str) -> Licence | None:
        kind = _kind(type)
        found = await info.context.gateway.licence(path_of(info), kind, _number(number),
                                                   _holder(kind, holder, info))
        return None if found is None else Licence.of(found)

    @strawberry.field(description="A holder's electronic licences, verified at the hub; with "
                                  "expiringWithinDays only the VALID ones that end within so "
                                  "many days (expiry reminders).")
    async def licences(self, info: Info[RequestContext, None], holder: str,
                       types: list[LicenceType] | None = None,
                       expiring_within_days: int | None = None) -> list[Licence]:
        if expiring_within_days is not None and not 0 <= expiring_within_days <= MAX_DAYS:
            raise BadUserInput(f"expiringWithinDays: 0 to {MAX_DAYS} days")
        gateway = info.context.gateway
        if types:
            kinds = list(dict.fromkeys(_kind(t) for t in types))
            holder_kinds = {k.holder for k in kinds}
            if len(holder_kinds) > 1:
                raise BadUserInput("types: name licences of persons or of enterprises, not both")
        else:
            enterprise = _looks_like_uscc(holder)
            if enterprise:
                kinds = [k for k in LICENCE_TYPES.values() if k.holder == "enterprise"]
            else:
                matter = gateway.person_scope()
                kinds = [k for k in LICENCE_TYPES.values()
                         if k.holder == "person" and k.category and matter.releases(k.category)]
                if not kinds:
                    raise BadUserInput(f"types: {matter.code} releases no licence of a person; "
                                       "name the types")
        clear = _holder(kinds[0], holder, info)
        found = await gateway.licences(path_of(info), kinds, clear)
        return _listed(found, expiring_within_days, info.context.now)


def _looks_like_uscc(holder: str) -> bool:
    try:
        verify_uscc(holder)
    except InvalidIdentifier:
        return False
    return True


def _listed(found: list[LicenceFinding], within: int | None, now: dt.datetime
            ) -> list[Licence]:
    if within is not None:
        last = now.astimezone(CHINA).date() + dt.timedelta(days=within)
        found = [f for f in found if f.assessment.verification == "VALID"
                 and f.assessment.licence is not None
                 and f.assessment.licence.valid_until is not None
                 and f.assessment.licence.valid_until <= last]
    found.sort(key=lambda f: (f.kind.code, f.assessment.licence.valid_until
                              if f.assessment.licence and f.assessment.licence.valid_until
                              else dt.date.max, f.number))
    return [Licence.of(f) for f in found]
