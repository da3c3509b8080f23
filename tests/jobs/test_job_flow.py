"""A batch check job end to end through the real app and the sandbox departments: submitted in
GraphQL, run by the hub's own worker in the background, read with checkJob, its results as CSV
and XLSX, each report retrievable and provably part of the signed job manifest.

The oracle for the verdicts is the sandbox's sample tags (an enterprise tagged `clean` has no
finding, one tagged `findings:<domain>` has one in that domain), not the hub. The jobs cover
2017 on, so that every penalty the sandbox generates is inside their period."""

from __future__ import annotations

import csv
import dataclasses
import io
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import orjson
import pytest
from openpyxl import load_workbook

from hub.config.jobs import JobSettings
from hub.config.settings import Settings
from jobs.manifest import verify_report_in_job
from jobs.pacing import Pacing
from signing.keys import load_public_keys
from tests.hub_harness import HubHarness
from tests.identifier_oracle import unknown_uscc
from tests.sandbox_process import SandboxProcess

SUBMIT = """mutation($usccs: [USCC!]!, $case: String) {
  submitCheckJob(kind: IPO_COMPLIANCE, usccs: $usccs, caseNo: $case, since: "2017-01-01") {
    id status total } }"""
STATUS = """query($id: ID!) { checkJob(id: $id) { id status total done etaSeconds
  verdicts { verdict count } sources { source department answered failed } caseNo } }"""
CANCEL = """mutation($id: ID!) { cancelCheckJob(id: $id) { status } }"""
FAST = JobSettings(deadline_s=60, pacing=Pacing(chunk=4, chunks_in_flight=2, lease_s=30,
                                                idle_s=0.05, retry_base_s=0.05,
                                                retry_cap_s=0.2))


@pytest.fixture(scope="module")
def app(sandbox: SandboxProcess, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[HubHarness]:
    harness = HubHarness(sandbox, tmp_path_factory.mktemp("jobs"), jobs=FAST)
    yield harness
    harness.close()


CODE = "91410700163193230D"  # a valid USCC
OFF = "findings:culture_tourism"  # its source is switched off in the sandbox's configuration


def findings(e: dict[str, Any]) -> list[str]:
    return [t.removeprefix("findings:") for t in e["tags"]
            if t.startswith("findings:") and t != OFF]


def samples(sandbox: SandboxProcess) -> list[dict[str, Any]]:
    return [e for e in sandbox.samples["enterprises"] if "clean" in e["tags"] or findings(e)]


def submit(app: HubHarness, usccs: list[str], caller: str = "xzsp", case: str | None = None
           ) -> str:
    body = app.post(SUBMIT, {"usccs": usccs, "case": case}, caller=caller).json()
    assert "errors" not in body, body
    return str(body["data"]["submitCheckJob"]["id"])


def status(app: HubHarness, job_id: str, caller: str = "xzsp") -> dict[str, Any]:
    body = app.post(STATUS, {"id": job_id}, caller=caller).json()
    assert "errors" not in body, body
    return body["data"]["checkJob"]  # type: ignore[no-any-return]


def wait(app: HubHarness, job_id: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = status(app, job_id)
        if job["status"] not in ("QUEUED", "RUNNING") or time.monotonic() > deadline:
            return job
        time.sleep(0.1)


def get(app: HubHarness, path: str, caller: str = "xzsp") -> Any:
    return app.client.get(path, headers={"Authorization": f"Bearer {app.api_keys[caller]}"})


# The IPO domains in the words of shared/domain.md (the oracle for the file's Chinese column).
IPO_DOMAINS_ZH = {
    "urban_management": "城市管理", "planning_resources": "规划自然资源", "labour": "劳动保障",
    "environment": "生态环境保护", "market_regulation": "市场监管", "health": "卫生和人员健康",
    "culture_tourism": "文化和旅游市场", "emergency": "应急管理",
    "housing_construction": "住房、工程建设", "housing_fund": "住房公积金缴存",
    "science_tech": "科技", "transport": "交通运输", "tax": "合法纳税",
    "intellectual_property": "知识产权", "water": "水资源保护", "fire_safety": "消防安全",
    "telecom": "电信监管"}


def test_a_job_checks_every_enterprise_once_and_files_a_signed_manifest(
        app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    chosen = samples(clean_sandbox)[:10]
    usccs = [e["uscc"] for e in chosen]
    job_id = submit(app, usccs, case="(2026)上市001")
    job = wait(app, job_id)
    assert job["status"] == "DONE" and job["done"] == job["total"] == len(usccs)
    assert job["caseNo"] == "(2026)上市001"
    counts = {v["verdict"]: v["count"] for v in job["verdicts"]}
    assert "INCOMPLETE" not in counts and sum(counts.values()) == len(usccs)
    assert all(s["answered"] + s["failed"] <= len(usccs) for s in job["sources"])
    assert {s["failed"] for s in job["sources"]} == {0}

    r = get(app, f"/jobs/{job_id}/results.csv")
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["序号", "统一社会信用代码", "企业名称", "核查结论"]
    assert [row[1] for row in rows[1:]] == usccs  # list order, each once
    for e, row in zip(chosen, rows[1:], strict=True):
        expected = "未发现问题" if "clean" in e["tags"] else "发现问题"
        assert row[3] == expected, (e, row)
        for tag in e["tags"]:
            if tag.startswith("findings:"):
                title = IPO_DOMAINS_ZH[tag.removeprefix("findings:")]
                assert any(title in found for found in row[4].split("；")), (title, row)

    keys = load_public_keys(app.settings.keys_dir / "hub-keys.json")
    for row in rows[1:4]:
        report = get(app, f"/jobs/{job_id}/reports/{row[6]}.json")
        proof = get(app, f"/jobs/{job_id}/proofs/{row[6]}.json")
        assert report.status_code == proof.status_code == 200
        manifest = verify_report_in_job(report.json()["report"], proof.json(), keys)
        assert manifest["jobId"] == job_id and manifest["reports"] == len(usccs)
        tampered = orjson.loads(report.content)["report"]
        tampered["verdict"] = "CLEAN" if tampered["verdict"] != "CLEAN" else "FINDINGS"
        with pytest.raises(Exception, match="does not lead"):
            verify_report_in_job(tampered, proof.json(), keys)

    book = load_workbook(io.BytesIO(get(app, f"/jobs/{job_id}/results.xlsx?lang=en").content))
    sheet = book.worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:2] == ("No.", "USCC") and [v[1] for v in values[1:]] == usccs


def test_another_callers_job_reads_exactly_as_an_unknown_one(
        app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    job_id = submit(app, [samples(clean_sandbox)[0]["uscc"]])
    mine = app.post(STATUS, {"id": job_id}, caller="fgw").json()
    unknown = app.post(STATUS, {"id": "0" * 32}, caller="fgw").json()
    assert mine["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert mine["errors"][0]["message"].replace(job_id, "X") == \
        unknown["errors"][0]["message"].replace("0" * 32, "X")
    assert get(app, f"/jobs/{job_id}/results.csv", caller="fgw").status_code == 404
    assert app.post(CANCEL, {"id": job_id}, caller="fgw").json()["errors"][0][
        "extensions"]["code"] == "NOT_FOUND"


ENTRIES = """query($case: String) { auditEntries(filter: {case: $case}, first: 100) { edges { node {
  requestId caller case purpose outcome subjects released refs sources { source status } } } } }"""


def audit_entries(app: HubHarness, case: str) -> list[dict[str, Any]]:
    body = app.post(ENTRIES, {"case": case}, caller="auditor", purpose=None).json()
    assert "errors" not in body, body
    return [e["node"] for e in body["data"]["auditEntries"]["edges"]]


def test_the_submission_is_one_entry_and_each_chunk_one_more_with_its_subjects_and_calls(
        app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    usccs = [e["uscc"] for e in samples(clean_sandbox)[:9]]
    case = "(2026)审计-JOB"
    job_id = submit(app, usccs, case=case)
    assert wait(app, job_id)["status"] == "DONE"
    entries = audit_entries(app, case)
    submitted = [e for e in entries if f"count:{len(usccs)}" in e["refs"]]
    assert len(submitted) == 1
    assert submitted[0]["caller"] == "xzsp" and submitted[0]["purpose"] == "IPO_COMPLIANCE"
    assert f"job:{job_id}" in submitted[0]["refs"] and submitted[0]["subjects"] == []
    chunks = [e for e in entries if e["requestId"].startswith(f"job-{job_id}-")]
    assert len(chunks) == 3  # nine enterprises, four to a chunk
    assert sorted(s for c in chunks for s in c["subjects"]) == sorted(usccs)
    for c in chunks:
        assert c["caller"] == "xzsp" and c["outcome"] == "ALLOWED" and f"job:{job_id}" in c["refs"]
        assert {s["source"] for s in c["sources"]} >= {"scjg_registry"} or c["sources"]
        assert len([r for r in c["refs"] if r.startswith("report:")]) == len(c["subjects"])


def test_a_department_that_is_down_for_a_while_leaves_nothing_incomplete(
        app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    tax = next(name for name, c in clean_sandbox.config["sources"].items()
               if c.get("domain") == "tax" and c.get("check") == "IPO_COMPLIANCE")
    clean_sandbox.fault(tax, "down")
    usccs = [e["uscc"] for e in samples(clean_sandbox)[:6]]
    job_id = submit(app, usccs)
    time.sleep(1.0)  # several retries fail meanwhile
    running = status(app, job_id)
    assert running["status"] == "RUNNING" and running["done"] == 0
    clean_sandbox.fault(tax, "ok")
    job = wait(app, job_id)
    assert job["status"] == "DONE" and job["done"] == len(usccs)
    assert "INCOMPLETE" not in {v["verdict"] for v in job["verdicts"]}
    assert {s["failed"] for s in job["sources"]} == {0}


def test_after_the_job_deadline_an_unanswered_check_stays_incomplete(
        clean_sandbox: SandboxProcess, tmp_path: Any) -> None:
    short = JobSettings(deadline_s=1.0, pacing=FAST.pacing)
    harness = HubHarness(clean_sandbox, tmp_path, jobs=short)
    try:
        tax = next(name for name, c in clean_sandbox.config["sources"].items()
                   if c.get("domain") == "tax" and c.get("check") == "IPO_COMPLIANCE")
        clean_sandbox.fault(tax, "down")
        usccs = [e["uscc"] for e in samples(clean_sandbox)[:2]]
        job_id = submit(harness, usccs)
        job = wait(harness, job_id, timeout=30)
        assert job["status"] == "DONE"
        assert job["done"] == len(usccs)
        assert {v["verdict"] for v in job["verdicts"]} <= {"INCOMPLETE", "FINDINGS"}
        assert [s["failed"] for s in job["sources"] if s["source"] == tax] == [len(usccs)]
        assert {s["failed"] for s in job["sources"] if s["source"] != tax} == {0}
    finally:
        harness.close()


def test_a_cancelled_job_starts_nothing_more(app: HubHarness,
                                             clean_sandbox: SandboxProcess) -> None:
    tax = next(name for name, c in clean_sandbox.config["sources"].items()
               if c.get("domain") == "tax" and c.get("check") == "IPO_COMPLIANCE")
    clean_sandbox.fault(tax, "slow:300")
    usccs = [e["uscc"] for e in samples(clean_sandbox)[:16]]
    job_id = submit(app, usccs)
    body = app.post(CANCEL, {"id": job_id}).json()
    assert body["data"]["cancelCheckJob"]["status"] == "CANCELLED"
    time.sleep(1.5)  # chunks in flight at the cancel finish
    done = status(app, job_id)["done"]
    time.sleep(1.0)
    after = status(app, job_id)
    assert after["status"] == "CANCELLED" and after["done"] == done < len(usccs)
    again = app.post(CANCEL, {"id": job_id}).json()["data"]["cancelCheckJob"]
    assert again["status"] == "CANCELLED"  # idempotent


def test_post_jobs_takes_a_csv_refuses_bad_lines_unless_skipped(
        app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    usccs = [e["uscc"] for e in samples(clean_sandbox)[:3]]
    text = f"统一社会信用代码\n{usccs[0]}\n\n{usccs[1].lower()}\nBAD-CODE\n{usccs[0]}\n{usccs[2]}\n"
    headers = {"Authorization": f"Bearer {app.api_keys['xzsp']}", "Content-Type": "text/csv"}
    refused = app.client.post("/jobs?kind=IPO_COMPLIANCE&filename=list.csv",
                              content=text.encode(), headers=headers)
    assert refused.status_code == 400
    error = refused.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["badLines"] == [
        {"line": 5, "text": "BAD-CODE", "reason": error["extensions"]["badLines"][0]["reason"]}]
    assert "第 5 行" in error["message"]
    accepted = app.client.post("/jobs?kind=ipo&filename=list.csv&skipInvalid=true",
                               content=text.encode(), headers=headers)
    assert accepted.status_code == 202, accepted.text
    answer = accepted.json()
    assert answer["total"] == 3 and answer["duplicates"] == 1 and answer["header"]
    assert [b["line"] for b in answer["skipped"]] == [5]
    job = wait(app, answer["jobId"])
    assert job["done"] == 3
    rows = list(csv.reader(io.StringIO(get(app, f"/jobs/{answer['jobId']}/results.csv")
                                       .content.decode("utf-8-sig"))))
    assert [r[1] for r in rows[1:4]] == usccs and rows[4][1] == "BAD-CODE"
    assert rows[4][3] == "无效代码（未核查）"


def test_post_jobs_refuses_a_50_mb_file_and_bad_parameters(app: HubHarness) -> None:
    headers = {"Authorization": f"Bearer {app.api_keys['xzsp']}", "Content-Type": "text/csv"}
    big = app.client.post("/jobs?kind=IPO_COMPLIANCE", content=b"x" * (50 * 1024 * 1024),
                          headers=headers)
    assert big.status_code == 413 and "大于上限 8 MB" in big.json()["errors"][0]["message"]
    kind = app.client.post("/jobs?kind=LISTING", content=b"x", headers=headers)
    assert kind.status_code == 400 and "kind" in kind.json()["errors"][0]["message"]
    anonymous = app.client.post("/jobs?kind=ipo", content=b"x")
    assert anonymous.status_code == 401
    court = app.client.post("/jobs?kind=ipo", content=b"x", headers={
        **headers, "Authorization": f"Bearer {app.api_keys['court']}"})
    assert court.status_code == 400  # the list is read first: one valid line is needed
    listed = app.client.post("/jobs?kind=ipo", content=CODE.encode(), headers={
        **headers, "Authorization": f"Bearer {app.api_keys['court']}"})
    assert listed.status_code == 403  # the court does not run IPO checks
    assert listed.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_a_one_key_per_call_source_gets_the_time_a_chunk_needs(
        clean_sandbox: SandboxProcess, tmp_path: Any) -> None:
    """科技局 answers one key per call; with two connections (a job may use one) and 0.6 s a
    call, ten enterprises take over 6 s — longer than a query's deadline for them (1 s a round
    of two, 5 s) — and still every one is answered at the first attempt. (Each call keeps
    0.4 s of its timeout to spare: with 0.2 s, a loaded machine running the whole suite once
    made a call miss it.)"""
    single = "kjj_penalties"
    assert clean_sandbox.config["sources"][single]["transport"] == "rest-single"
    slow = JobSettings(deadline_s=120, pacing=Pacing(chunk=10, chunks_in_flight=1, idle_s=0.05,
                                                     retry_base_s=30, retry_cap_s=30))
    harness = HubHarness(clean_sandbox, tmp_path, jobs=slow,
                         sources={single: {"concurrency": 2, "timeout_s": 1.0}})
    try:
        clean_sandbox.fault(single, "slow:600")
        usccs = [e["uscc"] for e in clean_sandbox.samples["enterprises"]][:10]
        job_id = submit(harness, usccs)
        job = wait(harness, job_id, timeout=60)
        assert job["status"] == "DONE" and job["done"] == 10
        assert [s["failed"] for s in job["sources"] if s["source"] == single] == [0]
        with closing(sqlite3.connect(harness.settings.store_url.removeprefix(
                "sqlite+aiosqlite:///"))) as db:
            attempts = {a for (a,) in db.execute(
                "SELECT attempts FROM check_job_results WHERE job_id = ?", (job_id,))}
        assert attempts == {1}
    finally:
        clean_sandbox.fault(single, "ok")
        harness.close()


def test_complianceChecks_over_its_limit_points_to_a_job(app: HubHarness) -> None:
    usccs = [unknown_uscc("410700", n) for n in range(1, 1002)]
    body = app.post("""query($u: [USCC!]!) { complianceChecks(kind: IPO_COMPLIANCE, usccs: $u) {
      verdict } }""", {"u": usccs}).json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "submitCheckJob" in body["errors"][0]["message"]


def test_metrics_count_finished_enterprises_by_verdict(app: HubHarness,
                                                       clean_sandbox: SandboxProcess) -> None:
    job_id = submit(app, [samples(clean_sandbox)[0]["uscc"]])
    assert wait(app, job_id)["status"] == "DONE"
    text = app.client.get("/metrics").text
    assert 'hub_job_items_total{verdict="' in text


@pytest.mark.parametrize("change", ["caller_gone", "purpose_withdrawn"])
def test_a_job_whose_caller_may_no_longer_run_its_check_ends_failed_and_says_why(
        sandbox: SandboxProcess, tmp_path: Path, change: str) -> None:
    """The hub restarts with a configuration that no longer lets the job's caller run it: the
    caller is gone, or the matter no longer names it. The worker ends the job FAILED with a
    reason, checks nothing more for it, and (when the caller is still there) it reads so."""
    usccs = [e["uscc"] for e in samples(sandbox)][:40]
    first = HubHarness(sandbox, tmp_path, jobs=FAST)
    job_id = submit(first, usccs)
    first.close()  # at once: most of the 40 are still to do

    def adjust(settings: Settings) -> Settings:
        if change == "caller_gone":
            # xzsp is gone; the auditor stays, so that the hub still has callers.
            return dataclasses.replace(settings, callers=tuple(
                c for c in settings.callers if c.name != "xzsp"))
        matters = {code: dataclasses.replace(m, callers=m.callers - {"xzsp"})
                   if code == "IPO_COMPLIANCE" else m for code, m in settings.matters.items()}
        return dataclasses.replace(settings, matters=matters)

    second = HubHarness(sandbox, tmp_path, jobs=FAST, adjust=adjust)
    try:
        deadline = time.monotonic() + 30
        while True:
            with closing(second._store()) as db:
                row = db.execute(
                    "SELECT status, detail, (SELECT count(*) FROM check_job_results r "
                    "WHERE r.job_id = j.id) FROM check_jobs j WHERE id = ?", (job_id,)).fetchone()
            if row[0] not in ("QUEUED", "RUNNING") or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        state, detail, done = row
        assert state == "FAILED" and done < len(usccs)
        if change == "caller_gone":
            assert "xzsp" in detail and "配置" in detail
        else:
            assert detail and "Error" not in detail
            job = status(second, job_id)
            assert job["status"] == "FAILED" and job["done"] == done
            calls = sandbox.total_calls()
            time.sleep(0.5)  # the worker keeps polling: nothing more is asked for this job
            assert sandbox.total_calls() == calls
    finally:
        second.close()
