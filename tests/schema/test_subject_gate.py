"""The subject gate through the real app: the market registry is asked first, an enterprise it
does not hold is SUBJECT_UNKNOWN with nobody else asked, a revoked or deregistered one is a
finding, a registry that did not answer leaves the check INCOMPLETE — against the sandbox's own
registry (the test's data) and the hub's audit entry (every call it made, SQL included)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

import pytest

from sandbox.data import World
from sandbox.enterprises import STATUS_TAGS
from tests.hub_harness import CHECK, HubHarness
from tests.sandbox_process import SandboxProcess

CALLS = """query($case: String) { auditEntries(filter: {case: $case}) { edges { node {
  outcome sources { source keys } } } } }"""
CJK = re.compile(r"[\u4e00-\u9fff]")
CALLER = {"IPO_COMPLIANCE": "xzsp", "BANKRUPTCY": "court"}


@pytest.fixture(scope="module")
def app(sandbox: SandboxProcess, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[HubHarness]:
    harness = HubHarness(sandbox, tmp_path_factory.mktemp("gate"))
    yield harness
    harness.close()


@pytest.fixture(scope="module")
def world() -> World:
    return World()


def run(app: HubHarness, kind: str, uscc: str, case: str, **arguments: str) -> dict[str, Any]:
    r = app.post(CHECK, {"kind": kind, "uscc": uscc, **arguments}, caller=CALLER[kind],
                 purpose=kind, headers={"X-Hub-Case": case})
    body = r.json()
    assert "errors" not in body, body
    return body["data"]["complianceCheck"]  # type: ignore[no-any-return]


def called(app: HubHarness, case: str) -> dict[str, int]:
    """Every source the hub asked in the request filed under `case`, with its keys."""
    r = app.post(CALLS, {"case": case}, caller="auditor", purpose=None)
    (edge,) = r.json()["data"]["auditEntries"]["edges"]
    out: dict[str, int] = {}
    for call in edge["node"]["sources"]:
        out[call["source"]] = out.get(call["source"], 0) + call["keys"]
    return out


@pytest.mark.parametrize("kind", ["IPO_COMPLIANCE", "BANKRUPTCY"])
def test_an_unknown_enterprise_is_subject_unknown_and_nobody_else_is_asked(
        app: HubHarness, clean_sandbox: SandboxProcess, world: World, kind: str) -> None:
    uscc = clean_sandbox.enterprise("unknown")
    assert world.enterprise(uscc) is None  # the sandbox's registry holds no such enterprise
    report = run(app, kind, uscc, f"GATE-UNKNOWN-{kind}")
    assert report["verdict"] == "SUBJECT_UNKNOWN"
    assert report["domains"] == [] and report["inventory"] is None
    assert report["subject"] == {"uscc": uscc, "name": None, "status": None,
                                 "registeredOn": None}
    assert report["registry"]["status"] == "NOT_FOUND"
    assert "未向其他部门查询" in report["detail"] and uscc in report["detail"]
    assert re.fullmatch(r"XXHC-\d{4}-\d{6}", report["reportNo"])
    assert called(app, f"GATE-UNKNOWN-{kind}") == {"scjg_registration": 1}
    stats = clean_sandbox.stats()
    assert {n for n, s in stats.items() if s["calls"]} == {"scjg_registration"}


STATUS_OF = {tag: status for status, tag in STATUS_TAGS.items()}


@pytest.mark.parametrize(("tag", "verdicts"), [
    ("active", {"CLEAN", "FINDINGS", "INCOMPLETE"}), ("operating", {"CLEAN", "FINDINGS",
                                                                    "INCOMPLETE"}),
    ("revoked", {"FINDINGS"}), ("deregistered", {"FINDINGS"}),
    ("moved_out", {"CLEAN", "FINDINGS", "INCOMPLETE"}),
])
def test_the_subject_is_the_registered_enterprise(app: HubHarness, clean_sandbox: SandboxProcess,
                                                  world: World, tag: str,
                                                  verdicts: set[str]) -> None:
    sample = next(e for e in clean_sandbox.samples["enterprises"]
                  if f"status:{tag}" in e["tags"])
    held = world.enterprise(sample["uscc"])
    assert held is not None
    report = run(app, "IPO_COMPLIANCE", sample["uscc"], f"GATE-STATUS-{tag}")
    assert report["subject"] == {
        "uscc": sample["uscc"], "name": sample["name"], "status": STATUS_OF[tag],
        "registeredOn": held.registration["established_on"].isoformat()}
    assert report["verdict"] in verdicts
    if tag in ("revoked", "deregistered"):
        assert f"企业登记状态为{STATUS_OF[tag]}" in report["detail"]
        assert held.registration["status_on"].isoformat() in report["detail"]
    # Known subjects are checked everywhere, whatever their status.
    assert len(report["domains"]) == 19


def test_a_deregistered_enterprise_is_a_finding_in_the_bankruptcy_check_too(
        app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    uscc = clean_sandbox.enterprise("status:deregistered")
    report = run(app, "BANKRUPTCY", uscc, "GATE-DEREG-BK")
    assert report["verdict"] == "FINDINGS"
    registration = next(d for d in report["domains"] if d["domain"] == "registration")
    assert registration["records"][0]["registrationStatus"] == "注销"
    assert len(called(app, "GATE-DEREG-BK")) == 11  # the registry once, every other source


@pytest.mark.parametrize("mode", ["error", "garbage", "wrong-subject"])
def test_a_registry_that_does_not_answer_leaves_the_check_incomplete(
        app: HubHarness, clean_sandbox: SandboxProcess, mode: str) -> None:
    uscc = clean_sandbox.enterprise("clean")
    clean_sandbox.fault("scjg_registration", mode)
    report = run(app, "IPO_COMPLIANCE", uscc, f"GATE-FAIL-{mode}")
    assert report["verdict"] == "INCOMPLETE"
    assert report["domains"] == [] and report["subject"]["name"] is None
    assert report["registry"]["status"] in ("UNAVAILABLE", "INVALID")
    assert "未能确认主体" in report["detail"] and "市市场监管局" in report["detail"]
    assert CJK.search(report["registry"]["detail"])
    assert called(app, f"GATE-FAIL-{mode}") == {"scjg_registration": 1}


def test_a_batch_asks_the_registry_for_all_then_the_others_for_the_known(
        patient_hub: HubHarness, clean_sandbox: SandboxProcess, world: World) -> None:
    app = patient_hub
    known = world.usccs[:250]
    unknown = [e["uscc"] for e in clean_sandbox.samples["enterprises"] if "unknown" in e["tags"]]
    usccs = known[:100] + unknown + known[100:]
    query = """query($u: [USCC!]!) { complianceChecks(kind: IPO_COMPLIANCE, usccs: $u) {
                 reportNo verdict subject { uscc name } domains { source } } }"""
    r = app.post(query, {"u": usccs}, headers={"X-Hub-Case": "GATE-BATCH"})
    reports = r.json()["data"]["complianceChecks"]
    assert [x["subject"]["uscc"] for x in reports] == usccs
    assert len({x["reportNo"] for x in reports}) == len(usccs)
    for x in reports:
        if x["subject"]["uscc"] in unknown:
            assert x["verdict"] == "SUBJECT_UNKNOWN" and x["domains"] == []
        else:
            assert x["subject"]["name"] and len(x["domains"]) == 19
    stats = clean_sandbox.stats()
    registry = clean_sandbox.config["sources"]["scjg_registration"]
    assert stats["scjg_registration"]["calls"] == math.ceil(len(usccs) / registry["max_batch"])
    assert stats["scjg_registration"]["keys"] == len(usccs)
    asked = called(app, "GATE-BATCH")
    for name, table in clean_sandbox.config["sources"].items():
        if table.get("check") == "IPO_COMPLIANCE" and table["enabled"]:
            assert asked[name] == len(known), name  # SQL sources included
            if table["transport"] == "rest-batch":
                assert stats[name]["calls"] == math.ceil(len(known) / table["max_batch"]), name


def test_not_found_after_the_gate_means_no_record(app: HubHarness,
                                                  clean_sandbox: SandboxProcess,
                                                  world: World) -> None:
    sample = next(e for e in clean_sandbox.samples["enterprises"]
                  if "clean" in e["tags"] and "customs" not in e["tags"])
    held = world.enterprise(sample["uscc"])
    assert held is not None and held.customs is None
    report = run(app, "BANKRUPTCY", sample["uscc"], "GATE-NOTFOUND")
    customs = next(d for d in report["domains"] if d["domain"] == "customs")
    assert customs["status"] == "NOT_FOUND" and "新乡海关未登记该企业" in customs["detail"]
    assert report["verdict"] == "CLEAN"


def test_every_domain_carries_its_data_date_legal_basis_and_answer_reference(
        app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    report = run(app, "IPO_COMPLIANCE", clean_sandbox.enterprise("clean"), "GATE-DATES")
    for d in report["domains"]:
        assert d["legalBasis"], d["domain"]
        if d["status"] == "DISABLED":
            assert d["asOf"] is None and d["answerRef"] is None
            continue
        assert d["asOf"], d["source"]  # the SQL sources (前置库) too
        assert d["answerRef"].endswith("/" + d["source"])
    water = next(d for d in report["domains"] if d["source"] == "slj_penalties")
    assert water["asOf"].endswith("T02:00:00+08:00")  # the weekly push, Monday 02:00
    assert "首次公开发行股票注册管理办法" in report["legalBasis"]


def test_two_checks_of_one_subject_in_one_query_share_each_call(
        app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    """Two fields of one query check the same enterprise: each source is asked about it once
    (one fetch, shared), both reports carry its answers, and the audit entry records each
    call once."""
    uscc = clean_sandbox.enterprise("findings:tax")
    query = """query($u: USCC!) {
      a: complianceCheck(kind: IPO_COMPLIANCE, uscc: $u) { reportNo verdict
        domains { source status } }
      b: complianceCheck(kind: IPO_COMPLIANCE, uscc: $u) { reportNo verdict
        domains { source status } } }"""
    r = app.post(query, {"u": uscc}, caller="xzsp", purpose="IPO_COMPLIANCE",
                 headers={"X-Hub-Case": "GATE-TWICE"})
    body = r.json()
    assert "errors" not in body, body
    a, b = body["data"]["a"], body["data"]["b"]
    assert a["reportNo"] != b["reportNo"]
    assert a["verdict"] == b["verdict"] == "FINDINGS" and a["domains"] == b["domains"]
    stats = clean_sandbox.stats()
    asked = called(app, "GATE-TWICE")
    for name, table in clean_sandbox.config["sources"].items():
        if table.get("check") == "IPO_COMPLIANCE" and table["enabled"]:
            assert asked[name] == 1, name  # SQL sources included
            if table["transport"] != "sql":
                assert stats[name]["calls"] == 1 and stats[name]["keys"] == 1, name
