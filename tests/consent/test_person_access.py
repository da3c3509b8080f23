"""Consent on every field of person data, through the real app and the sandbox departments.

Runs on SQLite and on PostgreSQL (HUB_TEST_POSTGRES_URL).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import create_async_engine

from connectors.catalogue import CERTIFICATE_KEYED, PERSON_CATEGORIES
from consent.artefact import Consent
from consent.catalogue import DEFAULT_MATTERS
from consent.pseudonym import pseudonym
from hub.store import open_store
from signing.canonical import canonical
from signing.keys import KeyRing, init_keys
from tests.hub_harness import HubHarness
from tests.pg import fresh_database, postgres_url_or_skip
from tests.sandbox_process import SandboxProcess

FIELDS = {
    "household": "householdRegistration { name address }",
    "residence_permit": "residencePermit { permitNo }",
    "property": "propertyCertificates { certificateNo address }",
    "social_insurance": "socialInsuranceRecord { employerName monthsPaid }",
    "marriage": "marriage { status }",
    "low_income": "lowIncomeStatus { category }",
    "education": "education { degree }",
    "birth_certificate": "birthCertificate { certificateNo }",
    "disability": "disabilityCertificate { grade }",
    "credit": "creditReport { grade }",
    "vehicles": "vehicles { plate }",
    "vaccination": "vaccination { cardNo }",
    "medical_insurance": "medicalInsurance { insuranceType accountBalance }",
    "housing_fund": "housingFundAccount { balance }",
    "exit_entry": "exitEntry { documentNo }",
    "veteran": "veteran { certificateNo }",
    "overseas_degree": "overseasDegree { certificateNo }",
    "ss_card": "socialSecurityCard { cardNo }",
    "pension": "pension { paidMonths }",
    "one_child": "oneChildCertificate { certificateNo }",
    "disability_subsidy": "disabilitySubsidy { careSubsidy }",
    "subsidised_housing": "subsidisedHousing { kind }",
    "contract_filing": "contractFilings { contractNo }",
}
# The person categories a `person(id)` query reads: all but a newborn's (found by certificate).
ID_CATEGORIES = [c for c in PERSON_CATEGORIES if c not in CERTIFICATE_KEYED]
FIELD_NAME = {c: f.split(" ")[0] for c, f in FIELDS.items()}
ALL_FIELDS = " ".join(FIELDS.values())
GRANT = """mutation($input: GrantConsentInput!) { grantConsent(input: $input) {
  id status grantee purpose categories validFrom validUntil fetchType usesLeft signature keyId } }"""


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def app(request: pytest.FixtureRequest, sandbox: SandboxProcess,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubHarness]:
    home = tmp_path_factory.mktemp(f"consent-{request.param}")
    if request.param == "sqlite":
        harness = HubHarness(sandbox, home)
        yield harness
        harness.close()
        return
    with fresh_database(postgres_url_or_skip()) as url:
        harness = HubHarness(sandbox, home, store_url=url)
        yield harness
        harness.close()


def person_categories(purpose: str) -> list[str]:
    """What a person's consent for `purpose` may cover (its enterprise data is not theirs)."""
    return [c for c in DEFAULT_MATTERS[purpose].categories if c in PERSON_CATEGORIES]


def grant(app: HubHarness, subject: str, purpose: str = "SCHOOL_ENROLMENT",
          categories: list[str] | None = None, grantee: str = "portal",
          **extra: Any) -> dict[str, Any]:
    cats = categories if categories is not None else person_categories(purpose)
    r = app.post(GRANT, {"input": {"subject": subject, "purpose": purpose, "grantee": grantee,
                                   "categories": cats, **extra}}, caller="portal", purpose=None)
    return r.json()  # type: ignore[no-any-return]


def read(app: HubHarness, subject: str, consent: str | None, *, caller: str = "portal",
         purpose: str | None = "SCHOOL_ENROLMENT", fields: str = ALL_FIELDS) -> dict[str, Any]:
    headers = {"X-Hub-Consent": consent} if consent else {}
    r = app.post("query($id: ResidentId!) { person(id: $id) { %s } }" % fields, {"id": subject},
                 caller=caller, purpose=purpose, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def errors_by_field(body: dict[str, Any]) -> dict[str, str]:
    return {e["path"][-1]: e["extensions"]["code"] for e in body.get("errors", []) if e.get("path")}


def school_person(sandbox: SandboxProcess) -> str:
    return sandbox.person("household", "property", "social_insurance")


def test_portal_reads_what_the_consent_covers_and_nothing_else(
        app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    subject = school_person(clean_sandbox)
    consent = grant(app, subject)["data"]["grantConsent"]
    assert consent["status"] == "ACTIVE" and consent["usesLeft"] == 1
    assert consent["fetchType"] == "ONE_TIME" and consent["signature"]
    clean_sandbox.reset()
    body = read(app, subject, consent["id"])
    person = body["data"]["person"]
    assert person["householdRegistration"]["address"]
    assert person["propertyCertificates"] and person["socialInsuranceRecord"]["monthsPaid"] > 0
    denied = errors_by_field(body)
    outside = set(ID_CATEGORIES) - set(DEFAULT_MATTERS["SCHOOL_ENROLMENT"].categories)
    assert outside >= {"credit", "pension", "veteran", "medical_insurance"}
    assert denied == {FIELD_NAME[c]: "FORBIDDEN" for c in outside}
    for category in outside:
        assert person[FIELD_NAME[category]] is None
    stats = clean_sandbox.stats()
    called = {name for name, s in stats.items() if s["calls"]}
    assert called <= {"ga_household", "ga_residence_permit", "bdc_person_property",
                      "rsj_person_si", "wjw_birth_cert", "cdc_vaccination"}
    assert stats["rmyh_credit"]["calls"] == 0 and stats["mzj_marriage"]["calls"] == 0


def test_denials_have_the_right_code_and_call_no_source(
        app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    subject = school_person(clean_sandbox)
    other = next(p["id"] for p in clean_sandbox.samples["persons"] if p["id"] != subject)
    fields = FIELDS["household"]
    reusable = grant(app, subject, fetchType="REUSABLE", maxUses=3)["data"]["grantConsent"]["id"]
    cases = [
        ({"subject": other, "consent": reusable}, "CONSENT_REQUIRED"),  # another subject
        ({"consent": reusable, "purpose": "NEWBORN"}, "CONSENT_INVALID"),  # another purpose
        ({"consent": reusable, "caller": "window"}, "CONSENT_INVALID"),  # another caller
        ({"consent": None}, "CONSENT_REQUIRED"),  # none presented
        ({"consent": "cst_doesnotexist"}, "CONSENT_INVALID"),  # unknown id
    ]
    for case, code in cases:
        clean_sandbox.reset()
        body = read(app, case.get("subject", subject), case["consent"],
                    caller=case.get("caller", "portal"), purpose=case.get("purpose",
                                                                          "SCHOOL_ENROLMENT"),
                    fields=fields)
        assert errors_by_field(body) == {"householdRegistration": code}, (case, body)
        assert body["data"]["person"]["householdRegistration"] is None
        assert clean_sandbox.total_calls() == 0, case


def test_one_time_consent_is_used_up(app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    subject = school_person(clean_sandbox)
    consent = grant(app, subject)["data"]["grantConsent"]["id"]
    first = read(app, subject, consent, fields=FIELDS["household"])
    assert first["data"]["person"]["householdRegistration"] is not None
    clean_sandbox.reset()
    second = read(app, subject, consent, fields=FIELDS["household"])
    assert errors_by_field(second) == {"householdRegistration": "CONSENT_INVALID"}
    assert "no use left" in second["errors"][0]["message"]
    assert clean_sandbox.total_calls() == 0


def test_revocation_stops_a_reusable_consent(app: HubHarness,
                                            clean_sandbox: SandboxProcess) -> None:
    subject = school_person(clean_sandbox)
    consent = grant(app, subject, fetchType="REUSABLE", maxUses=3)["data"]["grantConsent"]["id"]
    assert read(app, subject, consent, fields=FIELDS["household"])["data"]["person"][
        "householdRegistration"]
    r = app.post('mutation($id: ID!) { revokeConsent(id: $id) { status usesLeft } }',
                 {"id": consent}, caller="portal", purpose=None)
    assert r.json()["data"]["revokeConsent"] == {"status": "REVOKED", "usesLeft": 2}
    clean_sandbox.reset()
    body = read(app, subject, consent, fields=FIELDS["household"])
    assert errors_by_field(body) == {"householdRegistration": "CONSENT_INVALID"}
    assert "revoked" in body["errors"][0]["message"]
    assert clean_sandbox.total_calls() == 0


def _store_url(app: HubHarness) -> str:
    return app.settings.store_url


async def _insert(app: HubHarness, consent: Consent) -> None:
    store = await open_store(_store_url(app))
    try:
        await store.consents.add(consent)
    finally:
        await store.close()


async def _tamper(app: HubHarness, consent_id: str, **values: object) -> None:
    store = await open_store(_store_url(app))
    try:
        async with store.engine.begin() as conn:
            await conn.execute(update(store.consents.table)
                               .where(store.consents.table.c.id == consent_id).values(**values))
    finally:
        await store.close()


def forged(ring: KeyRing, subject_pseudonym: str, **change: object) -> Consent:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    base = Consent(id="cst_" + now.strftime("%H%M%S%f") + str(change.get("id_suffix", "")),
                   subject=subject_pseudonym, grantee="portal", purpose="SCHOOL_ENROLMENT",
                   categories=("household",), valid_from=now - dt.timedelta(days=10),
                   valid_until=now + dt.timedelta(days=10), fetch_type="REUSABLE", max_uses=5,
                   created_at=now - dt.timedelta(days=10), key_id="", signature="")
    change.pop("id_suffix", None)
    base = dataclasses.replace(base, **change)  # type: ignore[arg-type]
    signature, kid = ring.sign(canonical(base.signed_content()))
    return dataclasses.replace(base, signature=signature, key_id=kid)


def test_expired_tampered_and_foreign_consents(app: HubHarness, clean_sandbox: SandboxProcess,
                                               tmp_path: Path) -> None:
    subject = school_person(clean_sandbox)
    ring = KeyRing.load(app.settings.keys_dir)
    pseud = pseudonym(ring.pseudonym_keys, ring.pseudonym_version, subject)
    now = dt.datetime.now(dt.UTC)
    expired = forged(ring, pseud, id_suffix="e", valid_until=now - dt.timedelta(minutes=5))
    foreign = forged(init_keys(tmp_path / "stranger"), pseud, id_suffix="f")
    good = forged(ring, pseud, id_suffix="g")
    for consent in (expired, foreign, good):
        asyncio.run(_insert(app, consent))
    raw = bytearray(good.signature.encode())
    raw[10] = ord("B") if raw[10] != ord("B") else ord("C")
    asyncio.run(_tamper(app, good.id, signature=raw.decode()))
    for consent, says in ((expired, "expired"), (foreign, "unknown key"),
                          (good, "does not verify")):
        clean_sandbox.reset()
        body = read(app, subject, consent.id, fields=FIELDS["household"])
        assert errors_by_field(body) == {"householdRegistration": "CONSENT_INVALID"}, says
        assert says in body["errors"][0]["message"]
        assert clean_sandbox.total_calls() == 0


def test_widening_a_stored_consent_breaks_its_signature(app: HubHarness,
                                                       clean_sandbox: SandboxProcess) -> None:
    subject = school_person(clean_sandbox)
    consent = grant(app, subject, categories=["household"], fetchType="REUSABLE",
                    maxUses=3)["data"]["grantConsent"]["id"]
    asyncio.run(_tamper(app, consent, categories="household,property"))
    clean_sandbox.reset()
    body = read(app, subject, consent, fields=FIELDS["property"])
    assert errors_by_field(body) == {"propertyCertificates": "CONSENT_INVALID"}
    assert clean_sandbox.total_calls() == 0


def test_aliases_fragments_and_several_subjects(app: HubHarness,
                                                clean_sandbox: SandboxProcess) -> None:
    subject = school_person(clean_sandbox)
    other = next(p["id"] for p in clean_sandbox.samples["persons"]
                 if "household" in p["tags"] and p["id"] != subject)
    consent = grant(app, subject, fetchType="REUSABLE", maxUses=3)["data"]["grantConsent"]["id"]
    query = """query($a: ResidentId!, $b: ResidentId!) {
      mine: person(id: $a) { h1: householdRegistration { name } ...F }
      theirs: person(id: $b) { h2: householdRegistration { name } ...F }
    }
    fragment F on Person { p: propertyCertificates { address } c: creditReport { grade } }"""
    clean_sandbox.reset()
    r = app.post(query, {"a": subject, "b": other}, caller="portal", purpose="SCHOOL_ENROLMENT",
                 headers={"X-Hub-Consent": consent})
    body = r.json()
    errors = {".".join(map(str, e["path"])): e["extensions"]["code"] for e in body["errors"]}
    assert errors == {"mine.c": "FORBIDDEN", "theirs.h2": "CONSENT_REQUIRED",
                      "theirs.p": "CONSENT_REQUIRED", "theirs.c": "FORBIDDEN"}
    assert body["data"]["mine"]["h1"]["name"] and body["data"]["mine"]["p"]
    assert body["data"]["theirs"] == {"h2": None, "p": None, "c": None}
    stats = clean_sandbox.stats()
    assert stats["ga_household"]["keys"] == 1 and stats["rmyh_credit"]["calls"] == 0


@pytest.mark.parametrize(("change", "says"), [
    ({"purpose": "IPO_COMPLIANCE"}, "statutory duty"),
    ({"purpose": "NO_SUCH"}, "not a registered matter"),
    ({"grantee": "fgw"}, "input.grantee: 'fgw' may not use SCHOOL_ENROLMENT"),
    ({"categories": ["credit"]}, "does not release 'credit'"),
    ({"categories": []}, "at least one"),
    ({"fetchType": "REUSABLE", "maxUses": 4}, "allows 1 to 3 uses"),
    ({"maxUses": 2}, "ONE_TIME consent is used once"),
    ({"validUntil": "2099-01-01T00:00:00+08:00"}, "last at most 30 days"),
    ({"validUntil": "2020-01-01T00:00:00+08:00"}, "must be in the future"),
])
def test_grants_outside_the_caps_are_refused(app: HubHarness, clean_sandbox: SandboxProcess,
                                             change: dict[str, Any], says: str) -> None:
    subject = school_person(clean_sandbox)
    input_ = {"subject": subject, "purpose": "SCHOOL_ENROLMENT", "grantee": "portal",
              "categories": ["household"], **change}
    r = app.post(GRANT, {"input": input_}, caller="portal", purpose=None)
    (error,) = r.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and says in error["message"]


def test_study_abroad_allows_only_one_time(app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    body = grant(app, school_person(clean_sandbox), purpose="STUDY_ABROAD", fetchType="REUSABLE")
    assert "allows only ONE_TIME" in body["errors"][0]["message"]


@pytest.mark.parametrize("caller", ["fgw", "auditor"])
def test_only_the_portal_grants_and_revokes(app: HubHarness, clean_sandbox: SandboxProcess,
                                            caller: str) -> None:
    """(A window records paper consents only: tests/schema/test_window_consent.py.)"""
    subject = school_person(clean_sandbox)
    r = app.post(GRANT, {"input": {"subject": subject, "purpose": "SCHOOL_ENROLMENT",
                                   "grantee": "portal", "categories": ["household"]}},
                 caller=caller, purpose=None)
    assert r.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    r = app.post('mutation { revokeConsent(id: "cst_x") { status } }', caller=caller,
                 purpose=None)
    assert r.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_the_portal_grants_for_the_window(app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    subject = school_person(clean_sandbox)
    consent = grant(app, subject, grantee="window")["data"]["grantConsent"]
    assert consent["grantee"] == "window"
    assert read(app, subject, consent["id"], caller="window",
                fields=FIELDS["household"])["data"]["person"]["householdRegistration"]


def test_a_failing_source_is_an_error_not_an_empty_certificate(
        app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    subject = school_person(clean_sandbox)
    consent = grant(app, subject)["data"]["grantConsent"]["id"]
    clean_sandbox.fault("ga_household", "error")
    body = read(app, subject, consent, fields=FIELDS["household"] + " " + FIELDS["property"])
    assert errors_by_field(body) == {"householdRegistration": "SOURCE_UNAVAILABLE"}
    assert body["data"]["person"]["propertyCertificates"]


CALLERS = ["portal", "window", "fgw", "xzsp", "court", "auditor"]


@pytest.mark.parametrize("purpose", sorted(DEFAULT_MATTERS))
def test_catalogue_table(app: HubHarness, clean_sandbox: SandboxProcess, purpose: str) -> None:
    """Callers x purposes x categories: exactly what the catalogue allows is released."""
    matter = DEFAULT_MATTERS[purpose]
    subject = school_person(clean_sandbox)  # a source is asked even if it knows nothing
    for caller in CALLERS:
        consent = None
        if matter.legal_basis == "CONSENT" and caller in matter.callers \
                and person_categories(purpose):
            consent = grant(app, subject, purpose=purpose, grantee=caller)["data"][
                "grantConsent"]["id"]
        clean_sandbox.reset()
        body = read(app, subject, consent, caller=caller, purpose=purpose)
        allowed = matter.legal_basis == "CONSENT" and caller in matter.callers
        if not allowed:
            assert body["data"]["person"] is None
            assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
            assert clean_sandbox.total_calls() == 0
            continue
        denied = errors_by_field(body)
        expected = {FIELD_NAME[c]: "FORBIDDEN" for c in ID_CATEGORIES
                    if c not in matter.categories}
        assert denied == expected, (caller, purpose)
        called = {n for n, s in clean_sandbox.stats().items() if s["calls"]}
        cats_called = {app.sandbox.config["sources"][n]["domain"] for n in called}
        assert cats_called == set(matter.categories) & set(ID_CATEGORIES), (caller, purpose)


def test_matters_query_shows_the_catalogue(app: HubHarness) -> None:
    r = app.post("{ matters { code legalBasis callers categories maxValidityDays fetchTypes "
                 "maxUses } }", caller="portal", purpose=None)
    matters = {m["code"]: m for m in r.json()["data"]["matters"]}
    assert set(matters) == set(DEFAULT_MATTERS)
    assert matters["SCHOOL_ENROLMENT"]["categories"] == [
        "household", "residence_permit", "property", "social_insurance", "birth_certificate",
        "vaccination"]
    assert matters["IPO_COMPLIANCE"]["legalBasis"] == "STATUTORY"


def test_pseudonyms_only_in_the_store(app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    subject = school_person(clean_sandbox)
    grant(app, subject)

    async def subjects() -> list[str]:
        engine = create_async_engine(_store_url(app))
        try:
            async with engine.connect() as conn:
                from sqlalchemy import text

                return [r[0] for r in await conn.execute(text("SELECT subject FROM consents"))]
        finally:
            await engine.dispose()

    stored = asyncio.run(subjects())
    assert stored and all(s.startswith("v1:") and len(s) == 67 for s in stored)
    assert subject not in " ".join(stored)


PREFILL = """query($m: String!, $a: ResidentId!) { prefill(matter: $m, applicant: $a) {
  matter filledShare filled total fields { name value category source role }
  gaps { role category code reason } } }"""


def test_prefill_fills_what_the_consent_covers(app: HubHarness,
                                               clean_sandbox: SandboxProcess) -> None:
    """`applicant:` still works (the matter's first role); what the consent does not cover is
    a gap that says so, and its source is never called."""
    subject = school_person(clean_sandbox)
    consent = grant(app, subject, categories=["household", "property"])["data"][
        "grantConsent"]["id"]
    clean_sandbox.reset()
    r = app.post(PREFILL, {"m": "SCHOOL_ENROLMENT", "a": subject}, caller="portal",
                 purpose="SCHOOL_ENROLMENT", headers={"X-Hub-Consent": consent})
    prefill = r.json()["data"]["prefill"]
    fields = {f["name"]: f for f in prefill["fields"]}
    assert fields["guardian_address"]["value"] and fields["guardian_address"]["role"] == "GUARDIAN"
    assert fields["property_certificate_no"]["value"].startswith("豫(")
    assert fields["guardian_address"]["source"] == "ga_household"
    gaps = {(g["role"], g["category"]): g for g in prefill["gaps"]}
    si = gaps[("GUARDIAN", "social_insurance")]
    assert si["code"] == "CONSENT_REQUIRED" and "授权" in si["reason"]
    assert gaps[("CHILD", "household")]["code"] == "SUBJECT_MISSING"
    filled = sum(f["value"] is not None for f in prefill["fields"])
    assert prefill["filled"] == filled and prefill["total"] == len(prefill["fields"])
    assert prefill["filledShare"] == round(filled / len(prefill["fields"]), 3)
    assert clean_sandbox.stats()["rsj_person_si"]["calls"] == 0
    r = app.post(PREFILL, {"m": "NEWBORN", "a": subject}, caller="portal",
                 purpose="SCHOOL_ENROLMENT", headers={"X-Hub-Consent": consent})
    assert r.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


CIVIC = ["vaccination", "medical_insurance", "housing_fund", "exit_entry", "veteran",
         "overseas_degree", "ss_card", "pension", "one_child", "disability_subsidy",
         "subsidised_housing", "contract_filing"]


@pytest.mark.parametrize("category", CIVIC)
def test_the_new_categories_are_denied_like_the_first(
        app: HubHarness, clean_sandbox: SandboxProcess, category: str) -> None:
    """No consent, a consent without the category, a matter that does not release it: denied
    with the right code and no call; a consent that covers it: the data."""
    purpose = next(m.code for m in DEFAULT_MATTERS.values()
                   if m.legal_basis == "CONSENT" and category in person_categories(m.code))
    outside = next(m.code for m in DEFAULT_MATTERS.values()
                   if m.legal_basis == "CONSENT" and person_categories(m.code)
                   and category not in m.categories)
    subject = next(p["id"] for p in clean_sandbox.samples["persons"] if category in p["tags"])
    field, source = FIELDS[category], next(
        n for n, t in app.sandbox.config["sources"].items()
        if t["subject"] == "person" and t["domain"] == category)
    others = [c for c in person_categories(purpose) if c != category]
    born = dt.date(int(subject[6:10]), int(subject[10:12]), int(subject[12:14]))
    today = dt.date.today()
    minor = today.year - born.year - ((today.month, today.day) < (born.month, born.day)) < 18
    guardian = {"guardian": next(p["id"] for p in clean_sandbox.samples["persons"]
                                 if "marriage" in p["tags"])} if minor else {}
    narrow = grant(app, subject, purpose=purpose, categories=others[:1],
                   **guardian)["data"]["grantConsent"]["id"]
    wide = grant(app, subject, purpose=purpose, **guardian)["data"]["grantConsent"]["id"]
    elsewhere = grant(app, subject, purpose=outside, **guardian)["data"]["grantConsent"]["id"]
    for consent, asked, code in ((None, purpose, "CONSENT_REQUIRED"),
                                 (narrow, purpose, "CONSENT_REQUIRED"),
                                 (elsewhere, outside, "FORBIDDEN")):
        clean_sandbox.reset()
        body = read(app, subject, consent, purpose=asked, fields=field)
        assert errors_by_field(body) == {FIELD_NAME[category]: code}, (consent, asked)
        assert clean_sandbox.total_calls() == 0
    clean_sandbox.reset()
    body = read(app, subject, wide, purpose=purpose, fields=field)
    assert "errors" not in body, body
    assert body["data"]["person"][FIELD_NAME[category]]
    assert clean_sandbox.stats()[source]["keys"] == 1
