"""Consent verification at the boundary instants, without sleeping: `now` is a parameter."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from consent.artefact import LEEWAY, Consent, Provenance, verify_consent
from consent.errors import ConsentInvalid
from signing.canonical import canonical
from signing.keys import KeyRing, init_keys

T0 = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)
UNTIL = T0 + dt.timedelta(days=30)


@pytest.fixture(scope="module")
def ring(tmp_path_factory: pytest.TempPathFactory) -> KeyRing:
    return init_keys(tmp_path_factory.mktemp("keys"))


def make(ring: KeyRing, **change: object) -> Consent:
    unsigned = Consent(id="cst_1", subject="v1:abc", grantee="portal",
                       purpose="SCHOOL_ENROLMENT", categories=("household", "property"),
                       valid_from=T0, valid_until=UNTIL, fetch_type="REUSABLE", max_uses=3,
                       created_at=T0, key_id="", signature="")
    unsigned = dataclasses.replace(unsigned, **change)  # type: ignore[arg-type]
    signature, kid = ring.sign(canonical(unsigned.signed_content()))
    return dataclasses.replace(unsigned, signature=signature, key_id=kid)


def verify(ring: KeyRing, consent: Consent, now: dt.datetime, **override: str) -> None:
    args = {"grantee": "portal", "purpose": "SCHOOL_ENROLMENT", "subject": "v1:abc",
            **override}
    verify_consent(consent, public_keys=ring.public, now=now, **args)


def test_valid_inside_the_window(ring: KeyRing) -> None:
    verify(ring, make(ring), T0 + dt.timedelta(days=1))


def test_window_boundaries_with_leeway(ring: KeyRing) -> None:
    consent = make(ring)
    verify(ring, consent, UNTIL + LEEWAY)  # last instant accepted
    with pytest.raises(ConsentInvalid, match="expired"):
        verify(ring, consent, UNTIL + LEEWAY + dt.timedelta(microseconds=1))
    verify(ring, consent, T0 - LEEWAY)  # first instant accepted
    with pytest.raises(ConsentInvalid, match="not valid before"):
        verify(ring, consent, T0 - LEEWAY - dt.timedelta(microseconds=1))
    assert consent.status(UNTIL + LEEWAY) == "ACTIVE"
    assert consent.status(UNTIL + LEEWAY + dt.timedelta(microseconds=1)) == "EXPIRED"


@pytest.mark.parametrize(("override", "says"), [
    ({"grantee": "window"}, "another caller"),
    ({"purpose": "NEWBORN"}, "given for SCHOOL_ENROLMENT"),
    ({"subject": "v1:other"}, "another subject"),
])
def test_each_binding_is_checked(ring: KeyRing, override: dict[str, str], says: str) -> None:
    with pytest.raises(ConsentInvalid, match=says):
        verify(ring, make(ring), T0 + dt.timedelta(days=1), **override)


def test_uses_revocation_and_status(ring: KeyRing) -> None:
    now = T0 + dt.timedelta(days=1)
    last = make(ring, uses=2)
    verify(ring, last, now)
    exhausted = make(ring, uses=3)
    with pytest.raises(ConsentInvalid, match="no use left"):
        verify(ring, exhausted, now)
    assert exhausted.status(now) == "EXHAUSTED" and exhausted.uses_left() == 0
    revoked = dataclasses.replace(make(ring), revoked_at=now)
    with pytest.raises(ConsentInvalid, match="revoked"):
        verify(ring, revoked, now)
    assert revoked.status(now) == "REVOKED"


def test_tampering_and_unknown_keys(ring: KeyRing, tmp_path: Path) -> None:
    now = T0 + dt.timedelta(days=1)
    consent = make(ring)
    raw = bytearray(consent.signature.encode())
    raw[5] = ord("A") if raw[5] != ord("A") else ord("B")
    with pytest.raises(ConsentInvalid, match="does not verify"):
        verify(ring, dataclasses.replace(consent, signature=raw.decode()), now)
    widened = dataclasses.replace(consent, categories=("household", "property", "credit"))
    assert widened.covers("credit") and not consent.covers("credit")
    with pytest.raises(ConsentInvalid, match="does not verify"):
        verify(ring, widened, now)
    stranger = init_keys(tmp_path / "other")
    foreign = make(stranger)
    with pytest.raises(ConsentInvalid, match="unknown key"):
        verify(ring, foreign, now)
    with pytest.raises(ConsentInvalid, match="does not verify"):
        verify(ring, dataclasses.replace(consent, signature="!!not base64"), now)


# A consent signed before provenance existed: its bytes must not change (fixed test vector).
PLAIN_CONTENT = (
    '{"categories":["household","property"],"createdAt":"2026-11-01T08:00:00+00:00",'
    '"fetchType":"REUSABLE","grantee":"portal","id":"cst_1","maxUses":3,'
    '"purpose":"SCHOOL_ENROLMENT","subject":"v1:abc",'
    '"validFrom":"2026-11-01T08:00:00+00:00","validUntil":"2026-12-01T08:00:00+00:00"}')


def test_an_online_self_consent_signs_exactly_as_before(ring: KeyRing) -> None:
    assert canonical(make(ring).signed_content()).decode() == PLAIN_CONTENT


def test_provenance_is_signed_and_cannot_be_changed(ring: KeyRing) -> None:
    paper = Provenance(granted_by="v1:guardian", grantor_role="GUARDIAN", channel="WINDOW",
                       operator="clerk-07", paper_form="XZSP-2026-000123")
    consent = make(ring, provenance=paper)
    content = consent.signed_content()
    assert content["channel"] == "WINDOW" and content["paperForm"] == "XZSP-2026-000123"
    assert content["grantorRole"] == "GUARDIAN" and content["grantedBy"] == "v1:guardian"
    verify(ring, consent, T0 + dt.timedelta(days=1))
    assert Provenance.of(content) == paper  # what the store keeps reads back the same
    for change in ({"operator": "clerk-99"}, {"paper_form": "XZSP-2026-999999"},
                   {"granted_by": None, "grantor_role": "SELF"}, {"channel": "ONLINE"}):
        forged = dataclasses.replace(consent, provenance=dataclasses.replace(paper, **change))
        with pytest.raises(ConsentInvalid, match="does not verify"):
            verify(ring, forged, T0 + dt.timedelta(days=1))


def test_an_enterprise_consent_names_its_kind(ring: KeyRing) -> None:
    consent = make(ring, subject="91410700245292216W", provenance=Provenance(
        subject_kind="enterprise", granted_by="v1:rep", grantor_role="LEGAL_REPRESENTATIVE"))
    assert consent.signed_content()["subjectKind"] == "enterprise"
    verify(ring, consent, T0, subject="91410700245292216W")
    with pytest.raises(ConsentInvalid, match="another subject"):
        verify(ring, consent, T0, subject="91410700932778680U")
