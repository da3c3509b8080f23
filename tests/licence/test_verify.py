"""`licence.verify.assess`: issuer, signature, status and validity window, in that order.

Documents are signed here with `cryptography` over JSON written by the test (sorted keys, no
spaces, UTF-8: the canonical form the issuers use), not by the hub's own canonicaliser.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from licence.issuers import TrustedIssuer
from licence.verify import CHINA, LicenceEnvelope, MalformedLicence, assess, parse_envelope

ISSUER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))


def kid(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw,
                                        serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


TRUSTED = {"scjg": TrustedIssuer("scjg", "新乡市市场监督管理局",
                                 {kid(ISSUER_KEY): ISSUER_KEY.public_key()})}


def document(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "licenceType": "spjyxkz", "licenceName": "食品经营许可证", "licenceNo": "JY14107020012345",
        "holderId": "91410700MA44TEST0X", "holderIdType": "统一社会信用代码",
        "holderName": "新乡市示例餐饮有限公司", "issuerCode": "scjg", "issuerName": "新乡市市场监督管理局",
        "issuedOn": "2024-03-01", "validFrom": "2024-03-01", "validUntil": "2029-02-28",
        "status": "valid", "revokedOn": None, "details": {"主体业态": "餐饮服务经营者"}}
    doc.update(changes)
    return doc


def signed(doc: dict[str, Any], key: Ed25519PrivateKey = ISSUER_KEY,
           key_id: str | None = None) -> LicenceEnvelope:
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    signature = base64.b64encode(key.sign(text.encode())).decode()
    return LicenceEnvelope(doc, signature, key_id or kid(key))


def at(day: str, time: str = "12:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}:00+08:00")


NOW = at("2026-11-28")


def test_a_genuine_current_licence_is_valid_and_has_its_content() -> None:
    result = assess(signed(document()), TRUSTED, NOW)
    assert result.verification == "VALID"
    assert result.licence is not None
    assert result.licence.holder_name == "新乡市示例餐饮有限公司"
    assert result.licence.valid_until == dt.date(2029, 2, 28)


def test_a_licence_signed_by_another_key_under_the_issuers_key_id_is_bad() -> None:
    forged = signed(document(), key=OTHER_KEY, key_id=kid(ISSUER_KEY))
    result = assess(forged, TRUSTED, NOW)
    assert result.verification == "BAD_SIGNATURE"
    assert result.licence is None  # nothing it claims is believed


def test_a_licence_signed_by_a_key_the_issuer_never_published_is_bad() -> None:
    result = assess(signed(document(), key=OTHER_KEY), TRUSTED, NOW)
    assert result.verification == "BAD_SIGNATURE"
    assert "did not publish" in result.detail


@pytest.mark.parametrize("change", [{"holderName": "别家公司"}, {"validUntil": "2039-02-28"},
                                    {"status": "valid", "licenceNo": "JY14107020012346"}])
def test_one_changed_field_after_signing_breaks_the_signature(change: dict[str, Any]) -> None:
    envelope = signed(document())
    tampered = LicenceEnvelope({**envelope.document, **change}, envelope.signature, envelope.kid)
    assert assess(tampered, TRUSTED, NOW).verification == "BAD_SIGNATURE"


def test_a_revoked_licence_wins_over_a_valid_window_but_not_over_a_bad_signature() -> None:
    revoked = document(status="revoked", revokedOn="2025-06-01")
    assert assess(signed(revoked), TRUSTED, NOW).verification == "REVOKED"
    assert assess(signed(revoked, key=OTHER_KEY, key_id=kid(ISSUER_KEY)), TRUSTED,
                  NOW).verification == "BAD_SIGNATURE"


def test_an_issuer_the_hub_does_not_trust_is_unknown_even_if_its_signature_is_good() -> None:
    doc = document(issuerCode="sx-jcscjg", issuerName="晋城市市场监督管理局")
    result = assess(signed(doc, key=OTHER_KEY), TRUSTED, NOW)
    assert result.verification == "UNKNOWN_ISSUER"
    assert result.licence is None


def test_the_last_day_is_valid_to_its_end_in_china_time() -> None:
    doc = signed(document(validUntil="2026-11-28"))
    assert assess(doc, TRUSTED, at("2026-11-28", "23:59")).verification == "VALID"
    assert assess(doc, TRUSTED, at("2026-11-29", "00:00")).verification == "EXPIRED"
    # 2026-11-28T16:30Z is 2026-11-29 00:30 in China: expired there, whatever UTC says.
    utc = dt.datetime(2026, 11, 28, 16, 30, tzinfo=dt.UTC)
    assert assess(doc, TRUSTED, utc).verification == "EXPIRED"


def test_before_its_first_day_a_licence_is_not_yet_valid() -> None:
    doc = signed(document(validFrom="2026-12-01", issuedOn="2026-11-20"))
    assert assess(doc, TRUSTED, at("2026-11-30", "23:59")).verification == "NOT_YET_VALID"
    assert assess(doc, TRUSTED, at("2026-12-01", "00:00")).verification == "VALID"


def test_a_licence_without_an_end_date_does_not_expire() -> None:
    doc = signed(document(validUntil=None))
    assert assess(doc, TRUSTED, at("2099-01-01")).verification == "VALID"


def test_an_issuer_marked_expiry_counts_even_inside_the_window() -> None:
    assert assess(signed(document(status="expired")), TRUSTED, NOW).verification == "EXPIRED"


@pytest.mark.parametrize("change, words", [
    ({"status": "suspended"}, "unknown status"),
    ({"validFrom": "01/03/2024"}, "not a date"),
    ({"validUntil": "2020-01-01"}, "ends before it begins"),
    ({"holderName": ""}, "no holderName"),
    ({"details": {"面积": 120}}, "details are not text"),
])
def test_a_malformed_document_that_verifies_is_the_issuers_fault(change: dict[str, Any],
                                                                  words: str) -> None:
    with pytest.raises(MalformedLicence, match=words):
        assess(signed(document(**change)), TRUSTED, NOW)


@pytest.mark.parametrize("raw, words", [
    ([], "JSON object"), ({"signature": "x", "kid": "y"}, "no document"),
    ({"document": {}, "kid": "y"}, "no signature"), ({"document": "text", "signature": "x",
                                                      "kid": "y"}, "no document"),
])
def test_an_envelope_of_the_wrong_shape_is_refused(raw: Any, words: str) -> None:
    with pytest.raises(MalformedLicence, match=words):
        parse_envelope(raw)


def test_china_is_eight_hours_ahead() -> None:
    assert CHINA.utcoffset(None) == dt.timedelta(hours=8)
