"""The audit log under failure and over time: a locked or slow store never yields an entry
that says ALLOWED for an answer the caller did not get; checkpoints follow entries and time,
are signed on close, and are kept by a witness outside the store.

Runs on SQLite and on PostgreSQL (HUB_TEST_POSTGRES_URL).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest
from sqlalchemy import delete, select, text
from sqlalchemy.engine import make_url

from audit.entry import AuditRecord, CallRecord, Denial
from audit.errors import AuditUnavailable
from audit.log import AuditLog, verify_log
from audit.store import LOCK_KEY
from signing.canonical import canonical
from signing.keys import KeyRing


def released(i: int) -> AuditRecord:
    return AuditRecord(time=dt.datetime(2026, 11, 28, 8, 0, tzinfo=dt.UTC)
                       + dt.timedelta(seconds=i), request_id=f"r{i}", outcome="ALLOWED",
                       caller="fgw", purpose="IPO_COMPLIANCE", subjects=["91110000600037341L"],
                       subject_categories={"91110000600037341L": ["tax"]},
                       released=["complianceCheck"],
                       sources=[CallRecord("sw_penalties", "OK", 12.0, 1)])


@contextlib.asynccontextmanager
async def write_lock_held(url: str) -> AsyncIterator[None]:
    """Another process's writer holds the store's write lock until the block ends."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(make_url(url).database or "", isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    import asyncpg

    u = make_url(url)
    pg = await asyncpg.connect(host=u.host, port=u.port or 5432, user=u.username,
                               database=u.database)
    await pg.execute("SELECT pg_advisory_lock($1)", LOCK_KEY)
    try:
        yield
    finally:
        await pg.close()


async def bodies(log: AuditLog) -> list[dict]:  # type: ignore[type-arg]
    e = log.tables.entries
    async with log.reader.connect() as conn:
        rows = (await conn.execute(select(e.c.body).order_by(e.c.seq))).scalars().all()
    return [orjson.loads(b) for b in rows]


async def until(condition: object, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not await condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "gave up waiting"
        await asyncio.sleep(0.05)


async def test_an_abandoned_record_lands_as_failed_never_allowed(url: str, ring: KeyRing) -> None:
    """The caller gave up (AUDIT_UNAVAILABLE) before the writer got the lock: the entry that
    lands later says FAILED, releases nothing and names AUDIT_UNAVAILABLE."""
    log = await AuditLog.open(url, ring, write_timeout=0.3, lock_timeout=30.0)
    try:
        async with write_lock_held(url):
            with pytest.raises(AuditUnavailable):
                await log.append(released(1))
        await until(lambda: _size_is(log, 1))
        (body,) = await bodies(log)
        assert body["requestId"] == "r1" and body["outcome"] == "FAILED"
        assert body["released"] == [] and body["subjectCategories"] == {}
        assert {"path": "complianceCheck", "code": "AUDIT_UNAVAILABLE"} in body["denied"]
        assert body["sources"] and body["subjects"]  # what the hub did is still recorded
        seq, _ = await log.append(released(2))
        assert seq == 2 and (await bodies(log))[1]["outcome"] == "ALLOWED"
        assert (await verify_log(log, ring.public)).ok
    finally:
        await log.close()


async def _size_is(log: AuditLog, n: int) -> bool:
    return await log.size() == n


async def test_a_lock_wait_that_runs_out_writes_nothing(url: str, ring: KeyRing) -> None:
    """The transaction's own wait for the lock is bounded: the batch fails, nothing lands."""
    log = await AuditLog.open(url, ring, write_timeout=30.0, lock_timeout=0.3)
    try:
        async with write_lock_held(url):
            with pytest.raises(AuditUnavailable):
                await log.append(released(1))
        assert await log.size() == 0
        assert (await log.append(released(2)))[0] == 1
        assert [b["requestId"] for b in await bodies(log)] == ["r2"]
    finally:
        await log.close()


async def test_a_claimed_record_is_waited_for(url: str, ring: KeyRing) -> None:
    """A slow insert under the lock: the caller waits past its timeout for the outcome, and
    what it is told agrees with what the log says."""
    log = await AuditLog.open(url, ring, write_timeout=0.05, lock_timeout=30.0)
    if url.startswith("sqlite"):
        slow = ("CREATE TRIGGER slow BEFORE INSERT ON audit_entries BEGIN SELECT count(*) FROM "
                "(WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                "WHERE x < 2000000) SELECT x FROM c); END")
        statements = [slow]
    else:
        statements = ["CREATE FUNCTION slow() RETURNS trigger AS $$ BEGIN "
                      "PERFORM pg_sleep(0.4); RETURN NEW; END $$ LANGUAGE plpgsql",
                      "CREATE TRIGGER slow BEFORE INSERT ON audit_entries "
                      "FOR EACH ROW EXECUTE FUNCTION slow()"]
    async with log.writer.begin() as conn:
        for statement in statements:
            await conn.execute(text(statement))
    try:
        outcomes = await asyncio.gather(*(log.append(released(i)) for i in range(3)),
                                        return_exceptions=True)
        delivered = {f"r{i}" for i, o in enumerate(outcomes) if isinstance(o, tuple)}
        await until(lambda: _size_is(log, 3))
        for body in await bodies(log):
            expected = "ALLOWED" if body["requestId"] in delivered else "FAILED"
            assert body["outcome"] == expected, (body["requestId"], outcomes)
    finally:
        await log.close()


async def test_a_checkpoint_is_signed_on_close(url: str, ring: KeyRing) -> None:
    log = await AuditLog.open(url, ring, checkpoint_every=1000, checkpoint_seconds=3600)
    for i in range(3):
        await log.append(released(i))
    assert await log.checkpoints() == []
    await log.close()
    log = await AuditLog.open(url, None)
    try:
        assert [cp.size for cp in await log.checkpoints()] == [3]
        result = await verify_log(log, ring.public)
        assert result.ok and result.uncovered == 0
        async with log.writer.begin() as conn:
            await conn.execute(delete(log.tables.entries).where(log.tables.entries.c.seq == 3))
        tail = await verify_log(log, ring.public)
        assert not tail.ok and tail.first_bad_seq == 3 and "truncation" in (tail.detail or "")
    finally:
        await log.close()


async def test_checkpoints_follow_entries_and_time(url: str, ring: KeyRing) -> None:
    log = await AuditLog.open(url, ring, checkpoint_every=5, checkpoint_seconds=3600)
    try:
        for i in range(12):
            await log.append(released(i))
        assert [cp.size for cp in await log.checkpoints()] == [5, 10]
        assert (await verify_log(log, ring.public)).uncovered == 2
    finally:
        await log.close()
    log = await AuditLog.open(url, ring, checkpoint_every=1000, checkpoint_seconds=0.2)
    try:
        await log.append(released(99))
        await until(lambda: _covered(log, 13))  # signed while the writer is idle
    finally:
        await log.close()


async def test_the_first_checkpoint_follows_time_too(url: str, ring: KeyRing) -> None:
    """A new log with fewer entries than `checkpoint_every` is still signed after
    `checkpoint_seconds`, not only once it has that many entries (or on shutdown)."""
    log = await AuditLog.open(url, ring, checkpoint_every=1000, checkpoint_seconds=0.2)
    try:
        await log.append(released(1))
        await log.append(released(2))
        await until(lambda: _covered(log, 2))
    finally:
        await log.close()


async def _covered(log: AuditLog, size: int) -> bool:
    return any(cp.size == size for cp in await log.checkpoints())


async def test_a_witness_catches_a_store_trimmed_with_its_checkpoints(
        url: str, ring: KeyRing, tmp_path: Path) -> None:
    witness = tmp_path / "witness.jsonl"
    log = await AuditLog.open(url, ring, checkpoint_every=5, checkpoint_seconds=3600,
                              witness_file=witness)
    for i in range(12):
        await log.append(released(i))
    await log.close()  # the closing checkpoint at 12 is witnessed too
    kept = [orjson.loads(line)["size"] for line in witness.read_bytes().splitlines()]
    assert kept == [5, 10, 12]
    log = await AuditLog.open(url, None, witness_file=witness)
    try:
        assert (await verify_log(log, ring.public)).ok
        e, cp = log.tables.entries, log.tables.checkpoints
        async with log.writer.begin() as conn:  # an insider removes the tail and its proof
            await conn.execute(delete(e).where(e.c.seq > 10))
            await conn.execute(delete(cp).where(cp.c.size > 10))
        alone = await verify_log(log, ring.public, witness_file=tmp_path / "none.jsonl")
        assert not alone.ok and "cannot read the witness file" in (alone.detail or "")
        result = await verify_log(log, ring.public)
        assert not result.ok and result.first_bad_seq == 11
        assert "kept by the witness" in (result.detail or "")
    finally:
        await log.close()


async def test_a_forged_or_foreign_witness_line_is_refused(url: str, ring: KeyRing,
                                                           tmp_path: Path) -> None:
    witness = tmp_path / "witness.jsonl"
    log = await AuditLog.open(url, ring, checkpoint_every=2, witness_file=witness)
    for i in range(4):
        await log.append(released(i))
    await log.close()
    lines = witness.read_bytes().splitlines()
    log = await AuditLog.open(url, None, witness_file=witness)
    try:
        forged = orjson.loads(lines[0])
        forged["rootHash"] = "00" * 32
        witness.write_bytes(orjson.dumps(forged) + b"\n" + b"\n".join(lines[1:]) + b"\n")
        result = await verify_log(log, ring.public)
        assert not result.ok and "(kept by the witness) is not validly signed" in result.detail
        foreign = orjson.loads(lines[0])
        foreign["logId"] = "another"
        foreign["signature"], foreign["keyId"] = ring.sign(canonical(
            {k: foreign[k] for k in ("logId", "size", "headHash", "rootHash", "time")}))
        witness.write_bytes(orjson.dumps(foreign) + b"\n")
        result = await verify_log(log, ring.public)
        assert not result.ok and "belongs to another log" in (result.detail or "")
        witness.write_bytes(b"\n".join(lines) + b'\n{"logId": "torn')  # a crash mid-line
        assert (await verify_log(log, ring.public)).ok
        witness.write_bytes(b'{"logId": "torn\n' + b"\n".join(lines) + b"\n")
        result = await verify_log(log, ring.public)
        assert not result.ok and "line 1 is not a checkpoint" in (result.detail or "")
    finally:
        await log.close()


def test_withheld_denies_what_would_have_been_released() -> None:
    record = released(1)
    record.denied = [Denial("person.creditReport", "CONSENT_REQUIRED")]
    out = record.withheld()
    assert out.outcome == "FAILED" and out.released == [] and out.subject_categories == {}
    assert out.denied == [Denial("person.creditReport", "CONSENT_REQUIRED"),
                          Denial("complianceCheck", "AUDIT_UNAVAILABLE")]
    assert record.outcome == "ALLOWED"  # the original is untouched
    bare = AuditRecord(time=record.time, request_id="x", outcome="DENIED").withheld()
    assert bare.denied == [Denial("", "AUDIT_UNAVAILABLE")]
