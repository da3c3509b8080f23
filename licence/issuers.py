"""Trusted licence issuers: each issuing department's published Ed25519 keys.

An issuer publishes its keys the way the hub publishes its own (`/.well-known/hub-keys`): a JSON
document `{"issuer": CODE, "name": NAME, "keys": [{"kid", "kty": "OKP", "crv": "Ed25519", "x"}]}`
where `x` is the raw public key in base64 and `kid` the first 16 hex digits of its SHA-256. The
hub trusts the keys its configuration lists (`[licences.issuers.CODE]`), never a key that merely
arrives with a licence: a signature is checked only against the keys of the issuer the licence
names.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from signing.keys import key_id

__all__ = ["IssuerDocumentInvalid", "TrustedIssuer", "issuer_document", "parse_issuer_keys"]


class IssuerDocumentInvalid(ValueError):
    """An issuer's key document or key list is not usable; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class TrustedIssuer:
    code: str
    name: str
    keys: Mapping[str, Ed25519PublicKey]  # key id -> key


def parse_issuer_keys(entries: Any) -> dict[str, Ed25519PublicKey]:
    """Keys from a list of `{"kid", "x"}` entries; each key id must be its key's own."""
    if not isinstance(entries, list) or not entries:
        raise IssuerDocumentInvalid("keys: a non-empty list of {kid, x} entries")
    keys: dict[str, Ed25519PublicKey] = {}
    for i, entry in enumerate(entries):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("kid"), str) \
                or not isinstance(entry.get("x"), str):
            raise IssuerDocumentInvalid(f"keys[{i}]: needs kid and x (strings)")
        for name, expected in (("kty", "OKP"), ("crv", "Ed25519")):
            if name in entry and entry[name] != expected:
                raise IssuerDocumentInvalid(f"keys[{i}].{name}: only {expected} keys are used")
        try:
            raw = base64.b64decode(entry["x"], validate=True)
            public = Ed25519PublicKey.from_public_bytes(raw)
        except (binascii.Error, ValueError):
            raise IssuerDocumentInvalid(f"keys[{i}].x: not a base64 Ed25519 public key "
                                        "(32 bytes)") from None
        if key_id(public) != entry["kid"]:
            raise IssuerDocumentInvalid(f"keys[{i}].kid: {entry['kid']!r} is not the id of its "
                                        f"key (that is {key_id(public)})")
        keys[entry["kid"]] = public
    return keys


def issuer_document(code: str, name: str, keys: Mapping[str, Ed25519PublicKey]
                    ) -> dict[str, Any]:
    """The key document an issuer publishes."""
    return {"issuer": code, "name": name, "keys": [
        {"kid": kid, "kty": "OKP", "crv": "Ed25519",
         "x": base64.b64encode(k.public_bytes(serialization.Encoding.Raw,
                                              serialization.PublicFormat.Raw)).decode()}
        for kid, k in keys.items()]}
