"""Objections through the real hub and the sandbox departments' desks: raised with the subject's
consent or as the enterprise, stored with the raise's audit entry or not at all, forwarded once
that entry is committed, answered or overdue, and marked on every answer about the disputed
record while open."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from hub.demo import sandbox_services
from tests.hub_harness import CHECK, HubHarness
from tests.sandbox_process import SandboxProcess

GRANT = """mutation($input: GrantConsentInput!) { grantConsent(input: $input) { id } }"""
REVOKE = """mutation($id: ID!) { revokeConsent(id: $id) { status } }"""
RAISE = """mutation($input: RaiseObjectionInput!) { raiseObjection(input: $input) {
  id status created department deskRef item field reportNo source deadline raisedAt
  history { kind } } }"""
ONE = """query($id: ID!) { objection(id: $id) { id status answerNote answeredLate deskRef
  history { kind note } } }"""
MANY = """query($f: ObjectionFilterInput) { objections(filter: $f) { totalCount
  items { id status raisedBy department } } }"""
HOUSEHOLD = """query($id: ResidentId!) { person(id: $id) { householdRegistration {
  address disputed objectionIds } } }"""
PREFILL = """query($id: ResidentId!) { prefill(matter: "SCHOOL_ENROLMENT", applicant: $id) {
  fields { name disputed objectionIds verified } } }"""
ENTRIES = """query($case: String) { auditEntries(filter: {case: $case}) { edges { node {
  outcome released denied refs subjects sources { source status } } } } }"""
ABOUT = """query($subject: String) { auditEntries(filter: {subject: $subject}) { edges { node {
  caller outcome released refs sources { source status } } } } }"""


class Clock:
    def __init__(self) -> None:
        self.offset = dt.timedelta()

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone(dt.timedelta(hours=8))) + self.offset


def harness(sandbox: SandboxProcess, home: Path, clock: Clock | None = None) -> HubHarness:
    """A hub whose periodic sweep stays out of the way: a raised objection is forwarded as soon
    as its audit entry is committed, and the tests drive every later step themselves."""
    quiet = dataclasses.replace(sandbox_services(sandbox.config, home)["objections"],
                                sweep_s=3600)
    return HubHarness(sandbox, home, objections=quiet, clock=clock)


@pytest.fixture(scope="module")
def app(sandbox: SandboxProcess, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[HubHarness]:
    h = harness(sandbox, tmp_path_factory.mktemp("objections"))
    yield h
    h.close()


def desk(sandbox: SandboxProcess, code: str, answer: str, delay_ms: int = 0) -> None:
    r = sandbox.client.post("/_sandbox/objections", json={"department": code, "answer": answer,
                                                          "delay_ms": delay_ms})
    r.raise_for_status()


def received(sandbox: SandboxProcess, code: str, hub_ref: str) -> list[dict[str, Any]]:
    desks = sandbox.client.get("/_sandbox/objections").json()
    return [o for o in desks[code]["received"] if o["hubRef"] == hub_ref]


def consent(app: HubHarness, subject: str, grantee: str = "portal",
            categories: tuple[str, ...] = ("household",)) -> str:
    r = app.post(GRANT, {"input": {"subject": subject, "purpose": "SCHOOL_ENROLMENT",
                                   "grantee": grantee, "categories": list(categories),
                                   "fetchType": "REUSABLE", "maxUses": 3}},
                 caller="portal", purpose=None)
    return r.json()["data"]["grantConsent"]["id"]  # type: ignore[no-any-return]


def read(app: HubHarness, query: str, subject: str, cid: str, caller: str = "portal"
         ) -> dict[str, Any]:
    r = app.post(query, {"id": subject}, caller=caller, purpose="SCHOOL_ENROLMENT",
                 headers={"X-Hub-Consent": cid})
    return r.json()  # type: ignore[no-any-return]


def object_to(app: HubHarness, data: dict[str, Any], *, cid: str | None = None,
              caller: str = "portal", purpose: str | None = "DATA_OBJECTION",
              case: str | None = None) -> dict[str, Any]:
    headers = {"X-Hub-Consent": cid} if cid else {}
    if case:
        headers["X-Hub-Case"] = case
    r = app.post(RAISE, {"input": {"reason": "户籍地址已于2026年迁移，系统仍为旧址",
                                   "evidence": ["迁移证 豫新公迁字2026-0815"], **data}},
                 caller=caller, purpose=purpose, headers=headers)
    return r.json()  # type: ignore[no-any-return]


def people(sandbox: SandboxProcess, n: int) -> list[str]:
    """Adults with a household registration (a minor's consent is its guardian's)."""
    return [p["id"] for p in sandbox.samples["persons"]
            if "household" in p["tags"] and int(p["id"][6:10]) <= 2006][:n]


def test_an_objection_marks_the_record_disputed_everywhere_until_answered(
        app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    subject = people(clean_sandbox, 1)[0]
    cid = consent(app, subject)
    before = read(app, HOUSEHOLD, subject, cid)["data"]["person"]["householdRegistration"]
    assert before["disputed"] is False and before["objectionIds"] == []
    desk(clean_sandbox, "ga", "never")
    out = object_to(app, {"subject": subject, "path": "householdRegistration.address"},
                    cid=cid, case="obj-raise")["data"]["raiseObjection"]
    # Stored with the raise's entry; forwarded once that is committed, not before.
    assert out["status"] == "RECEIVED" and out["created"] is True and out["deskRef"] is None
    assert out["department"] == "市公安局"
    assert app.objection_state(out["id"]) == "FORWARDED"
    assert (out["item"], out["field"]) == ("household", "address")
    assert [h["kind"] for h in out["history"]] == []  # the raise answer carries no history
    assert dt.datetime.fromisoformat(out["deadline"]) > dt.datetime.fromisoformat(
        out["raisedAt"]) + dt.timedelta(days=5)
    # The department got it, with the subject in clear (it holds the record anyway).
    (filed,) = received(clean_sandbox, "ga", out["id"])
    assert (filed["subject"], filed["dataItem"], filed["field"]) == (subject, "household",
                                                                     "address")
    after = read(app, HOUSEHOLD, subject, cid)["data"]["person"]["householdRegistration"]
    assert after["disputed"] is True and after["objectionIds"] == [out["id"]]
    assert after["address"] == before["address"]  # disputed, still shown
    fields = {f["name"]: f for f in read(app, PREFILL, subject, cid)["data"]["prefill"]["fields"]}
    # The applicant is the guardian: the guardian's address is the field objected to.
    assert fields["guardian_address"]["disputed"] is True
    assert fields["guardian_address"]["objectionIds"] == [out["id"]]
    assert fields["guardian_address"]["verified"] is False  # not locked while disputed
    assert fields["guardian_name"]["disputed"] is False  # only the field objected to
    assert fields["guardian_name"]["verified"] is True
    # Every step is on the record: the raise with the objection's id, then the sweeper's
    # forward with the desk call.
    r = app.post(ENTRIES, {"case": "obj-raise"}, caller="auditor", purpose=None)
    (edge,) = r.json()["data"]["auditEntries"]["edges"]
    node = edge["node"]
    assert node["released"] == ["raiseObjection"] and f"objection:{out['id']}" in node["refs"]
    assert node["sources"] == []
    about = app.post(ABOUT, {"subject": subject}, caller="auditor", purpose=None).json()
    (forward,) = [e["node"] for e in about["data"]["auditEntries"]["edges"]
                  if e["node"]["released"] == ["objectionSweep.FORWARDED"]]
    assert forward["refs"] == [f"objection:{out['id']}"] and forward["caller"] is None
    assert forward["sources"] == [{"source": "desk:ga", "status": "OK"}]


def test_the_same_objection_twice_is_the_first_and_is_forwarded_once(
        app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    subject = people(clean_sandbox, 2)[1]
    cid = consent(app, subject)
    read(app, HOUSEHOLD, subject, cid)
    desk(clean_sandbox, "ga", "never")
    first = object_to(app, {"subject": subject, "path": "household.address"}, cid=cid)
    second = object_to(app, {"subject": subject, "path": "household.address"}, cid=cid)
    a, b = first["data"]["raiseObjection"], second["data"]["raiseObjection"]
    assert a["id"] == b["id"] and a["created"] is True and b["created"] is False
    assert app.objection_state(a["id"]) == "FORWARDED"
    assert len(received(clean_sandbox, "ga", a["id"])) == 1


def stored_objections(app: HubHarness) -> int:
    with closing(sqlite3.connect(app.settings.store_url.removeprefix("sqlite+aiosqlite:///"))
                 ) as db:
        return int(db.execute("SELECT count(*) FROM objections").fetchone()[0])


def filed_about(sandbox: SandboxProcess, code: str, subject: str) -> list[str]:
    """The hub's references of the objections a desk received about this subject."""
    desks = sandbox.client.get("/_sandbox/objections").json()
    return [o["hubRef"] for o in desks[code]["received"] if o["subject"] == subject]


def test_an_objection_lands_with_its_audit_entry_or_not_at_all(
        app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    """With the audit store unwritable the raise answers AUDIT_UNAVAILABLE, and no objection is
    stored, disputes the record or reaches the department; once the store is writable, the same
    objection is new, lands and is forwarded (once)."""
    subject = people(clean_sandbox, 16)[15]
    cid = consent(app, subject)
    read(app, HOUSEHOLD, subject, cid)
    desk(clean_sandbox, "ga", "never")
    before, filed = stored_objections(app), filed_about(clean_sandbox, "ga", subject)
    with app.audit_unwritable():
        failed = object_to(app, {"subject": subject, "path": "household.address"}, cid=cid)
    assert failed["data"] is None
    assert failed["errors"][0]["extensions"]["code"] == "AUDIT_UNAVAILABLE"
    assert stored_objections(app) == before
    shown = read(app, HOUSEHOLD, subject, cid)["data"]["person"]["householdRegistration"]
    assert shown["disputed"] is False
    out = object_to(app, {"subject": subject, "path": "household.address"},
                    cid=cid)["data"]["raiseObjection"]
    assert out["created"] is True and stored_objections(app) == before + 1
    assert app.objection_state(out["id"]) == "FORWARDED"
    # The queue is forwarded in order: had the failed raise been queued, it would be filed too.
    assert filed_about(clean_sandbox, "ga", subject) == [*filed, out["id"]]


@pytest.mark.parametrize("answer, status", [("CORRECTED", "CORRECTED"),
                                            ("REJECTED", "REJECTED")])
def test_the_departments_answer_ends_the_dispute(app: HubHarness, clean_sandbox: SandboxProcess,
                                                 answer: str, status: str) -> None:
    subject = people(clean_sandbox, 4)[2 if answer == "CORRECTED" else 3]
    cid = consent(app, subject)
    read(app, HOUSEHOLD, subject, cid)
    desk(clean_sandbox, "ga", answer)
    raised = object_to(app, {"subject": subject, "path": "household.address"}, cid=cid)
    oid = raised["data"]["raiseObjection"]["id"]
    assert app.objection_state(oid) == "FORWARDED"
    looked = app.post(ONE, {"id": oid}, caller="portal", purpose="DATA_OBJECTION").json()
    got = looked["data"]["objection"]
    assert got["status"] == status and got["answeredLate"] is False and got["answerNote"]
    assert [h["kind"] for h in got["history"]] == ["RECEIVED", "FORWARDED", status]
    shown = read(app, HOUSEHOLD, subject, cid)["data"]["person"]["householdRegistration"]
    assert shown["disputed"] is False


def test_an_objection_about_data_the_hub_never_gave_is_refused(
        app: HubHarness, sandbox: SandboxProcess) -> None:
    subject = people(sandbox, 6)[5]  # never read through this hub
    cid = consent(app, subject)
    out = object_to(app, {"subject": subject, "path": "household.address"}, cid=cid)
    assert out["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "never gave household data" in out["errors"][0]["message"]


def test_an_objection_on_another_subjects_record_needs_that_subjects_consent(
        app: HubHarness, sandbox: SandboxProcess) -> None:
    mine, theirs = people(sandbox, 8)[6:8]
    cid = consent(app, mine)
    read(app, HOUSEHOLD, mine, cid)
    other = consent(app, theirs)
    read(app, HOUSEHOLD, theirs, other)
    out = object_to(app, {"subject": theirs, "path": "household.address"}, cid=cid)
    assert out["errors"][0]["extensions"]["code"] == "CONSENT_REQUIRED"
    app.post(REVOKE, {"id": other}, caller="portal", purpose=None)
    revoked = object_to(app, {"subject": theirs, "path": "household.address"}, cid=other)
    assert revoked["errors"][0]["extensions"]["code"] == "CONSENT_INVALID"


def test_a_used_up_consent_still_shows_the_subject_objects(app: HubHarness,
                                                           clean_sandbox: SandboxProcess) -> None:
    subject = people(clean_sandbox, 10)[9]
    r = app.post(GRANT, {"input": {"subject": subject, "purpose": "SCHOOL_ENROLMENT",
                                   "grantee": "portal", "categories": ["household"]}},
                 caller="portal", purpose=None)
    cid = r.json()["data"]["grantConsent"]["id"]
    read(app, HOUSEHOLD, subject, cid)  # the one use
    desk(clean_sandbox, "ga", "never")
    out = object_to(app, {"subject": subject, "path": "household.address"}, cid=cid)
    assert out["data"]["raiseObjection"]["created"] is True
    assert app.objection_state(out["data"]["raiseObjection"]["id"]) == "FORWARDED"


@pytest.mark.parametrize("data, words", [
    ({"path": "householdRegistration.adress"}, "has no field"),
    ({"path": "passport.number"}, "is not person data"),
    ({"path": "a.b.c"}, "a person field as the hub answered it"),
    ({"path": None}, "give path"),
    ({"path": "household", "reportNo": "r1"}, "not reportNo"),
    ({"path": "household", "reason": "  "}, "input.reason"),
    ({"path": "household", "reason": "x" * 1001}, "input.reason"),
    ({"path": "household", "evidence": ["e"] * 21}, "at most 20"),
    ({"path": "household", "subject": "410702196708144575"}, "neither a USCC nor"),
])
def test_bad_objections_are_refused_naming_the_input(app: HubHarness, sandbox: SandboxProcess,
                                                     data: dict[str, Any], words: str) -> None:
    subject = people(sandbox, 1)[0]
    out = object_to(app, {"subject": subject, **data})
    error = out["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and words in error["message"]


@pytest.mark.parametrize("caller, purpose, code", [
    ("portal", None, "PURPOSE_REQUIRED"), ("xzsp", "DATA_OBJECTION", "FORBIDDEN"),
    ("portal", "SCHOOL_ENROLMENT", "FORBIDDEN"), ("auditor", "DATA_OBJECTION", "FORBIDDEN"),
])
def test_only_the_portal_and_windows_object_for_a_subject(app: HubHarness,
                                                          sandbox: SandboxProcess, caller: str,
                                                          purpose: str | None, code: str) -> None:
    out = object_to(app, {"subject": people(sandbox, 1)[0], "path": "household.address"},
                    caller=caller, purpose=purpose)
    assert out["errors"][0]["extensions"]["code"] == code


def test_the_portal_sees_its_own_objections_and_the_auditor_all(
        app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    subject = people(clean_sandbox, 12)[11]
    cid = consent(app, subject, grantee="window")
    read(app, HOUSEHOLD, subject, cid, caller="window")
    desk(clean_sandbox, "ga", "never")
    out = object_to(app, {"subject": subject, "path": "household.address"}, cid=cid,
                    caller="window")
    oid = out["data"]["raiseObjection"]["id"]
    theirs = app.post(ONE, {"id": oid}, caller="portal", purpose="DATA_OBJECTION").json()
    unknown = app.post(ONE, {"id": "obj_0000"}, caller="portal", purpose="DATA_OBJECTION").json()
    assert theirs["data"] is None and unknown["data"] is None
    assert theirs["errors"][0]["message"].replace(oid, "X") == \
        unknown["errors"][0]["message"].replace("obj_0000", "X")
    mine = app.post(ONE, {"id": oid}, caller="window", purpose="DATA_OBJECTION").json()
    assert mine["data"]["objection"]["status"] == "FORWARDED"
    audited = app.post(ONE, {"id": oid}, caller="auditor", purpose=None).json()
    assert audited["data"]["objection"]["id"] == oid
    listed = app.post(MANY, {"f": {"subject": subject}}, caller="portal",
                      purpose="DATA_OBJECTION").json()["data"]["objections"]
    assert listed["totalCount"] == 0
    everyone = app.post(MANY, {"f": {"subject": subject}}, caller="auditor",
                        purpose=None).json()["data"]["objections"]
    assert [i["id"] for i in everyone["items"]] == [oid]
    assert everyone["items"][0]["raisedBy"] == "window"


def findings_report(app: HubHarness, uscc: str) -> dict[str, Any]:
    r = app.post(CHECK, {"kind": "IPO_COMPLIANCE", "uscc": uscc}, caller="xzsp",
                 purpose="IPO_COMPLIANCE")
    return r.json()["data"]["complianceCheck"]  # type: ignore[no-any-return]


def test_an_enterprise_objects_to_a_finding_and_the_next_report_says_disputed(
        app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    uscc = clean_sandbox.enterprise("findings:tax")
    report = findings_report(app, uscc)
    tax = [d for d in report["domains"] if d["domain"] == "tax"]
    assert {d["source"] for d in tax} == {"sw_penalties", "sw_tax_arrears"}
    decision = next(r["decisionNo"] for d in tax for r in d["records"]
                    if r["__typename"] == "Violation")
    base = {"subject": uscc, "reportNo": report["reportId"], "domain": "tax",
            "recordRef": decision, "reason": "该处罚已整改完毕并已缴纳罚款"}
    vague = object_to(app, base)
    assert "name the source" in vague["errors"][0]["message"]
    desk(clean_sandbox, "sw", "never")
    out = object_to(app, {**base, "source": "sw_penalties"})["data"]["raiseObjection"]
    assert out["department"] == "市税务局" and out["status"] == "RECEIVED"
    assert app.objection_state(out["id"]) == "FORWARDED"
    (filed,) = received(clean_sandbox, "sw", out["id"])
    assert (filed["reportNo"], filed["recordRef"]) == (report["reportId"], decision)
    again = app.post(CHECK.replace("detail latencyMs", "detail latencyMs disputed objectionIds"),
                     {"kind": "IPO_COMPLIANCE", "uscc": uscc}, caller="xzsp",
                     purpose="IPO_COMPLIANCE").json()["data"]["complianceCheck"]
    rows = {d["source"]: d for d in again["domains"] if d["domain"] == "tax"}
    assert rows["sw_penalties"]["disputed"] is True
    assert rows["sw_penalties"]["objectionIds"] == [out["id"]]
    assert rows["sw_tax_arrears"]["disputed"] is False
    assert again["verdict"] == "FINDINGS"  # a disputed finding still counts
    signed = json.loads(again["document"])
    row = next(d for d in signed["domains"] if d["source"] == "sw_penalties")
    assert row["disputed"] is True and row["objections"] == [out["id"]]


def test_a_corrected_penalty_reads_rectified_and_no_longer_disputed(
        app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    domains = {"urban_management": "cgj", "environment": "sthj", "fire_safety": "xf",
               "labour": "rsj", "emergency": "yjj", "market_regulation": "scjg"}
    found = None
    for e in clean_sandbox.samples["enterprises"]:
        for domain in domains:
            if f"findings:{domain}" not in e["tags"]:
                continue
            report = findings_report(app, e["uscc"])
            row = next(d for d in report["domains"] if d["domain"] == domain)
            open_ = [r for r in row["records"] if r["__typename"] == "Violation"
                     and r["rectified"] is False]
            if open_:
                found = (e["uscc"], domain, report, open_[0]["decisionNo"])
                break
        if found:
            break
    assert found is not None, "the samples hold an unrectified penalty"
    uscc, domain, report, decision = found
    desk(clean_sandbox, domains[domain], "CORRECTED")
    out = object_to(app, {"subject": uscc, "reportNo": report["reportId"], "domain": domain,
                          "recordRef": decision, "reason": "已整改完毕"})
    oid = out["data"]["raiseObjection"]["id"]
    assert app.objection_state(oid) == "FORWARDED"
    got = app.post(ONE, {"id": oid}, caller="portal", purpose="DATA_OBJECTION").json()
    assert got["data"]["objection"]["status"] == "CORRECTED"
    after = app.post(CHECK.replace("detail latencyMs", "detail latencyMs disputed"),
                     {"kind": "IPO_COMPLIANCE", "uscc": uscc}, caller="xzsp",
                     purpose="IPO_COMPLIANCE").json()["data"]["complianceCheck"]
    row = next(d for d in after["domains"] if d["domain"] == domain)
    record = next(r for r in row["records"] if r.get("decisionNo") == decision)
    assert record["rectified"] is True and row["disputed"] is False


def test_a_report_the_hub_did_not_issue_about_that_enterprise_is_refused(
        app: HubHarness, sandbox: SandboxProcess) -> None:
    uscc = sandbox.enterprise("findings:fire_safety")
    other = sandbox.enterprise("clean")
    report = findings_report(app, uscc)
    for subject, report_no, domain, words in (
            (uscc, "0" * 32, "fire_safety", "issued no report"),
            (other, report["reportId"], "fire_safety", "issued no report"),
            (uscc, report["reportId"], "customs", "not a domain of report")):
        out = object_to(app, {"subject": subject, "reportNo": report_no, "domain": domain})
        assert words in out["errors"][0]["message"], out


def test_a_department_that_never_answers_is_overdue_for_the_auditor(
        sandbox: SandboxProcess, tmp_path: Path) -> None:
    clock = Clock()
    hub = harness(sandbox, tmp_path, clock)
    try:
        subject = people(sandbox, 14)[13]
        cid = consent(hub, subject)
        read(hub, HOUSEHOLD, subject, cid)
        desk(sandbox, "ga", "never")
        oid = object_to(hub, {"subject": subject, "path": "household.address"},
                        cid=cid)["data"]["raiseObjection"]["id"]
        assert hub.objection_state(oid) == "FORWARDED"
        overdue = {"f": {"status": "OVERDUE"}}
        assert hub.post(MANY, overdue, caller="auditor",
                        purpose=None).json()["data"]["objections"]["totalCount"] == 0
        clock.offset = dt.timedelta(days=12)  # well past five working days, holidays or not
        listed = hub.post(MANY, overdue, caller="auditor", purpose=None).json()
        assert [i["id"] for i in listed["data"]["objections"]["items"]] == [oid]
        got = hub.post(ONE, {"id": oid}, caller="auditor", purpose=None).json()
        assert got["data"]["objection"]["status"] == "OVERDUE"
        assert [h["kind"] for h in got["data"]["objection"]["history"]] == [
            "RECEIVED", "FORWARDED", "OVERDUE"]
        still = read(hub, HOUSEHOLD, subject, cid)["data"]["person"]["householdRegistration"]
        assert still["disputed"] is True  # overdue is still open
    finally:
        hub.close()
        sandbox.reset()
