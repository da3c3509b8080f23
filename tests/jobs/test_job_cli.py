"""Batch jobs from the command line, against a real `hub demo` process (whose worker runs the
jobs): `hub check ipo --file`, `hub job status|wait|download|cancel`, Ctrl-C leaving the job
running, exit codes from the worst verdict, and `hub report verify --proof`."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import orjson
import pytest
from openpyxl import load_workbook

from tests.hub.procs import hub_cmd, running_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with running_demo(tmp_path_factory.mktemp("demo") / ".hub") as home:
        yield home


def info(demo: Path) -> dict[str, Any]:
    return orjson.loads((demo / "demo.json").read_bytes())  # type: ignore[no-any-return]


def enterprises(demo: Path) -> list[dict[str, Any]]:
    return httpx2.get(info(demo)["sandbox_url"] + "/_sandbox/samples",
                      timeout=30).json()["enterprises"]  # type: ignore[no-any-return]


def fault(demo: Path, source: str, mode: str) -> None:
    r = httpx2.post(info(demo)["sandbox_url"] + "/_sandbox/faults",
                    json={"source": source, "mode": mode}, timeout=30)
    assert r.status_code == 200


def job_id_of(stdout: str) -> str:
    found = re.search(r"(?:核查任务|check job) ([0-9a-f]{32})", stdout)
    assert found, stdout
    return found.group(1)


def test_a_list_is_checked_its_results_written_and_the_exit_code_is_the_worst_verdict(
        demo: Path, tmp_path: Path) -> None:
    ents = enterprises(demo)
    clean = [e["uscc"] for e in ents if "clean" in e["tags"]][:3]
    finding = next(e["uscc"] for e in ents if "findings:tax" in e["tags"])
    listing = tmp_path / "list.csv"
    listing.write_text("统一社会信用代码\n" + "\n".join(clean) + "\n\n", encoding="utf-8")
    out = tmp_path / "clean.xlsx"
    run = hub_cmd("check", "ipo", "--file", str(listing), "--out", str(out), "--home", str(demo))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "已提交核查任务" in run.stdout and "结果已写入" in run.stdout
    rows = list(load_workbook(io.BytesIO(out.read_bytes())).worksheets[0].iter_rows(
        values_only=True))
    assert rows[0][1] == "统一社会信用代码" and [r[1] for r in rows[1:]] == clean
    assert {r[3] for r in rows[1:]} == {"未发现问题"}

    listing.write_text("\n".join([*clean, finding]) + "\n", encoding="utf-8")
    run = hub_cmd("check", "ipo", "--file", str(listing), "--out", str(tmp_path / "r.csv"),
                  "--home", str(demo), "--lang", "en")
    assert run.returncode == 10, run.stdout + run.stderr
    job_id = job_id_of(run.stdout)
    status = hub_cmd("job", "status", job_id, "--home", str(demo), "--lang", "en")
    assert status.returncode == 10 and "DONE, 4/4 done" in status.stdout
    again = hub_cmd("job", "download", job_id, "--out", str(tmp_path / "again.csv"),
                    "--home", str(demo))
    assert again.returncode == 0
    assert (tmp_path / "again.csv").read_bytes().startswith("\ufeff序号".encode())
    cancel = hub_cmd("job", "cancel", job_id, "--home", str(demo), "--lang", "en")
    assert cancel.returncode == 0 and "DONE" in cancel.stdout  # an ended job stays as it is
    other = hub_cmd("job", "status", job_id, "--home", str(demo), "--as", "fgw")
    assert other.returncode == 1 and "NOT_FOUND" in other.stderr


def test_a_list_with_bad_lines_is_refused_with_them_or_checked_without(
        demo: Path, tmp_path: Path) -> None:
    good = next(e["uscc"] for e in enterprises(demo) if "clean" in e["tags"])
    listing = tmp_path / "list.csv"
    listing.write_text(f"{good}\n12345\n", encoding="utf-8")
    refused = hub_cmd("check", "ipo", "--file", str(listing), "--home", str(demo))
    assert refused.returncode == 2 and "第 2 行 '12345'" in refused.stderr
    skipped = hub_cmd("check", "ipo", "--file", str(listing), "--skip-invalid", "--home",
                      str(demo))
    assert skipped.returncode == 0 and "跳过 1 行无效代码" in skipped.stdout
    missing = hub_cmd("check", "ipo", "--file", str(tmp_path / "nope.csv"), "--home", str(demo))
    assert missing.returncode == 2 and "nope.csv" in missing.stderr


def test_ctrl_c_leaves_the_job_running_and_job_wait_picks_it_up(demo: Path,
                                                                tmp_path: Path) -> None:
    ents = [e["uscc"] for e in enterprises(demo)][:12]
    listing = tmp_path / "list.csv"
    listing.write_text("\n".join(ents) + "\n", encoding="utf-8")
    # The tax bureau slows the job down: 1.5 s a call, well past the Ctrl-C half a second after
    # the job was submitted (with 400 ms the job could be done before it), and within the
    # source's 2 s timeout.
    fault(demo, "sw_penalties", "slow:1500")
    try:
        # A test run started in the background by a shell without job control has SIGINT
        # ignored, and a child inherits that (an ignored signal stays ignored across exec), so
        # the CLI would never see the Ctrl-C. A handler in this process is reset to the default
        # in the child instead.
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            proc = subprocess.Popen([sys.executable, "-m", "hub", "check", "ipo", "--file",
                                     str(listing), "--home", str(demo)], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True, env=os.environ.copy())
        finally:
            signal.signal(signal.SIGINT, previous)
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert "已提交核查任务" in first
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 130 and "仍在中枢运行" in err, err
        job_id = job_id_of(first)
    finally:
        fault(demo, "sw_penalties", "ok")
    wait = hub_cmd("job", "wait", job_id, "--out", str(tmp_path / "r.xlsx"), "--home", str(demo))
    assert wait.returncode in (0, 10, 12), wait.stdout + wait.stderr
    assert f"任务 {job_id}：已完成，12/12" in wait.stdout


def test_report_verify_accepts_a_report_with_its_proof(demo: Path, tmp_path: Path) -> None:
    ents = [e["uscc"] for e in enterprises(demo) if "clean" in e["tags"]][:5]
    listing = tmp_path / "list.csv"
    listing.write_text("\n".join(ents) + "\n", encoding="utf-8")
    out = tmp_path / "r.csv"
    run = hub_cmd("check", "ipo", "--file", str(listing), "--out", str(out), "--home", str(demo))
    assert run.returncode == 0, run.stderr
    job_id = job_id_of(run.stdout)
    report_no = out.read_text(encoding="utf-8-sig").splitlines()[3].split(",")[-1]
    key = info(demo)["callers"]["xzsp"]
    base = info(demo)["graphql_url"].removesuffix("/graphql")
    for name in ("reports", "proofs"):
        r = httpx2.get(f"{base}/jobs/{job_id}/{name}/{report_no}.json",
                       headers={"Authorization": f"Bearer {key}"}, timeout=30)
        assert r.status_code == 200, r.text
        (tmp_path / f"{name}.json").write_bytes(r.content)
    ok = hub_cmd("report", "verify", str(tmp_path / "reports.json"), "--proof",
                 str(tmp_path / "proofs.json"), "--home", str(demo))
    assert ok.returncode == 0 and f"part of job {job_id}" in ok.stdout, ok.stderr
    proof = orjson.loads((tmp_path / "proofs.json").read_bytes())
    proof["index"] = (proof["index"] + 1) % proof["size"]
    (tmp_path / "proofs.json").write_bytes(orjson.dumps(proof))
    bad = hub_cmd("report", "verify", str(tmp_path / "reports.json"), "--proof",
                  str(tmp_path / "proofs.json"), "--home", str(demo))
    assert bad.returncode == 1 and "INVALID" in bad.stderr
