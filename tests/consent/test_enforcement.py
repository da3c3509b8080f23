"""The consent decision table as a pure function, and consent uses, without a sandbox."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

import pytest

from consent.artefact import Consent
from consent.catalogue import DEFAULT_MATTERS
from consent.enforcement import (
    Caller,
    ConsentUses,
    PresentedConsents,
    decide_person,
    require_any_purpose,
    require_purpose,
)
from consent.errors import AccessDenied
from signing.canonical import canonical
from signing.keys import KeyRing, init_keys

NOW = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)
PORTAL = Caller("portal", "一体化政务服务平台", "portal",
                frozenset(m.code for m in DEFAULT_MATTERS.values() if "portal" in m.callers))
FGW = Caller("fgw", "市发改委", "lead", frozenset({"IPO_COMPLIANCE"}))
ME, OTHER = "v1:" + "a" * 64, "v1:" + "b" * 64


@pytest.fixture(scope="module")
def ring(tmp_path_factory: pytest.TempPathFactory) -> KeyRing:
    return init_keys(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def stranger(tmp_path_factory: pytest.TempPathFactory) -> KeyRing:
    return init_keys(tmp_path_factory.mktemp("stranger"))


def consent(ring: KeyRing, cid: str = "cst_1", **change: Any) -> Consent:
    unsigned = Consent(id=cid, subject=ME, grantee="portal", purpose="SCHOOL_ENROLMENT",
                       categories=("household", "property"), valid_from=NOW - dt.timedelta(days=1),
                       valid_until=NOW + dt.timedelta(days=9), fetch_type="REUSABLE", max_uses=3,
                       created_at=NOW - dt.timedelta(days=1), key_id="", signature="")
    signed_fields = {k: v for k, v in change.items() if k not in ("uses", "revoked_at")}
    unsigned = dataclasses.replace(unsigned, **signed_fields)
    signature, kid = ring.sign(canonical(unsigned.signed_content()))
    state = {k: v for k, v in change.items() if k in ("uses", "revoked_at")}
    return dataclasses.replace(unsigned.signed(signature, kid), **state)


def decide(ring: KeyRing, presented: Sequence[Consent], *, ids: Sequence[str] | None = None,
           caller: Caller = PORTAL, purpose: str | None = "SCHOOL_ENROLMENT",
           category: str = "household", subject: str = ME) -> Consent:
    given = PresentedConsents(tuple(ids if ids is not None else [c.id for c in presented]),
                              {c.id: c for c in presented})
    return decide_person(caller=caller, purpose=purpose, matters=DEFAULT_MATTERS,
                         subject=subject, category=category, presented=given,
                         public_keys=ring.public, now=NOW)


def refused(ring: KeyRing, presented: Sequence[Consent], **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(AccessDenied) as info:
        decide(ring, presented, **kwargs)
    return info.value.code, info.value.message


def test_a_covering_consent_is_relied_on(ring: KeyRing) -> None:
    good = consent(ring)
    assert decide(ring, [good]) == good


@pytest.mark.parametrize(("kwargs", "code", "says"), [
    ({"purpose": None}, "PURPOSE_REQUIRED", "X-Hub-Purpose"),
    ({"purpose": "IPO_COMPLIANCE"}, "FORBIDDEN", "not a matter that releases person data"),
    ({"purpose": "NO_SUCH_MATTER"}, "FORBIDDEN", "not a matter that releases person data"),
    ({"caller": FGW}, "FORBIDDEN", "fgw may not use SCHOOL_ENROLMENT"),
    ({"category": "credit"}, "FORBIDDEN", "does not release credit"),
])
def test_purpose_rows(ring: KeyRing, kwargs: dict[str, Any], code: str, says: str) -> None:
    assert refused(ring, [consent(ring)], **kwargs)[0] == code
    assert says in refused(ring, [consent(ring)], **kwargs)[1]


def test_nothing_presented_asks_for_consent(ring: KeyRing) -> None:
    code, message = refused(ring, [])
    assert code == "CONSENT_REQUIRED" and "ask the applicant" in message


def test_a_consent_about_someone_else_asks_for_consent(ring: KeyRing) -> None:
    assert refused(ring, [consent(ring)], subject=OTHER)[0] == "CONSENT_REQUIRED"


def test_a_valid_consent_without_the_category_asks_for_more(ring: KeyRing) -> None:
    code, message = refused(ring, [consent(ring)], category="social_insurance")
    assert code == "CONSENT_REQUIRED"
    assert "cst_1 does not cover social_insurance" in message


@pytest.mark.parametrize(("change", "says"), [
    ({"revoked_at": NOW - dt.timedelta(hours=1)}, "revoked"),
    ({"valid_until": NOW - dt.timedelta(hours=1)}, "expired"),
    ({"valid_from": NOW + dt.timedelta(hours=1)}, "not valid before"),
    ({"grantee": "window"}, "another caller"),
    ({"purpose": "PUBLIC_RENTAL_HOUSING"}, "given for PUBLIC_RENTAL_HOUSING"),
    ({"uses": 3}, "no use left"),
], ids=["revoked", "expired", "not-yet-valid", "other-grantee", "other-purpose", "spent"])
def test_a_bad_consent_is_invalid(ring: KeyRing, change: dict[str, Any], says: str) -> None:
    code, message = refused(ring, [consent(ring, **change)])
    assert code == "CONSENT_INVALID" and says in message


def test_a_forged_or_foreign_consent_is_invalid(ring: KeyRing, stranger: KeyRing) -> None:
    widened = dataclasses.replace(consent(ring), categories=("household", "credit"))
    assert refused(ring, [widened])[0] == "CONSENT_INVALID"
    code, message = refused(ring, [consent(stranger)])
    assert code == "CONSENT_INVALID" and "unknown key" in message


def test_an_unknown_id_is_invalid(ring: KeyRing) -> None:
    code, message = refused(ring, [], ids=["cst_nowhere"])
    assert code == "CONSENT_INVALID" and "cst_nowhere is not known" in message


def test_a_good_consent_beside_a_bad_one_is_relied_on(ring: KeyRing) -> None:
    bad = consent(ring, "cst_bad", revoked_at=NOW - dt.timedelta(hours=1))
    good = consent(ring, "cst_good")
    assert decide(ring, [bad, good]) == good


def test_purpose_of_statutory_checks() -> None:
    require_purpose(FGW, "IPO_COMPLIANCE", "IPO_COMPLIANCE", what="the check")
    for purpose, needed, code in ((None, "IPO_COMPLIANCE", "PURPOSE_REQUIRED"),
                                  ("BANKRUPTCY", "IPO_COMPLIANCE", "FORBIDDEN"),
                                  ("BANKRUPTCY", "BANKRUPTCY", "FORBIDDEN")):
        with pytest.raises(AccessDenied) as info:
            require_purpose(FGW, purpose, needed, what="the check")
        assert info.value.code == code
    assert require_any_purpose(FGW, "IPO_COMPLIANCE", frozenset({"IPO_COMPLIANCE",
                                                                 "BANKRUPTCY"}),
                               what="enterprise data") == "IPO_COMPLIANCE"


class CountingStore:
    """An in-memory use counter with the store's contract (the unit seam of `ConsentUses`)."""

    def __init__(self, left: dict[str, int]) -> None:
        self.left = left
        self.calls: list[str] = []

    async def get_many(self, ids: Sequence[str]) -> dict[str, Consent]:
        return {}

    async def take_use(self, consent_id: str) -> bool:
        self.calls.append(consent_id)
        await asyncio.sleep(0)
        if self.left.get(consent_id, 0) <= 0:
            return False
        self.left[consent_id] -= 1
        return True


async def test_a_request_takes_each_use_once() -> None:
    store = CountingStore({"cst_a": 1, "cst_b": 0})
    uses = ConsentUses(store)
    results = await asyncio.gather(uses.take("cst_a"), uses.take("cst_a"), uses.take("cst_b"))
    assert results == [True, True, False]
    assert sorted(store.calls) == ["cst_a", "cst_b"]
    assert uses.taken() == frozenset({"cst_a"})


async def test_requests_share_a_last_use_fairly() -> None:
    store = CountingStore({"cst_a": 1})
    outcomes = await asyncio.gather(*(ConsentUses(store).take("cst_a") for _ in range(20)))
    assert outcomes.count(True) == 1


def test_a_consent_under_an_earlier_pseudonym_counts_only_as_an_alias(ring: KeyRing) -> None:
    old = consent(ring, subject="v1:" + "c" * 64)
    given = PresentedConsents((old.id,), {old.id: old})
    args: dict[str, Any] = {"caller": PORTAL, "purpose": "SCHOOL_ENROLMENT",
                            "matters": DEFAULT_MATTERS, "subject": "v2:" + "d" * 64,
                            "category": "household", "presented": given,
                            "public_keys": ring.public, "now": NOW}
    assert decide_person(**args, aliases=frozenset({"v1:" + "c" * 64})) == old
    with pytest.raises(AccessDenied) as info:
        decide_person(**args)
    assert info.value.code == "CONSENT_REQUIRED"
