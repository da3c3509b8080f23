"""Several hub processes on one PostgreSQL store share a job's work: `hub serve --workers 2`
runs two job workers, which claim chunks with FOR UPDATE SKIP LOCKED. Both take part, and every
enterprise ends with exactly one result and one filed report."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from sandbox.data import World
from tests.hub.procs import ServeProcess, free_port, hub_cmd, prepared_home
from tests.pg import fresh_database, postgres_url_or_skip
from tests.sandbox_process import SandboxProcess

SUBMIT = """mutation($usccs: [USCC!]!) { submitCheckJob(kind: IPO_COMPLIANCE, usccs: $usccs) {
  id } }"""
STATUS = """query($id: ID!) { checkJob(id: $id) { status total done } }"""
JOBS = "\n[jobs]\nchunk = 3\nchunks_in_flight = 2\nidle_s = 0.05\n"


async def _rows(url: str, job_id: str
                ) -> tuple[list[tuple[int, str, str]], list[tuple[str, str]], set[str]]:
    """The job's results, the reports filed about its enterprises, and the processes that
    recorded its chunks (from the chunks' audit entries)."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            results = (await conn.execute(text(
                "SELECT seq, uscc, report_no FROM check_job_results WHERE job_id = :j"),
                {"j": job_id})).all()
            chunks = (await conn.execute(text(
                "SELECT request_id FROM audit_entries WHERE request_id LIKE :p"),
                {"p": f"job-{job_id}-%"})).scalars().all()
            filed = (await conn.execute(text(
                "SELECT r.uscc, r.report_no FROM reports r JOIN check_job_items i "
                "ON i.uscc = r.uscc WHERE i.job_id = :j"), {"j": job_id})).all()
    finally:
        await engine.dispose()
    return ([(r[0], r[1], r[2]) for r in results], [(f[0], f[1]) for f in filed],
            {c.split("-")[2] for c in chunks})


def test_two_processes_on_postgres_share_one_job_without_doing_anything_twice(
        clean_sandbox: SandboxProcess, tmp_path: Path) -> None:
    world = World()
    usccs = [world.enterprise_at(100 + i).uscc for i in range(60)]
    with fresh_database(postgres_url_or_skip()) as url:
        port = free_port()
        config = prepared_home(clean_sandbox, tmp_path, port=port, hub=f'store = "{url}"')
        config.write_text(config.read_text(encoding="utf-8") + JOBS, encoding="utf-8")
        tax = next(name for name, c in clean_sandbox.config["sources"].items()
                   if c.get("domain") == "tax" and c.get("check") == "IPO_COMPLIANCE")
        clean_sandbox.fault(tax, "slow:150")  # long enough a job for both to take part
        hub = ServeProcess(config, port, workers=2)
        try:
            hub.wait_ready()
            time.sleep(3)  # the second worker process may still be starting
            body = hub.post(SUBMIT, {"usccs": usccs}).json()
            assert "errors" not in body, body
            job_id = body["data"]["submitCheckJob"]["id"]
            deadline = time.monotonic() + 120
            while (job := hub.post(STATUS, {"id": job_id}).json()["data"]["checkJob"])[
                    "status"] != "DONE":
                assert time.monotonic() < deadline, (job, hub.stderr())
                time.sleep(0.1)
        finally:
            hub.terminate()
            assert hub.wait() == 0, hub.stderr()
        results, filed, processes = asyncio.run(_rows(url, job_id))
        assert len(processes) == 2, f"one process did all the work: {processes}"
        assert sorted((seq, uscc) for seq, uscc, _ in results) == list(enumerate(usccs))
        assert sorted(filed) == sorted((uscc, no) for _, uscc, no in results)
        verify = hub_cmd("audit", "verify", "--config", str(config))
        assert verify.returncode == 0, verify.stdout + verify.stderr
