"""Materials a licence replaces, through the real app, the sandbox licence library and the
departments: waived exactly when the subject's electronic licence is VALID, which the test
works out from the sandbox world's own records, not from the hub."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from sandbox.civic import CivicWorld
from tests.hub_harness import HubHarness
from tests.sandbox_process import SandboxProcess
from tests.schema.prefill_helpers import applications, consents, filled, grant

QUERY = """query($m: String!, $s: [SubjectInput!]) { prefill(matter: $m, subjects: $s) {
  materialsWaived { name reason licence } materialsRequired { name reason licence } } }"""

CHINA = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(scope="module")
def app(sandbox: SandboxProcess, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[HubHarness]:
    harness = HubHarness(sandbox, tmp_path_factory.mktemp("prefill-licences"))
    yield harness
    harness.close()


@pytest.fixture(scope="module")
def world() -> CivicWorld:
    return CivicWorld(20240601)  # the sandbox's default seed: the same records


def prefill(app: HubHarness, matter: str, subjects: list[dict[str, str]],
            consent_ids: list[str]) -> dict[str, Any]:
    r = app.post(QUERY, {"m": matter, "s": subjects}, caller="portal", purpose=matter,
                 headers={"X-Hub-Consent": ",".join(consent_ids)})
    return r.json()  # type: ignore[no-any-return]


def materials(p: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    return ({m["name"]: m for m in p["materialsWaived"]},
            {m["name"]: m for m in p["materialsRequired"]})


def today() -> dt.date:
    return dt.datetime.now(CHINA).date()


def test_a_restaurants_business_licence_is_waived_when_its_e_licence_is_valid(
        app: HubHarness, clean_sandbox: SandboxProcess, world: CivicWorld) -> None:
    seen = set()
    for subjects in applications(clean_sandbox, "OPEN_RESTAURANT"):
        uscc = next(s["id"] for s in subjects if s["role"] == "ENTERPRISE")
        (record,) = world.enterprise_records(uscc, "business_licence") or [None]
        valid = record is not None and (record["term_until"] is None
                                        or record["term_until"] >= today())
        p = filled(prefill(app, "OPEN_RESTAURANT", subjects,
                           consents(app, clean_sandbox, "OPEN_RESTAURANT", subjects)))
        waived, required = materials(p)
        if valid:
            assert waived["营业执照"]["licence"] == "enterprise:BUSINESS_LICENCE"
            assert uscc in waived["营业执照"]["reason"] and "免提交" in waived["营业执照"]["reason"]
        else:
            assert "营业执照" in required
        seen.add(valid)
    assert True in seen


@pytest.mark.parametrize("tag, words", [("expired", "已过期"), ("revoked", "已被注销或吊销")])
def test_an_expired_or_revoked_business_licence_is_asked_for_on_paper(
        app: HubHarness, clean_sandbox: SandboxProcess, tag: str, words: str) -> None:
    holder = next(x["holder"] for x in clean_sandbox.samples["licences"]
                  if x["type"] == "BUSINESS_LICENCE" and tag in x["tags"])
    subjects = [{"role": "ENTERPRISE", "id": holder}]
    ids = [grant(app, "OPEN_RESTAURANT", "enterprise", holder, {},
                 representative=next(p["id"] for p in clean_sandbox.samples["persons"]
                                     if "marriage" in p["tags"]))["id"]]
    p = filled(prefill(app, "OPEN_RESTAURANT", subjects, ids))
    waived, required = materials(p)
    assert "营业执照" not in waived and words in required["营业执照"]["reason"]


def test_with_the_library_down_the_paper_is_asked_for_and_the_reason_says_so(
        app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    subjects = applications(clean_sandbox, "OPEN_RESTAURANT")[0]
    prefill(app, "OPEN_RESTAURANT", subjects,  # a kept-alive connection first
            consents(app, clean_sandbox, "OPEN_RESTAURANT", subjects))
    clean_sandbox.fault("dzzz_licences", "down")
    p = filled(prefill(app, "OPEN_RESTAURANT", subjects,
                       consents(app, clean_sandbox, "OPEN_RESTAURANT", subjects)))
    _, required = materials(p)
    assert "电子证照库暂时无法核验" in required["营业执照"]["reason"]
    assert "SOURCE_UNAVAILABLE" in required["营业执照"]["reason"]


def test_a_disability_certificate_is_waived_by_the_valid_e_licence(
        app: HubHarness, clean_sandbox: SandboxProcess, world: CivicWorld) -> None:
    checked = 0
    for subjects in applications(clean_sandbox, "DISABILITY_SERVICES")[:3]:
        rid = next(s["id"] for s in subjects if s["role"] == "APPLICANT")
        person = world.person(rid)
        assert person is not None
        certs = person.records["disability"]
        issued = certs[0]["issued_on"] if certs else None
        valid = issued is not None and issued.replace(year=issued.year + 10) > today()
        p = filled(prefill(app, "DISABILITY_SERVICES", subjects,
                           consents(app, clean_sandbox, "DISABILITY_SERVICES", subjects)))
        waived, required = materials(p)
        assert ("残疾人证" in waived) is valid, (rid, waived.get("残疾人证"),
                                              required.get("残疾人证"))
        checked += 1
    assert checked


FIELDS = """query($m: String!, $s: [SubjectInput!]) { prefill(matter: $m, subjects: $s) {
  fields { name value disputed objectionIds verified } } }"""
RAISE = """mutation($input: RaiseObjectionInput!) { raiseObjection(input: $input) {
  id status department item field } }"""


def test_an_enterprise_objects_to_its_own_data_and_its_prefill_says_disputed(
        app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    subjects = applications(clean_sandbox, "OPEN_RESTAURANT")[1]
    uscc = next(s["id"] for s in subjects if s["role"] == "ENTERPRISE")

    def fields() -> dict[str, dict[str, Any]]:
        ids = consents(app, clean_sandbox, "OPEN_RESTAURANT", subjects)
        r = app.post(FIELDS, {"m": "OPEN_RESTAURANT", "s": subjects}, caller="portal",
                     purpose="OPEN_RESTAURANT", headers={"X-Hub-Consent": ",".join(ids)})
        return {f["name"]: f for f in r.json()["data"]["prefill"]["fields"]}

    before = fields()
    assert before["entity_type"]["disputed"] is False and before["entity_type"]["verified"]
    clean_sandbox.client.post("/_sandbox/objections", json={"department": "scjg",
                                                            "answer": "never"})
    out = app.post(RAISE, {"input": {"subject": uscc, "path": "business_licence.entityType",
                                     "reason": "企业类型已变更为股份有限公司"}},
                   caller="portal", purpose="DATA_OBJECTION").json()["data"]["raiseObjection"]
    assert (out["status"], out["department"], out["item"], out["field"]) == (
        "RECEIVED", "市市场监管局", "business_licence", "entity_type")
    assert app.objection_state(out["id"]) == "FORWARDED"  # once the raise is on the record
    after = fields()
    assert after["entity_type"]["disputed"] is True
    assert after["entity_type"]["objectionIds"] == [out["id"]]
    assert after["entity_type"]["verified"] is False
    assert after["uscc"]["disputed"] is False  # another field of the same record


def test_an_enterprise_cannot_object_to_data_the_hub_never_gave(
        app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    uscc = next(e["uscc"] for e in clean_sandbox.samples["enterprises"]
                if "clean" in e["tags"])
    out = app.post(RAISE, {"input": {"subject": uscc, "path": "seal.seal_count",
                                     "reason": "印章枚数有误"}},
                   caller="portal", purpose="DATA_OBJECTION").json()
    assert "never gave seal data" in out["errors"][0]["message"]
    bad = app.post(RAISE, {"input": {"subject": uscc, "path": "business_licence.colour",
                                     "reason": "x"}}, caller="portal",
                   purpose="DATA_OBJECTION").json()
    assert "has no field 'colour'" in bad["errors"][0]["message"]
