"""`prefill(matter, subjects)` through the real app and the sandbox departments: the 21 forms,
their units and sources, materials, gaps, and every subject's own consent."""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from consent.catalogue import DEFAULT_MATTERS
from tests.hub_harness import HubHarness
from tests.sandbox_process import SandboxProcess
from tests.schema.prefill_helpers import (
    applications,
    consents,
    filled,
    grant,
    prefill,
    some_adult,
)

MATTERS = [m.code for m in DEFAULT_MATTERS.values() if m.number is not None]
ENTRIES = """query($case: String) { auditEntries(filter: {case: $case}) { edges { node {
  outcome released denied consentIds } } } }"""


@pytest.fixture(scope="module")
def app(sandbox: SandboxProcess, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[HubHarness]:
    harness = HubHarness(sandbox, tmp_path_factory.mktemp("prefill"))
    yield harness
    harness.close()


def run(app: HubHarness, sandbox: SandboxProcess, matter: str,
        subjects: list[dict[str, str]], **kw: Any) -> dict[str, Any]:
    m = DEFAULT_MATTERS[matter]
    if m.legal_basis == "STATUTORY":
        return prefill(app, matter, subjects, [], caller=sorted(m.callers)[0], **kw)
    return prefill(app, matter, subjects, consents(app, sandbox, matter, subjects), **kw)


def by_name(p: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in p["fields"]}


@pytest.mark.parametrize("matter", MATTERS)
def test_every_matter_fills_more_than_half_of_its_form(
        app: HubHarness, sandbox: SandboxProcess, matter: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The reform's target, measured: mean filledShare over the matter's sample applicants."""
    apps = applications(sandbox, matter)
    assert len(apps) >= 5
    shares = []
    for subjects in apps:
        p = filled(run(app, sandbox, matter, subjects))
        assert p["matter"] == matter and p["total"] == len(p["fields"])
        assert p["filled"] == sum(f["value"] is not None for f in p["fields"])
        assert p["filledShare"] == round(p["filled"] / p["total"], 3)
        shares.append(p["filledShare"])
    mean = statistics.mean(shares)
    with capsys.disabled():
        print(f"\nfilledShare {matter}: mean {mean:.3f} over {len(shares)} ({shares})")
    assert mean >= 0.5, (matter, shares)


def test_values_come_with_unit_source_department_and_data_date(
        app: HubHarness, sandbox: SandboxProcess) -> None:
    """Money is yuan with two decimals and unit CNY, equal to what the department holds."""
    subjects = applications(sandbox, "MEDICAL_REIMBURSEMENT")[0]
    p = filled(run(app, sandbox, "MEDICAL_REIMBURSEMENT", subjects))
    fields = by_name(p)
    balance = fields["account_balance"]
    assert re.fullmatch(r"\d+\.\d{2}", balance["value"]) and balance["unit"] == "CNY"
    assert balance["source"] == "ybj_person_insurance" and balance["department"] == "市医保局"
    assert balance["verified"] is True
    assert balance["filledBy"] == "SHARED_DATA" and balance["category"] == "medical_insurance"
    # The department's own answer, asked over HTTP with its own key: fen, in its own words.
    table = sandbox.config["sources"]["ybj_person_insurance"]
    secret = table["credential"].removeprefix("value:")
    rid = subjects[0]["id"]
    answer = httpx2.post(table["url"], params={"appkey": secret}, data={"ids": rid}).json()
    (hit,) = answer["result"]["hits"]
    # The department's data time is what the field says (a live source: "now", give or take
    # the seconds between the two calls).
    said = dt.datetime.fromisoformat(balance["asOf"])
    assert said.utcoffset() == dt.timedelta(hours=8)
    assert abs(said - dt.datetime.fromisoformat(answer["result"]["asOf"])) < dt.timedelta(
        minutes=2)
    fen = hit[table["fields"]["account_balance"]]
    assert isinstance(fen, int)
    assert balance["value"] == f"{fen // 100}.{fen % 100:02d}"
    assert fields["id_number"]["value"] == rid and fields["id_number"]["verified"] is False
    assert fields["hospital"]["filledBy"] == "APPLICANT" and fields["hospital"]["value"] is None
    assert fields["hospital"]["code"] is None  # the applicant's to fill: not a gap


def test_materials_waived_and_required_follow_what_was_obtained(
        app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    subjects = applications(clean_sandbox, "SCHOOL_ENROLMENT")[0]
    p = filled(run(app, clean_sandbox, "SCHOOL_ENROLMENT", subjects))
    waived = {m["name"]: m for m in p["materialsWaived"]}
    assert {"户口簿", "监护人身份证", "出生医学证明", "预防接种证", "不动产权证书/房产证",
            "社会保险参保缴费证明"} <= set(waived)
    assert "市公安局" in waived["户口簿"]["reason"] and "免提交" in waived["户口簿"]["reason"]
    assert p["gaps"] == []
    full = p["filledShare"]
    clean_sandbox.fault("ga_household", "error")
    p = filled(run(app, clean_sandbox, "SCHOOL_ENROLMENT", subjects))
    required = {m["name"]: m for m in p["materialsRequired"]}
    assert {"户口簿", "监护人身份证"} <= set(required)
    assert required["户口簿"]["reason"].startswith("市公安局暂时无法查询“户籍”")
    gaps = {(g["role"], g["category"]): g for g in p["gaps"]}
    assert gaps[("CHILD", "household")]["code"] == "SOURCE_UNAVAILABLE"
    assert "child_name" in gaps[("CHILD", "household")]["fields"]
    assert p["filledShare"] < full
    assert by_name(p)["child_name"]["reason"].startswith("市公安局暂时无法查询")


def test_a_consent_for_the_child_does_not_open_the_guardians_data(
        app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    subjects = applications(clean_sandbox, "SCHOOL_ENROLMENT")[1]
    roles = {s["role"].lower(): s["id"] for s in subjects}
    child = grant(app, "SCHOOL_ENROLMENT", "child", roles["child"], roles)
    assert child["grantorRole"] == "GUARDIAN"
    clean_sandbox.reset()
    p = filled(prefill(app, "SCHOOL_ENROLMENT", subjects, [child["id"]]))
    fields = by_name(p)
    assert fields["child_name"]["value"] and fields["birth_certificate_no"]["value"]
    assert fields["guardian_name"]["value"] is None
    assert fields["guardian_name"]["code"] == "CONSENT_REQUIRED"
    codes = {(g["role"], g["category"]): g["code"] for g in p["gaps"]}
    assert codes == {("GUARDIAN", c): "CONSENT_REQUIRED" for c in
                     ("household", "residence_permit", "property", "social_insurance")}
    stats = clean_sandbox.stats()
    assert stats["ga_household"]["keys"] == 1  # the child's only
    for source in ("bdc_person_property", "rsj_person_si", "ga_residence_permit"):
        assert stats[source]["calls"] == 0, source
    # The same consent does not open the guardian's person data either.
    r = app.post("query($id: ResidentId!) { person(id: $id) { householdRegistration { name } } }",
                 {"id": roles["guardian"]}, caller="portal", purpose="SCHOOL_ENROLMENT",
                 headers={"X-Hub-Consent": child["id"]})
    assert r.json()["errors"][0]["extensions"]["code"] == "CONSENT_REQUIRED"


MULTI = [(m, r.role) for m in ("SCHOOL_ENROLMENT", "NEWBORN", "HOUSING_FUND_LOAN",
                               "ENTERPRISE_CHANGE")
         for r in DEFAULT_MATTERS[m].roles if r.kind != "newborn"]


@pytest.mark.parametrize(("matter", "role"), MULTI)
def test_every_role_needs_its_own_consent(app: HubHarness, clean_sandbox: SandboxProcess,
                                          matter: str, role: str) -> None:
    """Without the consent of one subject, none of that subject's data is asked for; the other
    subjects' data come in full."""
    subjects = applications(clean_sandbox, matter)[2]
    ids = consents(app, clean_sandbox, matter, subjects, skip=(role,))
    clean_sandbox.reset()
    m = DEFAULT_MATTERS[matter]
    p = filled(prefill(app, matter, subjects, ids, case=f"ROLE-{matter}-{role}"))
    missing = {(g["role"].lower(), g["category"]) for g in p["gaps"]
               if g["code"] == "CONSENT_REQUIRED"}
    mine = {(role, c) for c in m.used(role)}
    if role in ("mother", "father"):  # the other parent's consent still opens the newborn's
        assert missing == mine
    else:
        assert missing >= mine
    others = [r.role for r in m.roles if r.role != role and r.kind != "newborn"]
    for other in others:
        assert not any(g["role"].lower() == other for g in p["gaps"]), p["gaps"]
    asked = sum(s["keys"] for s in clean_sandbox.stats().values())
    # Every category of the other roles, and their licences that back a material.
    expected = sum(len(m.used(r.role)) for r in m.roles if r.role != role) + len(
        {x.licence for x in m.materials if x.licence and x.licence[0] != role})
    assert asked == expected, (asked, expected)
    node = app.post(ENTRIES, {"case": f"ROLE-{matter}-{role}"}, caller="auditor",
                    purpose=None).json()["data"]["auditEntries"]["edges"][0]["node"]
    for category in m.used(role):
        assert f"prefill.{role}.{category}: CONSENT_REQUIRED" in node["denied"]
        assert f"prefill.{role}.{category}" not in node["released"]


def test_a_newborn_is_found_by_its_certificate_and_its_parents(
        app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    first, second = applications(clean_sandbox, "NEWBORN")[:2]
    p = filled(run(app, clean_sandbox, "NEWBORN", first))
    fields = by_name(p)
    cert = next(s["id"] for s in first if s["role"] == "NEWBORN")
    assert fields["birth_certificate_no"]["value"] == cert
    assert fields["baby_name"]["value"] and fields["vaccination_card_no"]["value"]
    father = next(s["id"] for s in first if s["role"] == "FATHER")
    assert fields["father_id"]["value"] == father
    assert fields["baby_name"]["value"][0] == fields["father_name"]["value"][0]  # his surname
    assert fields["marriage_status"]["value"] == "已婚"
    # Another family's certificate with these parents: asked, but nothing of it is released.
    other_cert = next(s["id"] for s in second if s["role"] == "NEWBORN")
    other = by_name(filled(run(app, clean_sandbox, "NEWBORN", second)))
    assert other["baby_name"]["value"] and other["vaccination_card_no"]["value"]
    swapped = [s if s["role"] != "NEWBORN" else {"role": "NEWBORN", "id": other_cert}
               for s in first]
    ids = consents(app, clean_sandbox, "NEWBORN", swapped)
    body = prefill(app, "NEWBORN", swapped, ids, case="NB-MISMATCH")
    p = filled(body)
    codes = {(g["role"], g["category"]): g for g in p["gaps"]}
    mismatch = codes[("NEWBORN", "newborn_birth")]
    assert mismatch["code"] == "SUBJECT_MISMATCH" and "不符" in mismatch["reason"]
    assert codes[("NEWBORN", "newborn_vaccination")]["code"] == "SUBJECT_MISMATCH"
    assert by_name(p)["baby_name"]["value"] is None
    for leaked in ("baby_name", "hospital", "vaccination_card_no", "mother_name"):
        assert other[leaked]["value"] not in str(body), leaked
    node = app.post(ENTRIES, {"case": "NB-MISMATCH"}, caller="auditor",
                    purpose=None).json()["data"]["auditEntries"]["edges"][0]["node"]
    assert "prefill.newborn.newborn_birth: FORBIDDEN" in node["denied"]
    assert "prefill.newborn.newborn_birth" not in node["released"]
    # An unknown certificate number is "none held"; a malformed one is refused at the edge.
    unknown = [s if s["role"] != "NEWBORN" else {"role": "NEWBORN", "id": "A000000001"}
               for s in first]
    p = filled(prefill(app, "NEWBORN", unknown, consents(app, clean_sandbox, "NEWBORN", unknown)))
    assert {(g["role"], g["category"], g["code"]) for g in p["gaps"]} >= {
        ("NEWBORN", "newborn_birth", "NOT_FOUND")}


def test_a_newborn_needs_a_parents_consent(app: HubHarness,
                                          clean_sandbox: SandboxProcess) -> None:
    subjects = applications(clean_sandbox, "NEWBORN")[3]
    roles = {s["role"].lower(): s["id"] for s in subjects}
    only_household = grant(app, "NEWBORN", "mother", roles["mother"], roles,
                           categories=["household", "marriage"])
    clean_sandbox.reset()
    p = filled(prefill(app, "NEWBORN", subjects, [only_household["id"]]))
    codes = {(g["role"], g["category"]): g["code"] for g in p["gaps"]}
    assert codes[("NEWBORN", "newborn_birth")] == "CONSENT_REQUIRED"
    assert clean_sandbox.stats()["wjw_newborn_certificate"]["calls"] == 0
    father = grant(app, "NEWBORN", "father", roles["father"], roles,
                   categories=["newborn_birth"])  # the father alone suffices: he is named
    p = filled(prefill(app, "NEWBORN", subjects, [only_household["id"], father["id"]]))
    assert by_name(p)["baby_name"]["value"]


def test_an_enterprise_matter_takes_the_enterprises_authorisation(
        app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    first, second = applications(clean_sandbox, "OPEN_RESTAURANT")[:2]
    p = filled(prefill(app, "OPEN_RESTAURANT", first, []))
    assert {g["code"] for g in p["gaps"]} == {"CONSENT_REQUIRED"}
    assert p["filled"] == 0 and clean_sandbox.total_calls() == 0
    uscc = first[0]["id"]
    consent = grant(app, "OPEN_RESTAURANT", "enterprise", uscc, {},
                    representative=some_adult(clean_sandbox))
    assert consent["subjectKind"] == "ENTERPRISE"
    assert consent["grantorRole"] == "LEGAL_REPRESENTATIVE"
    p = filled(prefill(app, "OPEN_RESTAURANT", first, [consent["id"]]))
    fields = by_name(p)
    assert fields["uscc"]["value"] == uscc and "餐饮" in fields["name"]["value"]
    assert fields["premises_area"]["unit"] == "㎡" and float(fields["premises_area"]["value"]) > 0
    assert {m["name"] for m in p["materialsWaived"]} == {"营业执照", "经营场所使用证明"}
    # One enterprise's authorisation does not open another's data.
    clean_sandbox.reset()
    p = filled(prefill(app, "OPEN_RESTAURANT", second, [consent["id"]]))
    assert {g["code"] for g in p["gaps"]} == {"CONSENT_REQUIRED"}
    assert clean_sandbox.total_calls() == 0


def test_statutory_checks_prefill_from_the_registry_and_point_at_the_check(
        app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    subjects = applications(clean_sandbox, "IPO_COMPLIANCE")[0]
    p = filled(prefill(app, "IPO_COMPLIANCE", subjects, [], caller="fgw"))
    assert p["check"] == "IPO_COMPLIANCE"
    assert by_name(p)["name"]["source"] == "scjg_registration"
    waived = {m["name"]: m for m in p["materialsWaived"]}
    assert "联合核查结果" in waived["十七个领域无违法违规证明"]["reason"]
    body = prefill(app, "IPO_COMPLIANCE", subjects, [], caller="portal")
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = prefill(app, "BANKRUPTCY", applications(clean_sandbox, "BANKRUPTCY")[0], [],
                   caller="fgw")
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize(("matter", "subjects", "says"), [
    ("SCHOOL_ENROLMENT", [{"role": "SPOUSE", "id": "SAMPLE"}],
     "subjects[0].role: SPOUSE is not a role of SCHOOL_ENROLMENT (its roles: GUARDIAN, CHILD)"),
    ("SCHOOL_ENROLMENT", [{"role": "GUARDIAN", "id": "SAMPLE"},
                          {"role": "GUARDIAN", "id": "SAMPLE"}],
     "subjects[1].role: GUARDIAN is given twice"),
    ("SCHOOL_ENROLMENT", [{"role": "GUARDIAN", "id": "41070219900101001"}],
     "subjects[0].id: "),
    ("OPEN_RESTAURANT", [{"role": "ENTERPRISE", "id": "91410700000000000A"}],
     "subjects[0].id: "),
    ("NEWBORN", [{"role": "NEWBORN", "id": "P41001234"}],
     "subjects[0].id: a birth medical certificate number has 10 characters"),
    ("NEWBORN", [{"role": "NEWBORN", "id": "4100123456"}],
     "subjects[0].id: a birth medical certificate number is one letter and 9 digits"),
    ("SCHOOL_ENROLMENT", [], "subjects: name the subjects of SCHOOL_ENROLMENT"),
    ("SCHOOL_ENROLMENT", [{"role": "GUARDIAN", "id": "SAMPLE"},
                          {"role": "CHILD", "id": "SAMPLE"}],
     "subjects[1].id: this subject already has another role"),
])
def test_bad_subjects_are_refused_and_call_nothing(
        app: HubHarness, clean_sandbox: SandboxProcess, matter: str,
        subjects: list[dict[str, str]], says: str) -> None:
    sample = clean_sandbox.person("household")
    given = [{**s, "id": sample if s["id"] == "SAMPLE" else s["id"]} for s in subjects]
    body = prefill(app, matter, given, [])
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and says in error["message"], error
    assert clean_sandbox.total_calls() == 0


def test_applicant_still_works_and_is_refused_for_an_enterprise_matter(
        app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    sample = clean_sandbox.person("household")
    r = app.post("query($a: ResidentId!) { prefill(matter: \"OPEN_RESTAURANT\", applicant: $a) "
                 "{ filledShare } }", {"a": sample}, caller="portal",
                 purpose="OPEN_RESTAURANT")
    (error,) = r.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "filed by an enterprise" in error["message"]
    r = app.post("query($a: ResidentId!, $s: [SubjectInput!]) { prefill(matter: "
                 "\"SCHOOL_ENROLMENT\", applicant: $a, subjects: $s) { filledShare } }",
                 {"a": sample, "s": [{"role": "GUARDIAN", "id": sample}]}, caller="portal",
                 purpose="SCHOOL_ENROLMENT")
    assert "GUARDIAN is given twice" in r.json()["errors"][0]["message"]


def test_the_audit_entry_names_every_subject_by_pseudonym(
        app: HubHarness, sandbox: SandboxProcess) -> None:
    subjects = applications(sandbox, "HOUSING_FUND_LOAN")[4]
    ids = consents(app, sandbox, "HOUSING_FUND_LOAN", subjects)
    filled(prefill(app, "HOUSING_FUND_LOAN", subjects, ids, case="HFL-AUDIT"))
    r = app.post("""query { auditEntries(filter: {case: "HFL-AUDIT"}) { edges { node {
      outcome released consentIds } } } }""", caller="auditor", purpose=None)
    node = r.json()["data"]["auditEntries"]["edges"][0]["node"]
    assert node["outcome"] == "ALLOWED" and set(ids) <= set(node["consentIds"])
    assert {"prefill.applicant.contract_filing", "prefill.spouse.housing_fund"} <= set(
        node["released"])
    matter = DEFAULT_MATTERS["HOUSING_FUND_LOAN"]
    for s in subjects:  # each finds the access in their own log, with their own data only
        log = app.post("query($s: ResidentId!) { myAccessLog(subject: $s) { edges { node { "
                       "purpose released } } } }", {"s": s["id"]}, caller="portal",
                       purpose="SUBJECT_ACCESS").json()
        entry = log["data"]["myAccessLog"]["edges"][0]["node"]
        assert entry["purpose"] == "HOUSING_FUND_LOAN"
        assert sorted(entry["released"]) == sorted(matter.used(s["role"].lower()))
