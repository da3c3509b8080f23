"""A chunk's results are committed with its audit entry, whole or not at all: recorded a second
time (a worker that outlived its lease), the whole chunk is refused and nothing of it counts
twice. On SQLite and PostgreSQL, through the real audit log and job store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from audit.entry import AuditRecord
from audit.errors import AuditUnavailable
from audit.log import AuditLog
from hub.store import open_store
from jobs.store import ItemResult, NewJob
from signing.keys import init_keys

NOW = dt.datetime(2026, 11, 29, 9, 0, tzinfo=dt.UTC)
USCCS = ("91110000600037341L", "91410700149578468L", "9141070016214594XH")


def entry(i: int, effects: tuple[object, ...]) -> AuditRecord:
    return AuditRecord(time=NOW + dt.timedelta(seconds=i), request_id=f"r{i}",
                       outcome="ALLOWED", caller="xzsp", purpose="IPO_COMPLIANCE",
                       subjects=list(USCCS), released=["job"], effects=effects)


async def test_a_chunk_recorded_twice_is_refused_whole(url: str, tmp_path: Path) -> None:
    store = await open_store(url)
    log = await AuditLog.open(url, init_keys(tmp_path / "keys"))
    try:
        jobs = store.jobs
        job = NewJob(NewJob.new_id(), "xzsp", "IPO_COMPLIANCE", "IPO_COMPLIANCE", None, None,
                     None, None, USCCS, (), NOW, NOW + dt.timedelta(days=1),
                     (("sw_penalties", "市税务局"), ("slj_penalties", "市水利局")))
        await jobs.add_items(job)
        await log.append(entry(1, tuple(jobs.submission(job))))
        claim = await jobs.claim(10, NOW, dt.timedelta(minutes=5))
        assert claim is not None and [u for _, u, _ in claim.items] == list(USCCS)
        results = [ItemResult(seq, uscc, "CLEAN", f"XXHC-2026-00000{seq}", "h" * 64, "某公司",
                              (), ("slj_penalties",) if seq == 1 else (), ("sw_penalties",),
                              1) for seq, uscc, _ in claim.items]
        changes = tuple(jobs.completion(job.id, claim.token, results, []))
        await log.append(entry(2, changes))
        with pytest.raises(AuditUnavailable):  # every result is there already
            await log.append(entry(3, changes))
        view = await jobs.view(job.id, "xzsp")
        assert view.done == 3 and view.verdicts == {"CLEAN": 3}
        counts = {s.source: (s.answered, s.failed) for s in view.sources}
        assert counts == {"sw_penalties": (3, 0), "slj_penalties": (0, 1)}  # counted once
        rows = [r for page in [p async for p in jobs.results(job.id)] for r in page]
        assert [(r.seq, r.uscc, r.report_no) for r in rows] == [
            (seq, uscc, f"XXHC-2026-00000{seq}") for seq, uscc, _ in claim.items]
        assert await jobs.left(job.id) == 0
    finally:
        await log.close()
        await store.close()
