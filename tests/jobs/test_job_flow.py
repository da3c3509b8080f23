"""A batch check job end to end through the real app and the sandbox departments: submitted in
GraphQL, run by the hub's own worker in the background, read with checkJob, its results as CSV
and XLSX, each report retrievable and provably part of the signed job manifest.

The oracle for the verdicts is the sandbox's sample tags (an enterprise tagged `clean` has no
finding, one tagged `findings:<domain>` has one in that domain), not the hub. The jobs cover
2017 on, so that every penalty the sandbox generates is inside their period."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from openpyxl import load_workbook

from hub.config.jobs import JobSettings
from jobs.manifest import verify_report_in_job
from jobs.pacing import Pacing
from signing.keys import load_public_keys
from tests.hub_harness import HubHarness
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
                assert tag.removeprefix("findings:") in row[4].split("、")

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
