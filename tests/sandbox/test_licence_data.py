"""The sandbox licence library agrees with the departments and signs what it holds: checked
against the world's own records and with signatures verified here from the published keys."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from sandbox.data import World
from sandbox.licence_authority import LicenceAuthority
from sandbox.licence_data import LicenceHoldings
from sandbox.licence_samples import licence_samples

TODAY = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    yield World(20240601, enterprises=2000, persons=3000)


@pytest.fixture(scope="module")
def holdings(world: World) -> LicenceHoldings:
    return LicenceHoldings(world)


def published(world: World) -> dict[str, Ed25519PublicKey]:
    docs = LicenceAuthority(world, host="127.0.0.1", port=0).issuer_documents()
    return {code: Ed25519PublicKey.from_public_bytes(base64.b64decode(doc["keys"][0]["x"]))
            for code, doc in docs.items()}


def signature_ok(envelope: dict[str, Any], keys: dict[str, Ed25519PublicKey]) -> bool:
    doc = envelope["document"]
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    try:
        keys[doc["issuerCode"]].verify(base64.b64decode(envelope["signature"]), text.encode())
    except InvalidSignature:
        return False
    return True


def test_a_business_licence_is_the_registry_s_enterprise(world: World,
                                                         holdings: LicenceHoldings) -> None:
    for uscc in world.usccs[:300]:
        ent = world.enterprise(uscc)
        assert ent is not None
        (licence,) = [h.document for h in holdings.of_holder(uscc)
                      if h.document["licenceType"] == "yyzz"]
        assert licence["licenceNo"] == uscc and licence["holderName"] == ent.name
        assert (licence["status"] == "revoked") == (ent.status not in ("存续", "在业"))


def test_property_and_disability_certificates_are_the_departments(
        world: World, holdings: LicenceHoldings) -> None:
    seen = {"bdcqz": 0, "cjrz": 0}
    for rid in world.person_ids[:3000]:
        person = world.person(rid)
        assert person is not None
        docs = [h.document for h in holdings.of_holder(rid)]
        numbers = {d["licenceNo"] for d in docs if d["licenceType"] == "bdcqz"}
        assert numbers == {p["certificate_no"] for p in person.records["property"]}
        for cert in person.records["disability"]:
            (doc,) = [d for d in docs if d["licenceNo"] == cert["certificate_no"]]
            issued = cert["issued_on"]
            assert doc["validUntil"] == (issued.replace(year=issued.year + 10)
                                         - dt.timedelta(days=1)).isoformat()
        for d in docs:
            seen[d["licenceType"]] += 1
    assert seen["bdcqz"] > 100 and seen["cjrz"] > 10


def test_every_licence_verifies_under_its_issuers_published_key_but_the_forgeries(
        world: World, holdings: LicenceHoldings) -> None:
    keys = published(world)
    forged = 0
    for uscc in world.usccs:
        for held in holdings.of_holder(uscc):
            assert signature_ok(held.envelope, keys) is not held.forged
            forged += held.forged
    assert forged > 0


def test_a_permit_is_found_by_its_number_alone_or_not_at_all(world: World,
                                                            holdings: LicenceHoldings) -> None:
    permits = [h.document for u in world.usccs[:200] for h in holdings.of_holder(u)
               if h.document["licenceType"] in ("spjyxkz", "dlysjyxkz")]
    assert permits
    for doc in permits:
        stranger = world.person_ids[0]
        (found,) = holdings.by_number(doc["licenceType"], doc["licenceNo"], stranger)
        assert found.document["holderId"] == doc["holderId"]
    assert holdings.by_number("spjyxkz", "JY99999999999999", world.usccs[0]) == []


def test_samples_say_what_the_documents_say(holdings: LicenceHoldings) -> None:
    samples = licence_samples(holdings, TODAY)
    assert {"forged", "unknown-issuer", "expired", "revoked", "expiring"} <= {
        t for s in samples for t in s["tags"]}
    for s in samples:
        until = dt.date.fromisoformat(s["validUntil"]) if s["validUntil"] else None
        if "expired" in s["tags"]:
            assert until is not None and until < TODAY
        if "expiring" in s["tags"]:
            assert until is not None and 0 <= (until - TODAY).days <= 30
        if "unknown-issuer" in s["tags"]:
            assert s["issuer"] not in ("scjg", "jtj", "bdc", "cl")


def test_with_the_matters_records_the_licences_are_the_departments() -> None:
    """In a CivicWorld a business licence is the market regulator's record and road-transport
    permits are exactly the transport bureau's."""
    from sandbox.civic import CivicWorld

    world = CivicWorld(20240601, enterprises=1500, persons=1000)
    holdings = LicenceHoldings(world)
    permits = 0
    for uscc in world.usccs:
        docs = [h.document for h in holdings.of_holder(uscc)]
        (licence,) = [d for d in docs if d["licenceType"] == "yyzz"]
        record = world.enterprise_records(uscc, "business_licence")
        if record:
            rec = record[0]
            term = rec["term_until"].isoformat() if rec["term_until"] else None
            assert (licence["licenceNo"], licence["holderName"], licence["validUntil"],
                    licence["issuedOn"]) == (rec["licence_no"], rec["name"], term,
                                             rec["issued_on"].isoformat())
        else:
            assert licence["status"] == "revoked"  # the regulator closed its file
        road = {d["licenceNo"]: d for d in docs if d["licenceType"] == "dlysjyxkz"}
        held = {p["permit_no"]: p for p in world.enterprise_records(uscc, "transport_permit")
                or []}
        assert set(road) == set(held)
        for number, p in held.items():
            assert road[number]["validUntil"] == p["valid_until"].isoformat()
        permits += len(held)
    assert permits > 0
