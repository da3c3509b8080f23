"""Verifying an electronic licence at the hub: issuer, signature, status and validity window.

A licence library answers with envelopes `{"document": {...}, "signature", "kid"}`; the issuing
department signed the document's canonical JSON (`signing.canonical`) with its own Ed25519 key.
`assess` decides, in this order, and nothing in the document is believed before its signature:

1. UNKNOWN_ISSUER — the issuer it names is not one the hub trusts;
2. BAD_SIGNATURE — the signature is not that issuer's over exactly this document (another key,
   a key the issuer never published, or a changed byte);
3. REVOKED — the issuer marked it revoked (吊销, 注销);
4. EXPIRED — its last valid day is past (or the issuer marked it expired);
5. NOT_YET_VALID — its first valid day is still to come;
6. VALID.

Validity days are calendar days in China Standard Time, both ends included; a licence without an
end date (长期) does not expire. Only a licence whose signature verified has content
(`Assessment.licence`); for the others the hub says what was wrong and releases nothing of what
the document claims. A document whose signature verifies but which is malformed is the issuer's
fault, not a forgery: `MalformedLicence`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from licence.issuers import TrustedIssuer
from signing.canonical import CanonicalError, canonical
from signing.keys import SignatureInvalid, verify_signature

__all__ = [
    "CHINA",
    "STATUSES",
    "Assessment",
    "Licence",
    "LicenceEnvelope",
    "MalformedLicence",
    "Verification",
    "assess",
    "parse_envelope",
]

CHINA = dt.timezone(dt.timedelta(hours=8))  # Asia/Shanghai: no daylight saving since 1991
Verification = Literal["VALID", "NOT_YET_VALID", "EXPIRED", "REVOKED", "BAD_SIGNATURE",
                       "UNKNOWN_ISSUER"]
STATUSES = ("valid", "revoked", "expired")  # what an issuer may mark in the document


class MalformedLicence(ValueError):
    """The library's answer is not a licence envelope, or a signed document is malformed."""


@dataclass(frozen=True, slots=True)
class LicenceEnvelope:
    """A licence as the library sent it: nothing here is verified."""

    document: Mapping[str, Any]
    signature: str
    kid: str

    @property
    def claimed_issuer(self) -> str:
        issuer = self.document.get("issuerCode")
        return issuer if isinstance(issuer, str) else ""


@dataclass(frozen=True, slots=True)
class Licence:
    """The content of a licence whose signature verified."""

    library_code: str
    number: str
    holder_id: str
    holder_name: str
    issuer_code: str
    issuer_name: str
    issued_on: dt.date
    valid_from: dt.date
    valid_until: dt.date | None  # None: 长期, no end
    status: str
    revoked_on: dt.date | None
    details: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Assessment:
    verification: Verification
    detail: str  # in plain words, for the caller
    licence: Licence | None = None  # only when the signature verified
    envelope: LicenceEnvelope | None = None


def parse_envelope(raw: Any) -> LicenceEnvelope:
    """The envelope's shape (not its content): a document object, a signature and a key id."""
    if not isinstance(raw, Mapping):
        raise MalformedLicence("a licence envelope is a JSON object")
    document, signature, kid = raw.get("document"), raw.get("signature"), raw.get("kid")
    if not isinstance(document, Mapping):
        raise MalformedLicence("the licence envelope has no document object")
    if not isinstance(signature, str) or not isinstance(kid, str):
        raise MalformedLicence("the licence envelope has no signature or key id")
    return LicenceEnvelope(document, signature, kid)


def assess(unverified: LicenceEnvelope, issuers: Mapping[str, TrustedIssuer],
           now: dt.datetime) -> Assessment:
    """The hub's verdict on a licence at `now` (see the module docstring for the order)."""
    code = unverified.claimed_issuer
    issuer = issuers.get(code)
    if issuer is None:
        return Assessment("UNKNOWN_ISSUER", f"颁发机构 {code or '（未注明）'} 不在本中枢信任的发证机关"
                          "之列 (the issuer is not one this hub trusts)", envelope=unverified)
    try:
        signed = canonical(dict(unverified.document))
    except CanonicalError:
        raise MalformedLicence("the licence document is not plain JSON") from None
    try:
        verify_signature(issuer.keys, unverified.kid, signed, unverified.signature)
    except SignatureInvalid:
        why = ("signed by a key the issuer did not publish" if unverified.kid not in issuer.keys
               else "the signature is not the issuer's over this document")
        return Assessment("BAD_SIGNATURE", f"电子证照签名验证失败，不是{issuer.name}签发的原件 "
                          f"({why})", envelope=unverified)
    licence = _content(unverified.document)
    if licence.issuer_code != issuer.code:  # verified, so only a confused issuer gets here
        raise MalformedLicence("the signed document names another issuer")
    today = now.astimezone(CHINA).date()
    if licence.status == "revoked":
        when = f"（{licence.revoked_on.isoformat()}）" if licence.revoked_on else ""
        return Assessment("REVOKED", f"该证照已被{issuer.name}注销或吊销{when} (revoked)",
                          licence, unverified)
    if licence.status == "expired" or (licence.valid_until is not None
                                       and today > licence.valid_until):
        until = licence.valid_until.isoformat() if licence.valid_until else "—"
        return Assessment("EXPIRED", f"该证照有效期至 {until}，已过期 (expired)", licence,
                          unverified)
    if today < licence.valid_from:
        return Assessment("NOT_YET_VALID", f"该证照自 {licence.valid_from.isoformat()} 起有效，"
                          "尚未生效 (not yet valid)", licence, unverified)
    return Assessment("VALID", "签名有效，证照在有效期内 (signature verified, within its validity)",
                      licence, unverified)


def _content(doc: Mapping[str, Any]) -> Licence:
    def text(key: str, *, optional: bool = False) -> str:
        value = doc.get(key)
        if value is None and optional:
            return ""
        if not isinstance(value, str) or not value:
            raise MalformedLicence(f"the signed licence has no {key}")
        return value

    def day(key: str, *, optional: bool = False) -> dt.date | None:
        value = doc.get(key)
        if value is None and optional:
            return None
        try:
            return dt.date.fromisoformat(value) if isinstance(value, str) else _bad(key)
        except ValueError:
            return _bad(key)

    status = text("status")
    if status not in STATUSES:
        raise MalformedLicence(f"the signed licence has an unknown status {status!r}")
    details = doc.get("details", {})
    if not isinstance(details, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in details.items()):
        raise MalformedLicence("the signed licence's details are not text")
    issued, start = day("issuedOn"), day("validFrom")
    if issued is None or start is None:
        raise MalformedLicence("the signed licence has no issue date")
    until = day("validUntil", optional=True)
    if until is not None and until < start:
        raise MalformedLicence("the signed licence ends before it begins")
    return Licence(
        library_code=text("licenceType"), number=text("licenceNo"), holder_id=text("holderId"),
        holder_name=text("holderName"), issuer_code=text("issuerCode"),
        issuer_name=text("issuerName"), issued_on=issued, valid_from=start, valid_until=until,
        status=status, revoked_on=day("revokedOn", optional=True), details=dict(details))


def _bad(key: str) -> dt.date:
    raise MalformedLicence(f"the signed licence's {key} is not a date (YYYY-MM-DD)")
