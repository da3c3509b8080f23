"""The gateway as the one path for subject data: regression tests for the defects its
redesign fixed (issue 9), through the real app and the sandbox departments."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.hub_harness import HubHarness
from tests.sandbox_process import SandboxProcess

GRANT = """mutation($input: GrantConsentInput!) { grantConsent(input: $input) { id } }"""
HOUSEHOLD = "query($id: ResidentId!) { person(id: $id) { householdRegistration { name } } }"
ENTRIES = """query($case: String) { auditEntries(filter: {case: $case}) { edges { node {
  outcome released denied consentIds sources { source status } } } } }"""


@pytest.fixture(scope="module")
def app(sandbox: SandboxProcess, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[HubHarness]:
    harness = HubHarness(sandbox, tmp_path_factory.mktemp("gateway"))
    yield harness
    harness.close()


def one_time_consent(app: HubHarness, subject: str) -> str:
    r = app.post(GRANT, {"input": {"subject": subject, "purpose": "SCHOOL_ENROLMENT",
                                   "grantee": "portal", "categories": ["household"]}},
                 caller="portal", purpose=None)
    return r.json()["data"]["grantConsent"]["id"]  # type: ignore[no-any-return]


def entry(app: HubHarness, case: str) -> dict[str, Any]:
    r = app.post(ENTRIES, {"case": case}, caller="auditor", purpose=None)
    (edge,) = r.json()["data"]["auditEntries"]["edges"]
    return edge["node"]  # type: ignore[no-any-return]


def person_post(app: HubHarness, query: str, subject: str, consent: str,
                case: str | None = None) -> dict[str, Any]:
    headers = {"X-Hub-Consent": consent}
    if case:
        headers["X-Hub-Case"] = case
    r = app.post(query, {"id": subject}, caller="portal", purpose="SCHOOL_ENROLMENT",
                 headers=headers)
    return r.json()  # type: ignore[no-any-return]


def test_a_typo_or_an_empty_read_spends_no_consent(app: HubHarness,
                                                   clean_sandbox: SandboxProcess) -> None:
    """(a) A one-time consent with a syntax error, then with `{ __typename }`, then with a
    person query: the person query gets the data."""
    subject = clean_sandbox.person("household")
    consent = one_time_consent(app, subject)
    typo = person_post(app, "query($id: ResidentId!) { person(id: $id) { householdRegistration "
                       "{ name }", subject, consent)
    assert typo["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    invalid = person_post(app, "query($id: ResidentId!) { person(id: $id) { nosuchfield } }",
                          subject, consent)
    assert invalid["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    empty = app.post("{ __typename }", caller="portal", purpose="SCHOOL_ENROLMENT",
                     headers={"X-Hub-Consent": consent}).json()
    assert empty == {"data": {"__typename": "Query"}}
    body = person_post(app, HOUSEHOLD, subject, consent)
    assert "errors" not in body, body
    assert body["data"]["person"]["householdRegistration"]["name"]
    assert clean_sandbox.total_calls() == 1
    again = person_post(app, HOUSEHOLD, subject, consent)  # now it is spent
    assert again["errors"][0]["extensions"]["code"] == "CONSENT_INVALID"
    assert "no use left" in again["errors"][0]["message"]


def test_a_denied_field_spends_no_consent(app: HubHarness,
                                          clean_sandbox: SandboxProcess) -> None:
    subject = clean_sandbox.person("household")
    consent = one_time_consent(app, subject)
    denied = person_post(app, "query($id: ResidentId!) { person(id: $id) { creditReport "
                         "{ grade } } }", subject, consent)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = person_post(app, HOUSEHOLD, subject, consent)
    assert body["data"]["person"]["householdRegistration"], body


def test_twenty_parallel_requests_on_a_one_time_consent(app: HubHarness,
                                                        clean_sandbox: SandboxProcess) -> None:
    """The use is taken just before the source call, race-free: exactly one gets data."""
    subject = clean_sandbox.person("household")
    consent = one_time_consent(app, subject)
    with ThreadPoolExecutor(20) as pool:
        bodies = list(pool.map(lambda _: person_post(app, HOUSEHOLD, subject, consent),
                               range(20)))
    got = [b for b in bodies if (b["data"]["person"] or {}).get("householdRegistration")]
    refused = [b for b in bodies if b.get("errors")]
    assert len(got) == 1 and len(refused) == 19
    assert {b["errors"][0]["extensions"]["code"] for b in refused} == {"CONSENT_INVALID"}
    assert clean_sandbox.stats()["ga_household"]["keys"] == 1


def test_a_failed_person_source_is_denied_not_released(app: HubHarness,
                                                       clean_sandbox: SandboxProcess) -> None:
    """(b) The audit entry lists the field under denied with SOURCE_UNAVAILABLE only."""
    subject = clean_sandbox.person("household")
    consent = one_time_consent(app, subject)
    clean_sandbox.fault("ga_household", "error")
    body = person_post(app, HOUSEHOLD, subject, consent, case="GW-B-1")
    assert body["errors"][0]["extensions"]["code"] == "SOURCE_UNAVAILABLE"
    node = entry(app, "GW-B-1")
    assert node["released"] == []
    assert node["denied"] == ["person.householdRegistration: SOURCE_UNAVAILABLE"]
    assert node["outcome"] == "FAILED"
    assert node["sources"] == [{"source": "ga_household", "status": "UNAVAILABLE"}]
    assert consent in node["consentIds"]


def test_a_failed_registry_is_an_error_at_the_enterprise_path(
        app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    """(c) enterprise.name is null with SOURCE_UNAVAILABLE at its path, and so audited."""
    uscc = clean_sandbox.enterprise("clean")
    clean_sandbox.fault("scjg_registration", "error")
    r = app.post("query($u: USCC!) { enterprise(uscc: $u) { uscc name registration { name } } }",
                 {"u": uscc}, purpose="BANKRUPTCY", headers={"X-Hub-Case": "GW-C-1"})
    body = r.json()
    assert body["data"]["enterprise"] == {"uscc": uscc, "name": None, "registration": None}
    codes = {".".join(map(str, e["path"])): e["extensions"]["code"] for e in body["errors"]}
    assert codes == {"enterprise.name": "SOURCE_UNAVAILABLE",
                     "enterprise.registration": "SOURCE_UNAVAILABLE"}
    node = entry(app, "GW-C-1")
    assert node["released"] == [] and node["outcome"] == "FAILED"
    clean_sandbox.reset()
    r = app.post("query($u: USCC!) { enterprise(uscc: $u) { name } }", {"u": uscc},
                 purpose="BANKRUPTCY", headers={"X-Hub-Case": "GW-C-2"})
    assert r.json()["data"]["enterprise"]["name"]
    assert entry(app, "GW-C-2")["released"] == ["enterprise.name"]

