"""The audit trail through the real app when the store is locked, and what verification says
of entries not yet covered by a checkpoint (the GraphQL API and `hub audit verify`)."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from pathlib import Path

from sqlalchemy import delete
from sqlalchemy.engine import make_url

from audit.log import AuditLog
from tests.hub_harness import HubHarness
from tests.sandbox_process import SandboxProcess

ENTRIES = """query($f: AuditFilter) { auditEntries(filter: $f) {
  edges { node { requestId outcome released denied } } } }"""


def test_a_locked_store_answers_audit_unavailable_and_never_records_it_allowed(
        sandbox: SandboxProcess, tmp_path: Path) -> None:
    harness = HubHarness(sandbox, tmp_path, audit_write_timeout=0.5)
    try:
        database = make_url(harness.settings.store_url).database or ""
        lock = sqlite3.connect(database, isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")  # another writer holds the store
        try:
            r = harness.post("{ sources { name } }", purpose=None,
                             headers={"X-Request-Id": "locked-1"})
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        assert r.status_code == 503
        assert r.json() == {"data": None, "errors": [r.json()["errors"][0]]}
        assert r.json()["errors"][0]["extensions"]["code"] == "AUDIT_UNAVAILABLE"
        harness.post("{ sources { name } }", purpose=None)  # the store works again
        r = harness.post(ENTRIES, {"f": {"caller": "xzsp"}}, caller="auditor", purpose=None)
        nodes = [e["node"] for e in r.json()["data"]["auditEntries"]["edges"]]
        locked = [n for n in nodes if n["requestId"] == "locked-1"]
        # Either it never landed, or it landed saying what the caller was told.
        assert all(n["outcome"] == "FAILED" and n["released"] == [] and
                   any(d.endswith(": AUDIT_UNAVAILABLE") for d in n["denied"])
                   for n in locked), locked
        assert [n["outcome"] for n in nodes if n["requestId"] != "locked-1"] == ["ALLOWED"]
    finally:
        harness.close()


def test_verification_reports_entries_not_yet_covered(sandbox: SandboxProcess,
                                                      tmp_path: Path) -> None:
    harness = HubHarness(sandbox, tmp_path, checkpoint_every=1000, checkpoint_seconds=3600)
    try:
        for _ in range(2):
            harness.post("{ sources { name } }", purpose=None)
        r = harness.post("{ auditVerification { ok size uncovered detail checkpoint { size } } }",
                         caller="auditor", purpose=None)
        v = r.json()["data"]["auditVerification"]
        assert v["ok"] and v["size"] == 2 and v["uncovered"] == 2 and v["checkpoint"] is None
        assert "not yet covered by a checkpoint (2 entries)" in v["detail"]
    finally:
        harness.close()  # signs a checkpoint over all three entries
    verify = [sys.executable, "-m", "hub", "audit", "verify", "--home", str(tmp_path)]
    done = subprocess.run(verify, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "not yet covered" not in done.stdout, done.stdout

    async def lose_checkpoints() -> None:  # a crash before any checkpoint was signed
        log = await AuditLog.open(harness.settings.store_url, None)
        try:
            async with log.writer.begin() as conn:
                await conn.execute(delete(log.tables.checkpoints))
        finally:
            await log.close()

    asyncio.run(lose_checkpoints())
    done = subprocess.run(verify, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "not yet covered by a checkpoint (3 entries)" in done.stdout
