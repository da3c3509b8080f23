"""grantConsent for every kind of subject: a minor through a guardian, an enterprise through its
legal representative, and a window's paper consent with the clerk and the form recorded."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text, update

from hub.store import open_store
from tests.hub_harness import HubHarness
from tests.sandbox_process import SandboxProcess
from tests.schema.prefill_helpers import GRANT, applications

HOUSEHOLD = "query($id: ResidentId!) { person(id: $id) { householdRegistration { name } } }"


@pytest.fixture(scope="module")
def app(sandbox: SandboxProcess, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[HubHarness]:
    harness = HubHarness(sandbox, tmp_path_factory.mktemp("grants"))
    yield harness
    harness.close()


def post(app: HubHarness, inp: dict[str, Any], caller: str = "portal") -> dict[str, Any]:
    return app.post(GRANT, {"i": inp}, caller=caller, purpose=None).json()  # type: ignore[no-any-return]


def school(sandbox: SandboxProcess) -> dict[str, str]:
    return {s["role"].lower(): s["id"] for s in applications(sandbox, "SCHOOL_ENROLMENT")[0]}


def adults(sandbox: SandboxProcess, n: int) -> list[str]:
    return [p["id"] for p in sandbox.samples["persons"] if "marriage" in p["tags"]][:n]


def error(body: dict[str, Any]) -> tuple[str, str]:
    (e,) = body["errors"]
    return e["extensions"]["code"], e["message"]


def test_a_minor_consents_through_a_guardian(app: HubHarness, sandbox: SandboxProcess) -> None:
    family = school(sandbox)
    base = {"purpose": "SCHOOL_ENROLMENT", "grantee": "portal", "categories": ["household"],
            "subject": family["child"]}
    code, message = error(post(app, base))
    assert code == "BAD_USER_INPUT" and message.startswith("input.guardian: the subject is a "
                                                           "minor")
    code, message = error(post(app, {**base, "guardian": family["child"]}))
    assert "someone other than the subject" in message
    minors = [s["id"] for a in applications(sandbox, "SCHOOL_ENROLMENT")
              for s in a if s["role"] == "CHILD" and s["id"] != family["child"]]
    code, message = error(post(app, {**base, "guardian": minors[0]}))
    assert "a guardian must be an adult" in message
    body = post(app, {**base, "guardian": family["guardian"]})
    assert body["data"]["grantConsent"]["grantorRole"] == "GUARDIAN"
    assert body["data"]["grantConsent"]["channel"] == "ONLINE"


@pytest.mark.parametrize(("change", "says"), [
    ({"subject": "SAMPLE"}, "input.subject: give the person (subject) or the enterprise"),
    ({"enterprise": None}, "input.subject: give the person (subject) or the enterprise"),
    ({"legalRepresentative": None}, "input.legalRepresentative: an enterprise's authorisation "
                                    "is given by its legal representative"),
    ({"guardian": "SAMPLE"}, "input.guardian: an enterprise is represented by its legal "
                             "representative"),
    ({"purpose": "ENTERPRISE_CHANGE", "categories": ["household"]},
     "input.categories: 'household' is not an enterprise's data"),
    ({"categories": ["credit_records", "registration", "credit_records"]},
     "a category is named twice"),
    ({"categories": ["seal"]}, "input.categories: CREDIT_REPAIR does not release 'seal'"),
])
def test_an_enterprise_authorisation_is_checked(app: HubHarness, sandbox: SandboxProcess,
                                                change: dict[str, Any], says: str) -> None:
    uscc = applications(sandbox, "CREDIT_REPAIR")[0][0]["id"]
    rep = adults(sandbox, 1)[0]
    inp: dict[str, Any] = {"purpose": "CREDIT_REPAIR", "grantee": "portal",
                           "categories": ["registration", "credit_records"], "enterprise": uscc,
                           "legalRepresentative": rep}
    inp.update({k: rep if v == "SAMPLE" else v for k, v in change.items()})
    inp = {k: v for k, v in inp.items() if v is not None}
    code, message = error(post(app, inp))
    assert code == "BAD_USER_INPUT" and says in message, message


def test_a_person_consent_covers_only_person_data(app: HubHarness,
                                                  sandbox: SandboxProcess) -> None:
    rep = adults(sandbox, 1)[0]
    code, message = error(post(app, {"purpose": "ENTERPRISE_CHANGE", "grantee": "portal",
                                     "categories": ["household", "seal"], "subject": rep}))
    assert code == "BAD_USER_INPUT" and "'seal' is not a person's data" in message
    _, message = error(post(app, {"purpose": "ENTERPRISE_CHANGE", "grantee": "portal",
                                  "categories": ["household"], "subject": rep,
                                  "legalRepresentative": rep}))
    assert "only an enterprise's authorisation names a legal representative" in message


def test_a_window_records_a_paper_consent_with_clerk_and_form(
        app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    person = adults(clean_sandbox, 1)[0]
    base = {"purpose": "SCHOOL_ENROLMENT", "grantee": "window", "categories": ["household"],
            "subject": person}
    code, message = error(post(app, base, caller="window"))
    assert code == "BAD_USER_INPUT" and message.startswith("input.paperForm: a window records "
                                                           "a consent the applicant signed")
    code, message = error(post(app, {**base, "paperForm": "XZSP-2026-000123"}, caller="window"))
    assert message.startswith("input.operator: a paper consent names the window clerk")
    code, message = error(post(app, {**base, "grantee": "portal", "paperForm": "XZSP-1",
                                     "operator": "c1"}, caller="window"))
    assert "a window records consents for itself" in message
    for bad, says in (({"paperForm": "x"}, "input.paperForm: 4 to 64"),
                      ({"paperForm": "XZSP 2026;DROP"}, "input.paperForm: 4 to 64"),
                      ({"operator": "clerk 07"}, "input.operator: 1 to 64")):
        inp = {**base, "paperForm": "XZSP-2026-000123", "operator": "clerk-07", **bad}
        assert says in error(post(app, inp, caller="window"))[1]
    inp = {**base, "paperForm": "XZSP-2026-000123", "operator": "clerk-07"}
    consent = post(app, inp, caller="window")["data"]["grantConsent"]
    assert (consent["channel"], consent["operator"], consent["paperForm"]) == (
        "WINDOW", "clerk-07", "XZSP-2026-000123")
    r = app.post(HOUSEHOLD, {"id": person}, caller="window", purpose="SCHOOL_ENROLMENT",
                 headers={"X-Hub-Consent": consent["id"], "X-Hub-Operator": "clerk-07",
                          "X-Hub-Case": "WIN-1"})
    assert r.json()["data"]["person"]["householdRegistration"]["name"]
    # The portal may record a paper consent for the window too, with both references.
    code, message = error(post(app, {**base, "operator": "clerk-07"}))
    assert message.startswith("input.paperForm: an operator records a paper consent")
    # The clerk and the form are signed in: changing them in the store breaks the consent.
    asyncio.run(_tamper(app, consent["id"], "clerk-99"))
    r = app.post(HOUSEHOLD, {"id": person}, caller="window", purpose="SCHOOL_ENROLMENT",
                 headers={"X-Hub-Consent": consent["id"]})
    assert r.json()["errors"][0]["extensions"]["code"] == "CONSENT_INVALID"


async def _tamper(app: HubHarness, consent_id: str, operator: str) -> None:
    store = await open_store(app.settings.store_url)
    try:
        table = store.consents.table
        async with store.engine.begin() as conn:
            row = (await conn.execute(text("SELECT provenance FROM consents WHERE id = :i"),
                                      {"i": consent_id})).one()
            await conn.execute(update(table).where(table.c.id == consent_id).values(
                provenance=row[0].replace("clerk-07", operator), uses=0))
    finally:
        await store.close()


@pytest.mark.parametrize("caller", ["fgw", "court", "auditor"])
def test_only_the_portal_and_windows_record_consents(app: HubHarness, sandbox: SandboxProcess,
                                                     caller: str) -> None:
    inp = {"purpose": "SCHOOL_ENROLMENT", "grantee": "portal", "categories": ["household"],
           "subject": adults(sandbox, 1)[0], "paperForm": "XZSP-2026-000123",
           "operator": "clerk-07"}
    assert error(post(app, inp, caller=caller))[0] == "FORBIDDEN"


def test_a_window_cannot_revoke(app: HubHarness) -> None:
    r = app.post('mutation { revokeConsent(id: "cst_x") { status } }', caller="window",
                 purpose=None)
    assert r.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_the_store_keeps_enterprises_in_clear_and_people_by_pseudonym(
        app: HubHarness, sandbox: SandboxProcess) -> None:
    uscc = applications(sandbox, "CREDIT_REPAIR")[1][0]["id"]
    rep = adults(sandbox, 2)[1]
    body = post(app, {"purpose": "CREDIT_REPAIR", "grantee": "portal",
                      "categories": ["credit_records"], "enterprise": uscc,
                      "legalRepresentative": rep})
    consent_id = body["data"]["grantConsent"]["id"]

    async def row() -> tuple[str, str]:
        store = await open_store(app.settings.store_url)
        try:
            async with store.engine.connect() as conn:
                found = (await conn.execute(text(
                    "SELECT subject, provenance FROM consents WHERE id = :i"),
                    {"i": consent_id})).one()
                return str(found[0]), str(found[1])
        finally:
            await store.close()

    subject, provenance = asyncio.run(row())
    assert subject == uscc
    assert rep not in provenance and '"grantedBy": "v1:' in provenance
