"""Electronic licences through the real hub and the sandbox licence library: verified at the
hub, decided like the data they belong to, never a licence that merely looked right."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from hub.config.settings import load_settings
from tests.hub_harness import HubHarness
from tests.sandbox_process import SandboxProcess

LICENCE = """query($t: LicenceType!, $n: String!, $h: String!) {
  licence(type: $t, number: $n, holder: $h) {
    type number verification detail replacesPaper claimedIssuer holderName issuerName validUntil
    details { name value } document signature keyId application } }"""
LICENCES = """query($h: String!, $types: [LicenceType!], $days: Int) {
  licences(holder: $h, types: $types, expiringWithinDays: $days) {
    type number verification validUntil holderName } }"""
GRANT = """mutation($input: GrantConsentInput!) { grantConsent(input: $input) { id } }"""
ENTRIES = """query($case: String) { auditEntries(filter: {case: $case}) { edges { node {
  outcome released denied subjects sources { source status } } } } }"""


@pytest.fixture(scope="module")
def app(sandbox: SandboxProcess, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[HubHarness]:
    harness = HubHarness(sandbox, tmp_path_factory.mktemp("licences"))
    yield harness
    harness.close()


def sample(sandbox: SandboxProcess, kind: str, tag: str) -> dict[str, Any]:
    return next(x for x in sandbox.samples["licences"] if x["type"] == kind
                and tag in x["tags"])


def ask(app: HubHarness, lic: dict[str, Any], *, holder: str | None = None,
        caller: str = "xzsp", purpose: str | None = "IPO_COMPLIANCE",
        headers: dict[str, str] | None = None) -> dict[str, Any]:
    r = app.post(LICENCE, {"t": lic["type"], "n": lic["number"],
                           "h": holder or lic["holder"]}, caller=caller, purpose=purpose,
                 headers=headers)
    return r.json()  # type: ignore[no-any-return]


def entry(app: HubHarness, case: str) -> dict[str, Any]:
    r = app.post(ENTRIES, {"case": case}, caller="auditor", purpose=None)
    (edge,) = r.json()["data"]["auditEntries"]["edges"]
    return edge["node"]  # type: ignore[no-any-return]


def library_calls(sandbox: SandboxProcess) -> int:
    return int(sandbox.stats()["dzzz_licences"]["calls"])


def test_a_genuine_licence_replaces_the_paper(app: HubHarness, sandbox: SandboxProcess) -> None:
    lic = sample(sandbox, "FOOD_BUSINESS_PERMIT", "valid")
    out = ask(app, lic)["data"]["licence"]
    assert out["verification"] == "VALID" and out["replacesPaper"] is True
    assert out["holderName"] == lic["holderName"] and out["number"] == lic["number"]
    assert out["validUntil"] == lic["validUntil"]
    doc = json.loads(out["document"])
    assert doc["licenceNo"] == lic["number"] and doc["holderId"] == lic["holder"]
    assert out["claimedIssuer"] == "scjg" and out["issuerName"] == "新乡市市场监督管理局"


@pytest.mark.parametrize("kind, tag, verdict", [
    ("FOOD_BUSINESS_PERMIT", "forged", "BAD_SIGNATURE"),
    ("FOOD_BUSINESS_PERMIT", "unknown-issuer", "UNKNOWN_ISSUER"),
    ("FOOD_BUSINESS_PERMIT", "expired", "EXPIRED"),
    ("FOOD_BUSINESS_PERMIT", "revoked", "REVOKED"),
    ("BUSINESS_LICENCE", "revoked", "REVOKED"),
])
def test_a_licence_that_is_not_good_says_why_and_does_not_replace_paper(
        app: HubHarness, sandbox: SandboxProcess, kind: str, tag: str, verdict: str) -> None:
    lic = sample(sandbox, kind, tag)
    out = ask(app, lic)["data"]["licence"]
    assert out["verification"] == verdict and out["replacesPaper"] is False
    if verdict in ("BAD_SIGNATURE", "UNKNOWN_ISSUER"):
        # Nothing the document claims is shown: not the holder, not the dates.
        assert out["holderName"] is None and out["validUntil"] is None
        assert out["document"] is None and out["details"] == []
    else:
        assert out["holderName"] == lic["holderName"]


def test_the_expired_one_is_past_its_last_day(app: HubHarness, sandbox: SandboxProcess) -> None:
    lic = sample(sandbox, "BUSINESS_LICENCE", "expired")
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    assert dt.date.fromisoformat(lic["validUntil"]) < today  # the sample's own data
    assert ask(app, lic)["data"]["licence"]["verification"] == "EXPIRED"


def test_another_holders_number_gives_nothing_and_the_auditor_sees_why(
        app: HubHarness, sandbox: SandboxProcess) -> None:
    owner = sample(sandbox, "FOOD_BUSINESS_PERMIT", "valid")
    other = sample(sandbox, "BUSINESS_LICENCE", "valid")["holder"]
    assert other != owner["holder"]
    r = app.post(LICENCE, {"t": owner["type"], "n": owner["number"], "h": other},
                 caller="xzsp", purpose="IPO_COMPLIANCE", headers={"X-Hub-Case": "lic-other"})
    assert r.json() == {"data": {"licence": None}}
    assert owner["holderName"] not in r.text
    audit = entry(app, "lic-other")
    assert audit["released"] == [] and audit["denied"] == ["licence: LICENCE_NOT_HELD"]
    assert audit["outcome"] == "DENIED"


def test_a_library_answering_about_someone_else_releases_nothing(
        app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    lic = sample(clean_sandbox, "BUSINESS_LICENCE", "valid")
    ask(app, lic)  # warm the connection first: the fault must hold on a kept-alive one
    clean_sandbox.fault("dzzz_licences", "wrong-subject")
    out = ask(app, lic, headers={"X-Hub-Case": "lic-wrong"})
    assert out == {"data": {"licence": None}}
    assert entry(app, "lic-wrong")["denied"] == ["licence: LICENCE_NOT_HELD"]


def test_an_unknown_number_is_null_and_released_as_none(app: HubHarness,
                                                        sandbox: SandboxProcess) -> None:
    lic = dict(sample(sandbox, "FOOD_BUSINESS_PERMIT", "valid"), number="JY99999999999999")
    assert ask(app, lic, headers={"X-Hub-Case": "lic-none"}) == {"data": {"licence": None}}
    assert entry(app, "lic-none")["released"] == ["licence"]


def test_the_library_down_is_an_error_never_an_absent_licence(
        app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    lic = sample(clean_sandbox, "BUSINESS_LICENCE", "valid")
    ask(app, lic)
    clean_sandbox.fault("dzzz_licences", "down")
    out = ask(app, lic)
    assert out["data"]["licence"] is None
    assert out["errors"][0]["extensions"]["code"] == "SOURCE_UNAVAILABLE"
    clean_sandbox.fault("dzzz_licences", "garbage")
    assert ask(app, lic)["errors"][0]["extensions"]["code"] == "SOURCE_INVALID"


@pytest.mark.parametrize("mode, code", [("reset", "SOURCE_UNAVAILABLE"),
                                        ("partial", "SOURCE_INVALID")])
def test_a_library_that_half_answers_is_never_read_as_no_licence(
        app: HubHarness, clean_sandbox: SandboxProcess, mode: str, code: str) -> None:
    lic = sample(clean_sandbox, "FOOD_BUSINESS_PERMIT", "valid")
    ask(app, lic)
    clean_sandbox.fault("dzzz_licences", mode)
    r = app.post(LICENCES, {"h": lic["holder"]}, caller="xzsp", purpose="IPO_COMPLIANCE")
    out = r.json()
    assert out["data"] is None or out["data"]["licences"] is None
    assert out["errors"][0]["extensions"]["code"] == code


def test_a_persons_licence_needs_that_persons_consent_and_costs_no_call_without(
        app: HubHarness, sandbox: SandboxProcess) -> None:
    lic = sample(sandbox, "PROPERTY_CERTIFICATE", "valid")
    before = library_calls(sandbox)
    out = ask(app, lic, caller="portal", purpose="SCHOOL_ENROLMENT")
    assert out["errors"][0]["extensions"]["code"] == "CONSENT_REQUIRED"
    assert library_calls(sandbox) == before
    r = app.post(GRANT, {"input": {"subject": lic["holder"], "purpose": "SCHOOL_ENROLMENT",
                                   "grantee": "portal", "categories": ["property"]}},
                 caller="portal", purpose=None)
    consent = {"X-Hub-Consent": r.json()["data"]["grantConsent"]["id"]}
    got = ask(app, lic, caller="portal", purpose="SCHOOL_ENROLMENT", headers=consent)
    assert got["data"]["licence"]["verification"] == "VALID"
    assert got["data"]["licence"]["holderName"] == lic["holderName"]
    again = ask(app, lic, caller="portal", purpose="SCHOOL_ENROLMENT", headers=consent)
    assert again["errors"][0]["extensions"]["code"] == "CONSENT_INVALID"  # one-time: spent


def test_a_disability_certificate_is_not_released_by_a_matter_that_does_not_need_it(
        app: HubHarness, sandbox: SandboxProcess) -> None:
    lic = sample(sandbox, "DISABILITY_CERTIFICATE", "valid")
    out = ask(app, lic, caller="portal", purpose="SCHOOL_ENROLMENT")
    assert out["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_an_enterprise_licence_needs_a_purpose_the_caller_may_use(
        app: HubHarness, sandbox: SandboxProcess) -> None:
    lic = sample(sandbox, "BUSINESS_LICENCE", "valid")
    assert ask(app, lic, purpose=None)["errors"][0]["extensions"]["code"] == "PURPOSE_REQUIRED"
    assert ask(app, lic, caller="fgw", purpose="BANKRUPTCY")["errors"][0]["extensions"][
        "code"] == "FORBIDDEN"
    assert ask(app, lic, caller="auditor", purpose="IPO_COMPLIANCE")["errors"][0][
        "extensions"]["code"] == "FORBIDDEN"


def test_expiry_reminders_list_the_valid_ones_ending_within_the_days(
        app: HubHarness, sandbox: SandboxProcess) -> None:
    lic = sample(sandbox, "FOOD_BUSINESS_PERMIT", "expiring")
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    days = (dt.date.fromisoformat(lic["validUntil"]) - today).days
    assert 0 <= days <= 30
    r = app.post(LICENCES, {"h": lic["holder"], "days": days}, caller="xzsp",
                 purpose="IPO_COMPLIANCE")
    listed = r.json()["data"]["licences"]
    assert {(x["type"], x["number"]) for x in listed} >= {(lic["type"], lic["number"])}
    assert all(x["verification"] == "VALID" and x["validUntil"] is not None
               and dt.date.fromisoformat(x["validUntil"]) <= today + dt.timedelta(days=days)
               for x in listed)
    if days > 0:
        earlier = app.post(LICENCES, {"h": lic["holder"], "days": days - 1}, caller="xzsp",
                           purpose="IPO_COMPLIANCE").json()["data"]["licences"]
        assert (lic["type"], lic["number"]) not in {(x["type"], x["number"]) for x in earlier}


def test_all_of_an_enterprises_licences(app: HubHarness, sandbox: SandboxProcess) -> None:
    lic = sample(sandbox, "FOOD_BUSINESS_PERMIT", "valid")
    r = app.post(LICENCES, {"h": lic["holder"]}, caller="xzsp", purpose="IPO_COMPLIANCE")
    listed = r.json()["data"]["licences"]
    assert ("BUSINESS_LICENCE", lic["holder"]) in {(x["type"], x["number"]) for x in listed}
    assert (lic["type"], lic["number"]) in {(x["type"], x["number"]) for x in listed}


@pytest.mark.parametrize("variables, words", [
    ({"t": "FOOD_BUSINESS_PERMIT", "n": "JY1", "h": "410702196708144574"}, "a USCC"),
    ({"t": "PROPERTY_CERTIFICATE", "n": "x", "h": "91410700MA44TEST0X"}, "a resident ID"),
    ({"t": "BUSINESS_LICENCE", "n": "x" * 65, "h": "9141070020299025X1"}, "number"),
    ({"t": "BUSINESS_LICENCE", "n": "  ", "h": "9141070020299025X1"}, "number"),
    ({"t": "NO_SUCH_LICENCE", "n": "x", "h": "9141070020299025X1"}, "LicenceType"),
])
def test_bad_arguments_are_refused_before_any_call(app: HubHarness, sandbox: SandboxProcess,
                                                   variables: dict[str, Any],
                                                   words: str) -> None:
    before = library_calls(sandbox)
    r = app.post(LICENCE, variables, caller="xzsp", purpose="IPO_COMPLIANCE")
    error = r.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and words in error["message"]
    assert library_calls(sandbox) == before


@pytest.mark.parametrize("days", [-1, 3651])
def test_expiring_within_days_has_bounds(app: HubHarness, days: int) -> None:
    r = app.post(LICENCES, {"h": "9141070020299025X1", "days": days}, caller="xzsp",
                 purpose="IPO_COMPLIANCE")
    assert r.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_trust_is_what_the_configuration_says(sandbox: SandboxProcess, tmp_path: Path) -> None:
    """The issuer's published key document, as a keys_file, is trusted; without the transport
    bureau among the issuers its permits are UNKNOWN_ISSUER."""
    lib = sandbox.config["licences"]
    keys_url = lib["url"].replace("/api/v1/licences/query", "/issuers/scjg/.well-known/"
                                                            "licence-keys")
    (tmp_path / "scjg.json").write_text(httpx2.get(keys_url).text, encoding="utf-8")
    config = tmp_path / "hub.toml"
    config.write_text(sandbox.config_text.split("# The licence library")[0] + f"""
[callers.xzsp]
role = "lead"
key_sha256 = "{'0' * 64}"

[licences]
url = "{lib['url']}"
credential = "{lib['credential']}"

[licences.issuers.scjg]
name = "新乡市市场监督管理局"
keys_file = "scjg.json"
""", encoding="utf-8")
    settings = load_settings(config)
    assert list(settings.issuers) == ["scjg"]
    narrow = HubHarness(sandbox, tmp_path / "hub", issuers=settings.issuers)
    try:
        food = sample(sandbox, "FOOD_BUSINESS_PERMIT", "valid")
        assert ask(narrow, food)["data"]["licence"]["verification"] == "VALID"
        road = sample(sandbox, "ROAD_TRANSPORT_PERMIT", "valid")
        out = ask(narrow, road)["data"]["licence"]
        assert out["verification"] == "UNKNOWN_ISSUER" and out["claimedIssuer"] == "jtj"
    finally:
        narrow.close()
