"""Consent artefacts (after the ReBIT / DEPA consent artefact and ISO/IEC TS 27560).

A consent names a subject (by pseudonym, never the clear ID), the grantee caller, one purpose,
the data categories, a validity window, a fetch type (one-time, or reusable with a most-uses
count), and is signed by the hub with Ed25519 over its canonical JSON. Its status is derived at
time `now`: REVOKED if revoked, else EXHAUSTED when no use is left, else EXPIRED after its
window, else ACTIVE. `verify_consent` checks a consent in itself (signature, state, window and
bindings) and returns nothing or raises; it takes `now` as a parameter. Whether a valid consent
covers a category is a separate question (`Consent.covers`): a consent that does not cover it
is not bad, the applicant is asked for more (`consent.enforcement`).

A consent's subject is a person (by pseudonym) or an enterprise (by its USCC, in clear: an
enterprise is no personal data). Its `Provenance` says who gave it — the subject, a guardian for
a minor, the legal representative for an enterprise — and how: online on the portal, or at a
window on a signed paper form, with the clerk's operator id and the form's reference. Provenance
is signed with the rest; an online consent given by the subject itself signs exactly as before.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from consent.errors import ConsentInvalid
from signing.canonical import canonical
from signing.keys import SignatureInvalid, verify_signature

__all__ = ["LEEWAY", "Channel", "Consent", "ConsentStatus", "FetchType", "GrantorRole",
           "Provenance", "SubjectKind", "verify_consent"]

LEEWAY = dt.timedelta(seconds=60)  # clock difference tolerated at both ends of the window
FetchType = Literal["ONE_TIME", "REUSABLE"]
ConsentStatus = Literal["ACTIVE", "REVOKED", "EXPIRED", "EXHAUSTED"]
SubjectKind = Literal["person", "enterprise"]
GrantorRole = Literal["SELF", "GUARDIAN", "LEGAL_REPRESENTATIVE"]
Channel = Literal["ONLINE", "WINDOW"]


@dataclass(frozen=True, slots=True)
class Provenance:
    """Who gave a consent, and how."""

    subject_kind: SubjectKind = "person"
    granted_by: str | None = None  # pseudonym of the guardian or legal representative
    grantor_role: GrantorRole = "SELF"
    channel: Channel = "ONLINE"
    operator: str | None = None  # the window clerk who recorded a paper consent
    paper_form: str | None = None  # the reference of the signed paper form

    def signed_content(self) -> dict[str, Any]:
        """The parts that differ from an online consent given by a person: nothing for one."""
        out: dict[str, Any] = {}
        if self.subject_kind != "person":
            out["subjectKind"] = self.subject_kind
        if self.granted_by is not None or self.grantor_role != "SELF":
            out.update(grantedBy=self.granted_by, grantorRole=self.grantor_role)
        if self.channel != "ONLINE" or self.operator or self.paper_form:
            out.update(channel=self.channel, operator=self.operator, paperForm=self.paper_form)
        return out

    @classmethod
    def of(cls, stored: Mapping[str, Any] | None) -> Provenance:
        """The provenance as `signed_content` wrote it (None or {}: an online self-consent)."""
        raw = stored or {}
        return cls(subject_kind=raw.get("subjectKind", "person"),
                   granted_by=raw.get("grantedBy"), grantor_role=raw.get("grantorRole", "SELF"),
                   channel=raw.get("channel", "ONLINE"), operator=raw.get("operator"),
                   paper_form=raw.get("paperForm"))


@dataclass(frozen=True, slots=True)
class Consent:
    id: str
    subject: str  # pseudonym, "v1:<hex>"
    grantee: str
    purpose: str
    categories: tuple[str, ...]
    valid_from: dt.datetime
    valid_until: dt.datetime
    fetch_type: FetchType
    max_uses: int
    created_at: dt.datetime
    key_id: str
    signature: str
    uses: int = 0
    revoked_at: dt.datetime | None = None
    provenance: Provenance = Provenance()

    def signed_content(self) -> dict[str, Any]:
        """What the signature covers: everything but the mutable state (uses, revocation)."""
        return {
            "id": self.id, "subject": self.subject, "grantee": self.grantee,
            "purpose": self.purpose, "categories": sorted(self.categories),
            "validFrom": self.valid_from.isoformat(), "validUntil": self.valid_until.isoformat(),
            "fetchType": self.fetch_type, "maxUses": self.max_uses,
            "createdAt": self.created_at.isoformat(), **self.provenance.signed_content(),
        }

    def uses_left(self) -> int:
        return max(0, self.max_uses - self.uses)

    def signed(self, signature: str, key_id: str) -> Consent:
        """This consent with its signature set (the hub signs `signed_content()`)."""
        return dataclasses.replace(self, signature=signature, key_id=key_id)

    def covers(self, category: str) -> bool:
        return category in self.categories

    def status(self, now: dt.datetime) -> ConsentStatus:
        if self.revoked_at is not None:
            return "REVOKED"
        if self.uses >= self.max_uses:
            return "EXHAUSTED"
        if now > self.valid_until + LEEWAY:
            return "EXPIRED"
        return "ACTIVE"


def verify_consent(unverified: Consent, *, public_keys: Mapping[str, Ed25519PublicKey],
                   now: dt.datetime, grantee: str, purpose: str, subject: str) -> None:
    """Return if `unverified` is a good consent of `subject` for `grantee` and `purpose` at
    `now`; raise `ConsentInvalid` naming the failed check otherwise. `unverified.uses` is the
    count read before the request takes its own use (which may still fail then: spent).
    """
    c = unverified
    try:
        verify_signature(public_keys, c.key_id, canonical(c.signed_content()), c.signature)
    except SignatureInvalid as exc:
        raise ConsentInvalid(f"consent {c.id} does not verify: {exc}") from None
    if c.revoked_at is not None:
        raise ConsentInvalid(f"consent {c.id} was revoked")
    if c.uses >= c.max_uses:
        raise ConsentInvalid(f"consent {c.id} has no use left")
    if now + LEEWAY < c.valid_from:
        raise ConsentInvalid(f"consent {c.id} is not valid before {c.valid_from.isoformat()}")
    if now > c.valid_until + LEEWAY:
        raise ConsentInvalid(f"consent {c.id} expired at {c.valid_until.isoformat()}")
    if c.grantee != grantee:
        raise ConsentInvalid(f"consent {c.id} was given to another caller, not {grantee}")
    if c.purpose != purpose:
        raise ConsentInvalid(f"consent {c.id} was given for {c.purpose}, not {purpose}")
    if c.subject != subject:
        raise ConsentInvalid(f"consent {c.id} is about another subject")
