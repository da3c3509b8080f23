"""Applications: opened by the caller that serves them, tied to requests by X-Hub-Application,
carried by what those requests produce, and looked up with a timeline of what the hub did."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import pytest

from tests.hub_harness import CHECK, HubHarness
from tests.sandbox_process import SandboxProcess

OPEN = """mutation($matter: String!, $subjects: [PartyInput!]!) {
  openApplication(matter: $matter, subjects: $subjects) { id matter status parties { role kind }
  timeline { kind } } }"""
SHOW = """query($id: ID!) { application(id: $id) { id status openObjections
  timeline { kind caller outcome refs summary } } }"""
CLOSE = """mutation($id: ID!) { closeApplication(id: $id) { status closedAt } }"""
GRANT = """mutation($input: GrantConsentInput!) { grantConsent(input: $input) { id application } }"""
PREFILL = """query($id: ResidentId!) { prefill(matter: "SCHOOL_ENROLMENT", applicant: $id) {
  application filledShare } }"""
LICENCE = """query($t: LicenceType!, $n: String!, $h: String!) {
  licence(type: $t, number: $n, holder: $h) { verification application } }"""
ENTRIES = """query($app: String) { auditEntries(filter: {application: $app}) { totalCount
  edges { node { application caller released } } } }"""
RAISE = """mutation($input: RaiseObjectionInput!) { raiseObjection(input: $input) {
  id application } }"""


@pytest.fixture(scope="module")
def app(sandbox: SandboxProcess, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[HubHarness]:
    harness = HubHarness(sandbox, tmp_path_factory.mktemp("applications"))
    yield harness
    harness.close()


def open_application(app: HubHarness, matter: str, subjects: list[dict[str, str]],
                     caller: str = "portal") -> dict[str, Any]:
    r = app.post(OPEN, {"matter": matter, "subjects": subjects}, caller=caller, purpose=matter)
    return r.json()  # type: ignore[no-any-return]


def test_an_application_ties_its_requests_and_shows_them_in_order(
        app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    subject = clean_sandbox.person("household", "property", "social_insurance")
    opened = open_application(app, "SCHOOL_ENROLMENT", [{"role": "applicant", "id": subject}])
    application = opened["data"]["openApplication"]
    assert application["status"] == "OPEN" and application["parties"] == [
        {"role": "applicant", "kind": "person"}]
    tie = {"X-Hub-Application": application["id"]}
    granted = app.post(GRANT, {"input": {"subject": subject, "purpose": "SCHOOL_ENROLMENT",
                                         "grantee": "portal",
                                         "categories": ["household", "property"]}},
                       caller="portal", purpose="SCHOOL_ENROLMENT",
                       headers=tie).json()["data"]["grantConsent"]
    assert granted["application"] == application["id"]
    prefill = app.post(PREFILL, {"id": subject}, caller="portal", purpose="SCHOOL_ENROLMENT",
                       headers={**tie, "X-Hub-Consent": granted["id"]}).json()
    assert prefill["data"]["prefill"]["application"] == application["id"]
    shown = app.post(SHOW, {"id": application["id"]}, caller="portal",
                     purpose=None).json()["data"]["application"]
    kinds = [t["kind"] for t in shown["timeline"]]
    assert kinds == ["OPENED", "CONSENT_GRANTED", "PREFILLED"]
    assert f"consent:{granted['id']}" in shown["timeline"][1]["refs"]
    assert all(t["caller"] == "portal" for t in shown["timeline"])
    entries = app.post(ENTRIES, {"app": application["id"]}, caller="auditor",
                       purpose=None).json()["data"]["auditEntries"]
    # The opening request (which made the id) and the two that sent it.
    assert entries["totalCount"] == 3
    assert {e["node"]["application"] for e in entries["edges"]} == {application["id"]}


def test_checks_and_licences_carry_the_application(app: HubHarness,
                                                   sandbox: SandboxProcess) -> None:
    uscc = sandbox.enterprise("clean")
    opened = open_application(app, "IPO_COMPLIANCE", [{"role": "enterprise", "id": uscc}],
                              caller="xzsp")
    aid = opened["data"]["openApplication"]["id"]
    tie = {"X-Hub-Application": aid}
    report = app.post(CHECK.replace("reportId kind", "reportId application kind"),
                      {"kind": "IPO_COMPLIANCE", "uscc": uscc}, caller="xzsp",
                      purpose="IPO_COMPLIANCE", headers=tie).json()["data"]["complianceCheck"]
    assert report["application"] == aid and json.loads(report["document"])["application"] == aid
    lic = app.post(LICENCE, {"t": "BUSINESS_LICENCE", "n": uscc, "h": uscc}, caller="xzsp",
                   purpose="IPO_COMPLIANCE", headers=tie).json()["data"]["licence"]
    assert lic["application"] == aid
    shown = app.post(SHOW, {"id": aid}, caller="xzsp", purpose=None).json()
    assert [t["kind"] for t in shown["data"]["application"]["timeline"]] == [
        "OPENED", "CHECKED", "LICENCE_VERIFIED"]
    assert any(r.startswith("report:") for r in shown["data"]["application"]["timeline"][1][
        "refs"])


def test_objections_carry_it_and_their_steps_join_the_timeline(
        app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    subject = [p["id"] for p in clean_sandbox.samples["persons"]
               if "household" in p["tags"] and int(p["id"][6:10]) <= 2006][20]
    aid = open_application(app, "SCHOOL_ENROLMENT", [{"role": "applicant", "id": subject}]
                           )["data"]["openApplication"]["id"]
    tie = {"X-Hub-Application": aid}
    cid = app.post(GRANT, {"input": {"subject": subject, "purpose": "SCHOOL_ENROLMENT",
                                     "grantee": "portal", "categories": ["household"]}},
                   caller="portal", purpose="SCHOOL_ENROLMENT",
                   headers=tie).json()["data"]["grantConsent"]["id"]
    app.post(PREFILL, {"id": subject}, caller="portal", purpose="SCHOOL_ENROLMENT",
             headers={**tie, "X-Hub-Consent": cid})
    clean_sandbox.client.post("/_sandbox/objections", json={"department": "ga",
                                                            "answer": "never"})
    out = app.post(RAISE, {"input": {"subject": subject, "path": "household.address",
                                     "reason": "住址有误"}}, caller="portal",
                   purpose="DATA_OBJECTION", headers={**tie, "X-Hub-Consent": cid}).json()
    assert out["data"]["raiseObjection"]["application"] == aid
    assert app.objection_state(out["data"]["raiseObjection"]["id"]) == "FORWARDED"
    shown = app.post(SHOW, {"id": aid}, caller="portal", purpose=None).json()
    application = shown["data"]["application"]
    assert application["openObjections"] == 1
    kinds = [t["kind"] for t in application["timeline"]]
    assert kinds[-2:] in (["OBJECTION_RAISED", "OBJECTION_FORWARDED"],
                          ["OBJECTION_FORWARDED", "OBJECTION_RAISED"])  # the same instant


def test_another_callers_application_is_as_unknown_as_one_that_does_not_exist(
        app: HubHarness, sandbox: SandboxProcess) -> None:
    subject = sandbox.person("household")
    aid = open_application(app, "SCHOOL_ENROLMENT", [{"role": "applicant", "id": subject}]
                           )["data"]["openApplication"]["id"]
    missing = "app_" + "0" * 32

    def message(caller: str, app_id: str, query: str = SHOW, purpose: str | None = None,
                headers: dict[str, str] | None = None) -> str:
        r = app.post(query, {"id": app_id}, caller=caller, purpose=purpose, headers=headers)
        error = r.json()["errors"][0]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        return str(error["message"]).replace(app_id, "X")

    assert message("window", aid) == message("window", missing)
    # As a header, too: refused before anything runs, in the same words.
    for_header = {"query": PREFILL, "purpose": "SCHOOL_ENROLMENT"}
    assert message("window", aid, headers={"X-Hub-Application": aid}, **for_header) == \
        message("window", missing, headers={"X-Hub-Application": missing}, **for_header)
    assert message("portal", aid, headers={"X-Hub-Application": aid},
                   query=PREFILL, purpose="PUBLIC_RENTAL_HOUSING").endswith(
        "serves SCHOOL_ENROLMENT, not PUBLIC_RENTAL_HOUSING")
    # The auditor reads any.
    audited = app.post(SHOW, {"id": aid}, caller="auditor", purpose=None).json()
    assert audited["data"]["application"]["id"] == aid


def test_a_closed_application_takes_no_more_requests(app: HubHarness,
                                                     sandbox: SandboxProcess) -> None:
    subject = sandbox.person("household")
    aid = open_application(app, "SCHOOL_ENROLMENT", [{"role": "applicant", "id": subject}]
                           )["data"]["openApplication"]["id"]
    assert app.post(CLOSE, {"id": aid}, caller="window", purpose=None).json()["errors"][0][
        "extensions"]["code"] == "BAD_USER_INPUT"
    closed = app.post(CLOSE, {"id": aid}, caller="portal", purpose=None).json()
    assert closed["data"]["closeApplication"]["status"] == "CLOSED"
    r = app.post(PREFILL, {"id": subject}, caller="portal", purpose="SCHOOL_ENROLMENT",
                 headers={"X-Hub-Application": aid})
    assert "is closed" in r.json()["errors"][0]["message"]


def stored(app: HubHarness) -> dict[str, str]:
    """The stored applications' statuses, read straight from the store."""
    with closing(sqlite3.connect(app.settings.store_url.removeprefix("sqlite+aiosqlite:///"))
                 ) as db:
        return dict(db.execute("SELECT id, status FROM applications").fetchall())


def test_opening_and_closing_commit_with_their_audit_entry_or_not_at_all(
        app: HubHarness, sandbox: SandboxProcess) -> None:
    """With the audit store unwritable, openApplication and closeApplication answer
    AUDIT_UNAVAILABLE and change no application; once it is writable, both land."""
    subject = sandbox.person("household")
    kept = open_application(app, "SCHOOL_ENROLMENT", [{"role": "applicant", "id": subject}]
                            )["data"]["openApplication"]["id"]
    before = stored(app)
    assert before[kept] == "OPEN"
    with app.audit_unwritable():
        opened = open_application(app, "SCHOOL_ENROLMENT",
                                  [{"role": "applicant", "id": subject}])
        closed = app.post(CLOSE, {"id": kept}, caller="portal", purpose=None).json()
    for failed in (opened, closed):
        assert failed["data"] is None
        assert failed["errors"][0]["extensions"]["code"] == "AUDIT_UNAVAILABLE"
    assert stored(app) == before  # none opened, none closed
    again = open_application(app, "SCHOOL_ENROLMENT", [{"role": "applicant", "id": subject}])
    aid = again["data"]["openApplication"]["id"]
    assert stored(app) == {**before, aid: "OPEN"}
    closing_now = app.post(CLOSE, {"id": kept}, caller="portal", purpose=None).json()
    assert closing_now["data"]["closeApplication"]["status"] == "CLOSED"
    assert stored(app) == {**before, aid: "OPEN", kept: "CLOSED"}


@pytest.mark.parametrize("matter, subjects, caller, code, words", [
    ("NO_SUCH_MATTER", [{"role": "applicant", "id": "410702196708144574"}], "portal",
     "BAD_USER_INPUT", "not a registered matter"),
    ("SCHOOL_ENROLMENT", [], "portal", "BAD_USER_INPUT", "1 to 10 subjects"),
    ("SCHOOL_ENROLMENT", [{"role": "Applicant!", "id": "410702196708144574"}], "portal",
     "BAD_USER_INPUT", "role"),
    ("SCHOOL_ENROLMENT", [{"role": "applicant", "id": "410702196708144575"}], "portal",
     "BAD_USER_INPUT", "neither a USCC nor a resident ID"),
    ("SCHOOL_ENROLMENT", [{"role": "applicant", "id": "410702196708144574"}] * 2, "portal",
     "BAD_USER_INPUT", "named twice"),
    ("IPO_COMPLIANCE", [{"role": "enterprise", "id": "9141070020299025X1"}], "portal",
     "FORBIDDEN", "may not"),
])
def test_bad_applications_are_refused(app: HubHarness, matter: str,
                                      subjects: list[dict[str, str]], caller: str, code: str,
                                      words: str) -> None:
    out = open_application(app, matter, subjects, caller=caller)
    error = out["errors"][0]
    assert error["extensions"]["code"] == code and words in error["message"], error


def test_a_malformed_application_header_is_refused(app: HubHarness) -> None:
    r = app.post(PREFILL, {"id": "410702196708144574"}, caller="portal",
                 purpose="SCHOOL_ENROLMENT", headers={"X-Hub-Application": "app id with spaces"})
    assert r.status_code == 400
    assert "X-Hub-Application" in r.json()["errors"][0]["message"]
