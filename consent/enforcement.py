"""Enforcement: whether a caller may have a piece of subject data, decided before any call.

Three parts live together here:

- `PresentedConsents`: the consents a request presents (`X-Hub-Consent`), read from the store
  once the request has parsed and validated, before execution, so that decisions need no await
  (an await in a resolver before its load would split the batch). Reading takes no use.
- The decision table: `require_purpose` for statutory checks and `decide_person` for person data
  — pure functions of the caller, its declared purpose, the catalogue, the presented consents
  and `now`. A consent valid in itself that does not list the category means CONSENT_REQUIRED
  (ask the applicant for it); a consent bad in itself means CONSENT_INVALID.
- `ConsentUses`: a request's uses, taken just before the first source call that relies on a
  consent, once per consent per request, through the store's conditional UPDATE — so a request
  that fails parsing or validation, reads no person data or is denied spends nothing, and 20
  parallel requests on a one-time consent give data to exactly one.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from consent.artefact import Consent, verify_consent
from consent.catalogue import Matter
from consent.errors import ConsentInvalid, ConsentRequired, Forbidden, PurposeRequired

__all__ = [
    "Caller",
    "ConsentUses",
    "PresentedConsents",
    "Role",
    "UseStore",
    "decide_person",
    "load_presented",
    "matter_of",
    "person_matter",
    "require_any_purpose",
    "require_purpose",
]

# gateway: the federation router; public: anyone, unauthenticated (GET /verify)
Role = Literal["lead", "portal", "window", "auditor", "gateway", "public"]


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated calling system (a department, the portal, an auditor)."""

    name: str
    display: str
    role: Role
    purposes: frozenset[str]  # the matters whose catalogue entry names this caller


class UseStore(Protocol):
    async def get_many(self, ids: Sequence[str]) -> dict[str, Consent]: ...

    async def take_use(self, consent_id: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class PresentedConsents:
    """The consents presented with a request, as read before execution (no use taken)."""

    ids: tuple[str, ...] = ()
    loaded: Mapping[str, Consent] = field(default_factory=dict)


async def load_presented(store: UseStore, ids: Sequence[str]) -> PresentedConsents:
    unique = tuple(dict.fromkeys(ids))
    if not unique:
        return PresentedConsents()
    return PresentedConsents(unique, await store.get_many(unique))


# -- the decision table ------------------------------------------------------------------------


def require_purpose(caller: Caller, purpose: str | None, needed: str, *, what: str) -> None:
    """The caller declared `needed` as its purpose and may use it; raise otherwise."""
    if needed not in caller.purposes:
        raise Forbidden(f"{caller.name} may not run {what}; ask the data-sharing authority to "
                        "grant it")
    if purpose is None:
        raise PurposeRequired(f"send the X-Hub-Purpose header ({needed}) with {what}")
    if purpose != needed:
        raise Forbidden(f"X-Hub-Purpose is {purpose}, but {what} serves {needed}; a request "
                        "serves the one purpose it declares")


def require_any_purpose(caller: Caller, purpose: str | None, purposes: frozenset[str], *,
                        what: str) -> str:
    """The declared purpose is one of `purposes` and allowed to the caller; return it."""
    if purpose is None:
        raise PurposeRequired(f"send the X-Hub-Purpose header with {what}")
    if purpose not in purposes:
        raise Forbidden(f"{what} does not serve the purpose {purpose}")
    require_purpose(caller, purpose, purpose, what=what)
    return purpose


def person_matter(caller: Caller, purpose: str | None, matters: Mapping[str, Matter]) -> Matter:
    """The declared purpose is a consent-based matter this caller may use; raise otherwise."""
    if purpose is None:
        raise PurposeRequired("send the X-Hub-Purpose header (the matter, e.g. "
                              "SCHOOL_ENROLMENT) with person data queries")
    matter = matters.get(purpose)
    if matter is None or matter.legal_basis != "CONSENT":
        raise Forbidden(f"{purpose} is not a matter that releases person data")
    if caller.name not in matter.callers:
        raise Forbidden(f"{caller.name} may not use {purpose}")
    return matter


def matter_of(caller: Caller, purpose: str | None, matters: Mapping[str, Matter]) -> Matter:
    """The declared purpose is a registered matter this caller may use (a consent-based one or
    a statutory check); raise otherwise."""
    if purpose is None:
        raise PurposeRequired("send the X-Hub-Purpose header (the matter, e.g. "
                              "SCHOOL_ENROLMENT) with a prefill")
    matter = matters.get(purpose)
    if matter is None:
        raise Forbidden(f"{purpose} is not a registered matter")
    if caller.name not in matter.callers:
        raise Forbidden(f"{caller.name} may not use {purpose}")
    return matter


def decide_person(*, caller: Caller, purpose: str | None, matters: Mapping[str, Matter],
                  subject: str, category: str, presented: PresentedConsents,
                  public_keys: Mapping[str, Ed25519PublicKey], now: dt.datetime,
                  role: str | None = None, aliases: frozenset[str] = frozenset()) -> Consent:
    """The presented consent that lets `caller` have `category` of `subject` (a person's
    pseudonym, or an enterprise's USCC) in `role`; raise the coded `AccessDenied` that says why
    not otherwise. Without a role, any role of the matter may release the category. `aliases`
    are the same person's pseudonyms under earlier key versions: a consent given before the
    pseudonym key was rotated names the subject by one of them."""
    matter = person_matter(caller, purpose, matters)
    if not matter.releases(category, role):
        of = f" of the {role.replace('_', ' ')}" if role else ""
        raise Forbidden(f"{matter.code} does not release {category} data{of}")
    bad: list[ConsentInvalid] = []
    narrow: list[Consent] = []
    for consent in presented.loaded.values():
        if consent.subject != subject and consent.subject not in aliases:
            continue
        try:
            verify_consent(consent, public_keys=public_keys, now=now, grantee=caller.name,
                           purpose=matter.code, subject=consent.subject)
        except ConsentInvalid as exc:
            bad.append(exc)
            continue
        if consent.covers(category):
            return consent
        narrow.append(consent)
    if bad:
        raise bad[0]
    unknown = [c for c in presented.ids if c not in presented.loaded]
    if unknown and not narrow:
        raise ConsentInvalid(f"consent {unknown[0]} is not known to this hub")
    if narrow:
        raise ConsentRequired(f"consent {narrow[0].id} does not cover {category} data; ask the "
                              f"applicant to consent to it for {matter.code}")
    raise ConsentRequired(f"no presented consent covers {category} data of this subject for "
                          f"{matter.code}; ask the applicant to consent")


# -- uses --------------------------------------------------------------------------------------


class ConsentUses:
    """The consent uses one request takes: each at most once, just before it is relied on."""

    def __init__(self, store: UseStore) -> None:
        self._store = store
        self._taken: dict[str, asyncio.Future[bool]] = {}

    async def take(self, consent_id: str) -> bool:
        """Take one use of `consent_id` for this request (once); say whether one was left."""
        pending = self._taken.get(consent_id)
        if pending is None:
            pending = self._taken[consent_id] = asyncio.get_running_loop().create_future()
            try:
                pending.set_result(await self._store.take_use(consent_id))
            except BaseException as exc:
                pending.set_exception(exc)
                pending.exception()  # retrieved here: the caller gets it raised below
                raise
        return await pending

    def taken(self) -> frozenset[str]:
        """The consents whose use this request took."""
        return frozenset(cid for cid, f in self._taken.items()
                         if f.done() and not f.cancelled() and f.exception() is None
                         and f.result())
