"""A job survives kill -9: `hub serve` is killed mid-job, a new process resumes the job, and in
the end every enterprise has exactly one result and exactly one filed report — nothing lost,
nothing done twice — and the audit chain still verifies. Real processes, a real SQLite store,
the sandbox departments over HTTP (one of them slowed down, so the kill lands mid-job)."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from pathlib import Path
from typing import Any

from sandbox.data import World
from tests.hub.procs import ServeProcess, free_port, hub_cmd, prepared_home
from tests.sandbox_process import SandboxProcess

SUBMIT = """mutation($usccs: [USCC!]!) { submitCheckJob(kind: IPO_COMPLIANCE, usccs: $usccs) {
  id } }"""
STATUS = """query($id: ID!) { checkJob(id: $id) { status total done } }"""
JOBS = """
[jobs]
chunk = 4
chunks_in_flight = 2
lease_s = 2
deadline_s = 120
retry_base_s = 0.1
retry_cap_s = 0.5
"""


def job_status(hub: ServeProcess, job_id: str) -> dict[str, Any]:
    body = hub.post(STATUS, {"id": job_id}).json()
    assert "errors" not in body, body
    return body["data"]["checkJob"]  # type: ignore[no-any-return]


def test_kill_9_mid_job_loses_nothing_and_does_nothing_twice(
        clean_sandbox: SandboxProcess, tmp_path: Path) -> None:
    world = World()
    usccs = [world.enterprise_at(i).uscc for i in range(48)]
    port = free_port()
    config = prepared_home(clean_sandbox, tmp_path, port=port)
    config.write_text(config.read_text(encoding="utf-8") + JOBS, encoding="utf-8")
    slow = next(iter(clean_sandbox.config["sources"]))
    clean_sandbox.fault(slow, "slow:250")  # every chunk takes a quarter of a second at least

    first = ServeProcess(config, port)
    try:
        first.wait_ready()
        body = first.post(SUBMIT, {"usccs": usccs}).json()
        assert "errors" not in body, body
        job_id = body["data"]["submitCheckJob"]["id"]
        deadline = time.monotonic() + 60
        while job_status(first, job_id)["done"] < 8:
            assert time.monotonic() < deadline, first.stderr()
            time.sleep(0.05)
        first.proc.kill()  # SIGKILL: no lifespan shutdown, chunks in flight abandoned
        first.proc.wait(10)
        done_at_kill, claimed_at_kill = job_status_offline(tmp_path, job_id)
        assert done_at_kill < len(usccs), "the kill came too late to test anything"
        assert claimed_at_kill > 0, "no chunk was in flight when the process died"
    finally:
        first.stop()

    clean_sandbox.fault(slow, "ok")
    second = ServeProcess(config, port)
    try:
        second.wait_ready()
        deadline = time.monotonic() + 90
        while (job := job_status(second, job_id))["status"] == "RUNNING":
            assert time.monotonic() < deadline, second.stderr()
            time.sleep(0.1)
        assert job == {"status": "DONE", "total": len(usccs), "done": len(usccs)}
    finally:
        second.stop()

    with closing(sqlite3.connect(tmp_path / "hub.sqlite")) as db:
        results = db.execute("SELECT seq, uscc, report_no FROM check_job_results WHERE job_id = ?",
                             (job_id,)).fetchall()
        marks = ",".join("?" * len(usccs))
        filed = db.execute(f"SELECT uscc, report_no FROM reports WHERE uscc IN ({marks})",
                           usccs).fetchall()
    assert sorted((seq, uscc) for seq, uscc, _ in results) == list(enumerate(usccs))
    assert sorted(filed) == sorted((uscc, no) for _, uscc, no in results)  # one report each
    verify = hub_cmd("audit", "verify", "--config", str(config))
    assert verify.returncode == 0, verify.stdout + verify.stderr


def job_status_offline(home: Path, job_id: str) -> tuple[int, int]:
    """Results recorded, and items claimed by a worker (in flight), read from the store."""
    with closing(sqlite3.connect(home / "hub.sqlite")) as db:
        (done,) = db.execute("SELECT count(*) FROM check_job_results WHERE job_id = ?",
                             (job_id,)).fetchone()
        (claimed,) = db.execute("SELECT count(*) FROM check_job_items WHERE job_id = ? AND "
                                "state = 'CLAIMED'", (job_id,)).fetchone()
    return int(done), int(claimed)
