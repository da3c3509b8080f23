"""Issuer key documents: every key id must be its key's own, every key an Ed25519 key."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from licence.issuers import IssuerDocumentInvalid, issuer_document, parse_issuer_keys

KEY = Ed25519PrivateKey.from_private_bytes(bytes(32)).public_key()
RAW = KEY.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
KID = hashlib.sha256(RAW).hexdigest()[:16]
X = base64.b64encode(RAW).decode()


def test_a_published_document_reads_back_to_the_same_key() -> None:
    doc = issuer_document("scjg", "新乡市市场监督管理局", {KID: KEY})
    assert doc["keys"] == [{"kid": KID, "kty": "OKP", "crv": "Ed25519", "x": X}]
    keys = parse_issuer_keys(doc["keys"])
    assert list(keys) == [KID]
    assert keys[KID].public_bytes(serialization.Encoding.Raw,
                                  serialization.PublicFormat.Raw) == RAW


@pytest.mark.parametrize("entries, words", [
    (None, "non-empty list"), ([], "non-empty list"), (["x"], "needs kid and x"),
    ([{"kid": KID}], "needs kid and x"),
    ([{"kid": "0" * 16, "x": X}], "not the id of its key"),
    ([{"kid": KID, "x": "not base64!"}], "not a base64 Ed25519"),
    ([{"kid": KID, "x": base64.b64encode(b"short").decode()}], "not a base64 Ed25519"),
    ([{"kid": KID, "x": X, "crv": "P-256"}], "only Ed25519"),
])
def test_bad_key_lists_are_refused_with_the_entry_named(entries: Any, words: str) -> None:
    with pytest.raises(IssuerDocumentInvalid, match=words):
        parse_issuer_keys(entries)
