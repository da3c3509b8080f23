"""Compliance checks through the real app, over real HTTP to the sandbox departments."""

from __future__ import annotations

import math
import time
from pathlib import Path

import orjson
import pytest

from connectors.catalogue import domains_of
from sandbox.data import World
from signing.canonical import canonical
from signing.keys import SignatureInvalid, load_public_keys, verify_signature
from tests.hub_harness import CHECK, HubHarness
from tests.sandbox_process import SandboxProcess


def check(hub: HubHarness, uscc: str, kind: str = "IPO_COMPLIANCE", caller: str = "xzsp",
          **arguments: str) -> dict:  # type: ignore[type-arg]
    r = hub.post(CHECK, {"kind": kind, "uscc": uscc, **arguments}, caller=caller, purpose=kind)
    assert r.status_code == 200, r.text
    body = r.json()
    assert "errors" not in body, body
    return body["data"]["complianceCheck"]  # type: ignore[no-any-return]


def test_clean_enterprise_is_clean(hub: HubHarness, clean_sandbox: SandboxProcess) -> None:
    report = check(hub, clean_sandbox.enterprise("clean"))
    assert report["verdict"] == "CLEAN"
    assert len(report["domains"]) == 19
    assert [d["domain"] for d in report["domains"]][:3] == [
        "urban_management", "planning_resources", "labour"]
    statuses = {d["domain"]: d["status"] for d in report["domains"]}
    assert statuses.pop("culture_tourism") == "DISABLED"
    assert set(statuses.values()) == {"OK"}
    disabled = next(d for d in report["domains"] if d["domain"] == "culture_tourism")
    assert "暂未纳入核查" in disabled["detail"]
    # 住房公积金缴存 reads the fund centre's contribution account: present, nothing owed.
    fund = next(d for d in report["domains"] if d["domain"] == "housing_fund")
    assert [(r["__typename"], r["arrearsAmount"]) for r in fund["records"]] == [
        ("Contribution", "0.00")]
    assert all(d["records"] == [] for d in report["domains"] if d["domain"] != "housing_fund")


def test_findings_are_reported_with_their_violations(hub: HubHarness,
                                                     clean_sandbox: SandboxProcess) -> None:
    sample = next(e for e in clean_sandbox.samples["enterprises"]
                  if sum(t.startswith("findings:") for t in e["tags"]) >= 2)
    report = check(hub, sample["uscc"], since="2019-01-01")  # every penalty the sandbox holds
    assert report["verdict"] == "FINDINGS"
    with_records = {d["source"] for d in report["domains"] if d["records"]}
    assert len(with_records) >= 2
    violation = next(r for d in report["domains"] for r in d["records"]
                     if r["__typename"] == "Violation")
    assert violation["__typename"] == "Violation"
    assert violation["decisionNo"] and violation["authority"] and violation["summary"]
    assert violation["amount"] is None or "." in violation["amount"]


def test_bankruptcy_check_lists_assets_and_arrears(hub: HubHarness,
                                                   clean_sandbox: SandboxProcess) -> None:
    uscc = clean_sandbox.enterprise("arrears:tax")
    report = check(hub, uscc, kind="BANKRUPTCY", caller="court")
    assert len(report["domains"]) == 11
    assert report["domains"][0]["domain"] == "vehicles"
    assert report["verdict"] == "FINDINGS"
    tax = next(d for d in report["domains"] if d["source"] == "sw_tax_account")
    assert tax["records"][0]["__typename"] == "TaxAccount"
    assert tax["records"][0]["arrearsAmount"] != "0.00"
    registration = next(d for d in report["domains"] if d["domain"] == "registration")
    assert registration["records"][0]["name"].startswith("新乡市")


MODES = [("down", "UNAVAILABLE"), ("hang", "UNAVAILABLE"), ("slow:3000", "UNAVAILABLE"),
         ("error", "UNAVAILABLE"), ("garbage", "INVALID"), ("wrong-subject", "INVALID"),
         ("flaky:1", "UNAVAILABLE")]


@pytest.fixture(scope="module")
def quick_hub(sandbox: SandboxProcess, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A hub whose sources time out after 1 s, so that fault tests stay fast (at 0.5 s a
    garbage answer from a busy sandbox came too late and read UNAVAILABLE, not INVALID)."""
    names = sandbox.config["sources"]
    harness = HubHarness(sandbox, tmp_path_factory.mktemp("quick"),
                         sources={n: {"timeout_s": 1.0} for n in names})
    yield harness
    harness.close()


@pytest.mark.parametrize(("mode", "status"), MODES)
def test_a_faulty_source_is_never_clean(quick_hub: HubHarness, clean_sandbox: SandboxProcess,
                                        mode: str, status: str) -> None:
    """Each fault mode on one source: that domain reads its status, the verdict INCOMPLETE."""
    clean_sandbox.fault("sw_penalties", mode)
    report = check(quick_hub, clean_sandbox.enterprise("clean"))
    tax = next(d for d in report["domains"] if d["domain"] == "tax")
    assert tax["status"] == status
    assert tax["detail"] and tax["records"] == []
    assert report["verdict"] == "INCOMPLETE"
    others = [d for d in report["domains"] if d["domain"] not in ("tax", "culture_tourism")]
    assert all(d["status"] == "OK" for d in others)


@pytest.mark.parametrize("mode", ["down", "hang", "garbage", "error"])
def test_a_faulty_sql_source_is_never_clean(quick_hub: HubHarness,
                                            clean_sandbox: SandboxProcess, mode: str) -> None:
    clean_sandbox.fault("gjj_deposit", mode)
    report = check(quick_hub, clean_sandbox.enterprise("clean"))
    fund = next(d for d in report["domains"] if d["domain"] == "housing_fund")
    assert fund["status"] in ("UNAVAILABLE", "INVALID")
    assert report["verdict"] == "INCOMPLETE"


def test_findings_win_over_a_missing_domain(quick_hub: HubHarness,
                                            clean_sandbox: SandboxProcess) -> None:
    uscc = clean_sandbox.enterprise("findings:tax")
    clean_sandbox.fault("xf_penalties", "down")
    assert check(quick_hub, uscc)["verdict"] == "FINDINGS"


def test_a_hanging_source_costs_only_its_timeout(sandbox: SandboxProcess, clean_sandbox: SandboxProcess,
                                                 tmp_path: Path) -> None:
    """`hang` on one source (timeout 1.5 s): that domain alone is UNAVAILABLE, cut at its
    timeout (the wall-clock cost is measured in the benchmark, `faults.*`)."""
    harness = HubHarness(sandbox, tmp_path, sources={"xf_penalties": {"timeout_s": 1.5}})
    try:
        clean_sandbox.fault("xf_penalties", "hang")
        report = check(harness, clean_sandbox.enterprise("clean"))
    finally:
        harness.close()
    fire = next(d for d in report["domains"] if d["domain"] == "fire_safety")
    assert fire["status"] == "UNAVAILABLE" and "未在 1.5 秒内答复" in fire["detail"]
    assert report["verdict"] == "INCOMPLETE"
    others = [d for d in report["domains"] if d["domain"] not in ("fire_safety",
                                                                   "culture_tourism")]
    assert {d["status"] for d in others} <= {"OK", "NOT_FOUND"}


def test_a_thousand_enterprises_make_ceil_calls_per_source(patient_hub: HubHarness,
                                                           clean_sandbox: SandboxProcess) -> None:
    """complianceChecks of 1000: the registry and each batch source get ceil(1000 / batch size)
    calls, a one-key source 1000."""
    usccs = World().usccs[:1000]
    query = """query($u: [USCC!]!) { complianceChecks(kind: IPO_COMPLIANCE, usccs: $u) {
                 verdict subject { uscc } domains { status } } }"""
    r = patient_hub.post(query, {"u": usccs})
    assert r.status_code == 200
    reports = r.json()["data"]["complianceChecks"]
    assert [x["subject"]["uscc"] for x in reports] == usccs
    assert all(x["verdict"] in ("CLEAN", "FINDINGS") for x in reports)
    stats = clean_sandbox.stats()
    assert stats["scjg_registration"]["calls"] == math.ceil(
        1000 / clean_sandbox.config["sources"]["scjg_registration"]["max_batch"])
    for name, table in clean_sandbox.config["sources"].items():
        if table.get("check") != "IPO_COMPLIANCE" or not table["enabled"]:
            continue
        if table["transport"] == "rest-batch":
            assert stats[name]["calls"] == math.ceil(1000 / table["max_batch"]), name
        elif table["transport"] == "rest-single":
            assert stats[name]["calls"] == 1000, name
    assert stats["wlj_penalties"]["calls"] == 0  # disabled: never called


def test_report_signature_verifies_with_the_published_key(hub: HubHarness,
                                                         clean_sandbox: SandboxProcess) -> None:
    report = check(hub, clean_sandbox.enterprise("findings:fire_safety"))
    keys_doc = hub.client.get("/.well-known/hub-keys").json()
    path = Path(hub.settings.keys_dir) / "published.json"
    path.write_bytes(orjson.dumps(keys_doc))
    public = load_public_keys(path)
    document = orjson.loads(report["document"])
    assert document["reportId"] == report["reportId"]
    assert document["verdict"] == report["verdict"]
    verify_signature(public, report["keyId"], canonical(document), report["signature"])
    document["domains"][0]["status"] = "UNAVAILABLE"
    with pytest.raises(SignatureInvalid):
        verify_signature(public, report["keyId"], canonical(document), report["signature"])


def test_every_domain_of_both_checks_is_present(hub: HubHarness,
                                                clean_sandbox: SandboxProcess) -> None:
    uscc = clean_sandbox.enterprise("clean")
    for kind, caller in (("IPO_COMPLIANCE", "fgw"), ("BANKRUPTCY", "court")):
        report = check(hub, uscc, kind=kind, caller=caller)
        assert {d["domain"] for d in report["domains"]} == {d.code for d in domains_of(kind)}


def test_a_batch_made_as_answers_come_in_gives_each_subject_its_own_report(
        sandbox: SandboxProcess, clean_sandbox: SandboxProcess, tmp_path: Path) -> None:
    """The one-key sources answer one subject at a time (cap 1, one of them slowed, the other
    failing), so reports are made while the departments still answer about the others. Each
    report is about its own subject, in the order asked, with that subject's answers; a
    subject asked twice gets two reports of the same content; the failed one-key answers make
    every report without findings INCOMPLETE, never CLEAN."""
    samples = clean_sandbox.samples["enterprises"]
    clean = [e["uscc"] for e in samples if "clean" in e["tags"]][:3]
    findings = clean_sandbox.enterprise("findings:tax")
    unknown = clean_sandbox.enterprise("unknown")
    assert len(clean) == 3
    usccs = [findings, clean[0], unknown, findings, clean[1], clean[2]]
    harness = HubHarness(sandbox, tmp_path, sources={
        "kjj_penalties": {"concurrency": 1}, "wjw_penalties": {"concurrency": 1}})
    try:
        clean_sandbox.fault("kjj_penalties", "slow:30")
        clean_sandbox.fault("wjw_penalties", "error")
        query = """query($u: [USCC!]!) { complianceChecks(kind: IPO_COMPLIANCE, usccs: $u) {
                     reportNo verdict subject { uscc }
                     domains { domain source status records { __typename } } } }"""
        r = harness.post(query, {"u": usccs})
    finally:
        harness.close()
    assert r.status_code == 200, r.text
    reports = r.json()["data"]["complianceChecks"]
    assert [x["subject"]["uscc"] for x in reports] == usccs
    assert len({x["reportNo"] for x in reports}) == len(usccs)
    stats = clean_sandbox.stats()
    assert stats["kjj_penalties"]["max_in_flight"] == 1 and stats["kjj_penalties"]["calls"] == 4
    assert [x["verdict"] for x in reports] == ["FINDINGS", "INCOMPLETE", "SUBJECT_UNKNOWN",
                                               "FINDINGS", "INCOMPLETE", "INCOMPLETE"]
    for x in reports[:2] + reports[3:]:
        status = {d["source"]: d["status"] for d in x["domains"]}
        assert status.pop("wjw_penalties") == "UNAVAILABLE"
        assert status.pop("wlj_penalties") == "DISABLED"
        assert set(status.values()) == {"OK"}
    assert reports[2]["domains"] == []
    assert reports[0]["domains"] == reports[3]["domains"]  # the same answers, twice
    tax = [d for d in reports[0]["domains"] if d["domain"] == "tax"]
    assert any(rec["__typename"] == "Violation" for d in tax for rec in d["records"])
    for x in (reports[1], reports[4], reports[5]):  # no one else's findings
        assert all(d["records"] == [] for d in x["domains"] if d["domain"] != "housing_fund")


def test_a_batch_whose_one_key_source_hangs_reads_incomplete_for_each_subject(
        sandbox: SandboxProcess, clean_sandbox: SandboxProcess, tmp_path: Path) -> None:
    """`hang` on a one-key source (timeout 0.5 s, two calls at a time) in a batch of five: its
    calls time out round after round, each subject's report is made when its own call has
    timed out, and every one reads INCOMPLETE with that domain UNAVAILABLE, never CLEAN."""
    usccs = [e["uscc"] for e in clean_sandbox.samples["enterprises"] if "clean" in e["tags"]][:5]
    assert len(usccs) == 5
    harness = HubHarness(sandbox, tmp_path, sources={
        "kjj_penalties": {"timeout_s": 0.5, "concurrency": 2}})
    try:
        clean_sandbox.fault("kjj_penalties", "hang")
        query = """query($u: [USCC!]!) { complianceChecks(kind: IPO_COMPLIANCE, usccs: $u) {
                     verdict subject { uscc } domains { source status detail } } }"""
        started = time.monotonic()
        r = harness.post(query, {"u": usccs})
        took = time.monotonic() - started
    finally:
        harness.close()
    assert r.status_code == 200, r.text
    reports = r.json()["data"]["complianceChecks"]
    assert [x["subject"]["uscc"] for x in reports] == usccs
    for x in reports:
        science = next(d for d in x["domains"] if d["source"] == "kjj_penalties")
        assert science["status"] == "UNAVAILABLE" and "未在 0.5 秒内答复" in science["detail"]
        assert x["verdict"] == "INCOMPLETE"
    assert 1.4 <= took < 10  # three rounds of 0.5 s timeouts, not a wait without end
