"""The audit log itself: chain, checkpoints, tampering, concurrent writers, crashes.

Runs on SQLite and on PostgreSQL (HUB_TEST_POSTGRES_URL).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import overload

import orjson
import pytest
from sqlalchemy import MetaData, delete, insert, select, text, update

from audit.entry import AuditRecord, entry_hash
from audit.errors import AuditUnavailable
from audit.log import AuditLog, verify_log
from reports.store import report_numbers_table
from signing.canonical import canonical
from signing.keys import KeyRing, init_keys
from tests.stores import migrated_sync


@pytest.fixture
async def log(url: str, ring: KeyRing) -> AsyncIterator[AuditLog]:
    audit = await AuditLog.open(url, ring, checkpoint_every=10)
    yield audit
    await audit.close()


def record(i: int, **extra: object) -> AuditRecord:
    return AuditRecord(time=dt.datetime(2026, 11, 28, 8, 0, tzinfo=dt.UTC)
                       + dt.timedelta(seconds=i), request_id=f"r{i}", outcome="ALLOWED",
                       caller="fgw", purpose="IPO_COMPLIANCE", subjects=["91110000600037341L"],
                       released=["complianceCheck"], **extra)  # type: ignore[arg-type]


async def fill(log: AuditLog, n: int) -> None:
    await asyncio.gather(*(log.append(record(i)) for i in range(n)))


async def test_appends_form_one_chain_with_checkpoints(log: AuditLog, ring: KeyRing) -> None:
    await fill(log, 35)
    result = await verify_log(log, ring.public)
    assert result.ok and result.size == 35
    sizes = [cp.size for cp in await log.checkpoints()]
    assert sizes == sorted(set(sizes))
    assert result.checkpoint is not None and result.checkpoint.size == sizes[-1]
    seq, digest = await log.append(record(99))
    assert seq == 36 and len(digest) == 64


async def test_group_commit_batches_concurrent_appends(log: AuditLog) -> None:
    results = await asyncio.gather(*(log.append(record(i)) for i in range(200)))
    assert sorted(seq for seq, _ in results) == list(range(1, 201))


async def test_an_append_whose_caller_gave_up_is_still_written(log: AuditLog) -> None:
    """A request cancelled while its entry waits (its client went away) leaves the entry to
    be written, in its place in the chain: the writer never sees the caller's cancellation."""
    await fill(log, 2)
    gone = asyncio.ensure_future(log.append(record(10)))
    await asyncio.sleep(0)  # queued for the writer
    gone.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gone
    seq, _ = await log.append(record(11))
    assert seq == 4
    assert [(await _body(log, s))["requestId"] for s in (3, 4)] == ["r10", "r11"]


async def _sql(log: AuditLog, statement: object) -> None:
    async with log.writer.begin() as conn:
        await conn.execute(statement)  # type: ignore[arg-type]


async def _body(log: AuditLog, seq: int) -> dict:  # type: ignore[type-arg]
    e = log.tables.entries
    async with log.reader.connect() as conn:
        return orjson.loads((await conn.execute(select(e.c.body).where(e.c.seq == seq)))
                            .scalar_one())  # type: ignore[no-any-return]


async def _rehash_from(log: AuditLog, start: int) -> None:
    """What a careful attacker does after an edit: recompute every hash from `start` on."""
    e = log.tables.entries
    async with log.writer.begin() as conn:
        rows = (await conn.execute(select(e.c.seq, e.c.body).order_by(e.c.seq))).all()
        prev = "0" * 64
        for seq, body in rows:
            doc = orjson.loads(body)
            if seq >= start:
                doc["prevHash"] = prev
                body = canonical(doc).decode()
                digest = entry_hash(prev, body.encode())
                await conn.execute(update(e).where(e.c.seq == seq)
                                   .values(body=body, entry_hash=digest))
                prev = digest
            else:
                prev = (await conn.execute(select(e.c.entry_hash).where(e.c.seq == seq))
                        ).scalar_one()


@pytest.mark.parametrize("case", ["field", "column", "delete-middle", "swap", "rehash",
                                  "delete-tail", "rollback"])
async def test_tampering_is_found(log: AuditLog, ring: KeyRing, case: str) -> None:
    for i in range(25):  # one by one: checkpoints at 10 and 20, then one forced at 25
        await log.append(record(i))
    await log.checkpoint()
    assert [cp.size for cp in await log.checkpoints()] == [10, 20, 25]
    e = log.tables.entries
    if case == "field":
        doc = await _body(log, 7)
        doc["purpose"] = "BANKRUPTCY"
        await _sql(log, update(e).where(e.c.seq == 7).values(body=canonical(doc).decode()))
        expected: int | None = 7
    elif case == "column":
        await _sql(log, update(e).where(e.c.seq == 12).values(caller="court"))
        expected = 12
    elif case == "delete-middle":
        await _sql(log, delete(e).where(e.c.seq == 9))
        expected = 9
    elif case == "swap":
        a, b = await _body(log, 4), await _body(log, 6)
        await _sql(log, update(e).where(e.c.seq == 4).values(body=canonical(b).decode()))
        await _sql(log, update(e).where(e.c.seq == 6).values(body=canonical(a).decode()))
        expected = 4
    elif case == "rehash":
        doc = await _body(log, 15)
        doc["released"] = []
        await _sql(log, update(e).where(e.c.seq == 15).values(body=canonical(doc).decode()))
        await _rehash_from(log, 15)
        expected = 11  # the first entry after the last checkpoint that still matches (size 10)
    elif case == "delete-tail":
        await _sql(log, delete(e).where(e.c.seq > 20))
        expected = 21
    else:  # rollback: the tail replaced by other, freshly chained entries
        await _sql(log, delete(e).where(e.c.seq > 20))
        await fill(log, 5)
        expected = 21
    result = await verify_log(log, ring.public)
    assert not result.ok
    assert result.first_bad_seq == expected, result.detail
    assert result.detail


async def test_forged_checkpoint_is_refused(log: AuditLog, ring: KeyRing,
                                            tmp_path: Path) -> None:
    await fill(log, 12)
    stranger = init_keys(tmp_path / "stranger")
    public = dict(ring.public)
    cp = log.tables.checkpoints
    await _sql(log, update(cp).values(signature=stranger.sign(b"x")[0]))
    result = await verify_log(log, public)
    assert not result.ok and "not validly signed" in (result.detail or "")


async def test_four_processes_append_one_linear_chain(url: str, ring: KeyRing,
                                                      tmp_path: Path) -> None:
    """4 processes x 500 entries -> 2000 entries in one chain that verifies."""
    keys = tmp_path / "keys"
    log = await AuditLog.open(url, ring)
    procs = [subprocess.Popen([sys.executable, "-m", "tests.audit.appender", url, str(keys),
                               "500"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for _ in range(4)]
    try:
        for p in procs:
            _, err = await asyncio.to_thread(p.communicate, timeout=300)
            assert p.returncode == 0, err.decode()
        result = await verify_log(log, ring.public)
        assert result.ok, result.detail
        assert result.size == 2000
        e = log.tables.entries
        async with log.reader.connect() as conn:
            ids = (await conn.execute(select(e.c.request_id))).scalars().all()
        assert len(set(ids)) == 2000
    finally:
        await log.close()


async def test_a_writer_killed_mid_append_leaves_a_chain_that_verifies(
        url: str, ring: KeyRing, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    log = await AuditLog.open(url, ring)
    proc = subprocess.Popen([sys.executable, "-m", "tests.audit.appender", url, str(keys),
                             "100000", "50"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while await log.size() < 300:
            assert time.monotonic() < deadline and proc.poll() is None
            await asyncio.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        result = await verify_log(log, ring.public)
        assert result.ok, result.detail
        before = result.size
        await log.append(record(1))
        after = await verify_log(log, ring.public)
        assert after.ok and after.size == before + 1
    finally:
        if proc.poll() is None:
            proc.kill()
        await log.close()


async def test_an_unwritable_store_fails_the_append(log: AuditLog, url: str) -> None:
    await fill(log, 3)
    if url.startswith("sqlite"):
        await _sql(log, text("CREATE TRIGGER no_audit BEFORE INSERT ON audit_entries "
                             "BEGIN SELECT RAISE(ABORT, 'read-only'); END"))
    else:
        await _sql(log, text("CREATE FUNCTION no_audit() RETURNS trigger AS $$ BEGIN "
                             "RAISE EXCEPTION 'read-only'; END $$ LANGUAGE plpgsql"))
        await _sql(log, text("CREATE TRIGGER no_audit BEFORE INSERT ON audit_entries "
                             "FOR EACH ROW EXECUTE FUNCTION no_audit()"))
    from audit.errors import AuditUnavailable

    with pytest.raises(AuditUnavailable):
        await log.append(record(50))
    assert await log.size() == 3
    # Writable again: the next append commits (on SQLite, on the loop's kept connection, which
    # the failed transaction left usable), and the chain goes on from the same head.
    await _sql(log, text("DROP TRIGGER no_audit" if url.startswith("sqlite")
                         else "DROP TRIGGER no_audit ON audit_entries"))
    seq, _ = await log.append(record(51))
    assert seq == 4 and await log.size() == 4


class _MadeWhenRead(Sequence[dict[str, int]]):
    """Rows made as they are read, as a batch's filing makes its reports' rows."""

    def __init__(self, years: range) -> None:
        self.years = years
        self.made = 0

    def __len__(self) -> int:
        return len(self.years)

    @overload
    def __getitem__(self, index: int) -> dict[str, int]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, int]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, int] | list[dict[str, int]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        row = {"year": self.years[index], "issued": index}
        self.made += 1
        return row


async def test_an_effect_of_many_rows_files_every_row(log: AuditLog) -> None:
    """Effects of more rows than one executemany takes (consecutive ones of the same statement
    merged, rows made as they are read) file every row, each once."""
    numbers = report_numbers_table(MetaData())
    stmt = insert(numbers)
    parts = [_MadeWhenRead(range(3000, 3070)), _MadeWhenRead(range(3070, 3101))]
    await log.append(record(1, effects=tuple((stmt, rows) for rows in parts)))
    async with log.reader.connect() as conn:
        years = (await conn.execute(select(numbers.c.year))).scalars().all()
    assert sorted(years) == list(range(3000, 3101))
    assert [p.made for p in parts] == [70, 31]


async def test_store_changes_of_one_batch_commit_together_but_fail_alone(log: AuditLog) -> None:
    """Records appended at once go in one transaction, their changes first all together; when
    one record's change fails, only that record is FAILED and its caller told, and every other
    record's change is kept."""
    numbers = report_numbers_table(MetaData())
    stmt = insert(numbers)

    def changing(i: int, year: int) -> AuditRecord:
        return record(i, effects=((stmt, [{"year": year, "issued": i}]),))

    got = await asyncio.gather(log.append(changing(1, 2031)), log.append(changing(2, 2032)),
                               log.append(changing(3, 2031)),  # the year is there already
                               log.append(changing(4, 2033)), return_exceptions=True)
    assert [isinstance(g, AuditUnavailable) for g in got] == [False, False, True, False]
    async with log.reader.connect() as conn:
        kept = dict((await conn.execute(select(numbers.c.year, numbers.c.issued))).all())
        e = log.tables.entries
        outcomes = dict((await conn.execute(select(e.c.request_id, e.c.outcome))).all())
    assert kept == {2031: 1, 2032: 2, 2033: 4}
    assert outcomes == {"r1": "ALLOWED", "r2": "ALLOWED", "r3": "FAILED", "r4": "ALLOWED"}
    assert [g[0] for g in got if isinstance(g, tuple)] == [1, 2, 4]  # r3's entry is seq 3


async def _wal_bytes_after(url: str, ring: KeyRing, wal_every: int, n: int) -> int:
    log = await AuditLog.open(url, ring, checkpoint_every=10_000, wal_every=wal_every)
    try:
        for i in range(n):  # one batch each
            await log.append(record(i))
        wal = Path(url.split("///", 1)[1] + "-wal")
        return wal.stat().st_size
    finally:
        await log.close()


async def test_the_sqlite_wal_is_checkpointed_off_the_loop(url: str, ring: KeyRing,
                                                          tmp_path: Path) -> None:
    """Batches written on the event loop never checkpoint the WAL themselves (a checkpoint
    fsyncs); the writer's thread does, every `wal_every` batches, so the WAL stays small."""
    if not url.startswith("sqlite"):
        pytest.skip("the WAL is SQLite's")
    bounded = await _wal_bytes_after(url, ring, wal_every=5, n=150)
    other = migrated_sync(f"sqlite+aiosqlite:///{tmp_path / 'unbounded.sqlite'}")
    unbounded = await _wal_bytes_after(other, ring, wal_every=10**9, n=150)
    assert unbounded > 3 * bounded, (bounded, unbounded)


async def test_a_filed_report_reads_back_as_the_register_writes_it(log: AuditLog) -> None:
    """A report filed as an audit effect (on SQLite a plain DBAPI executemany with the
    columns' own bind processors) is stored exactly as the register's own SQLAlchemy insert
    stores one, and reads back the same."""
    from reports.store import ReportStore, StoredReport, reports_table

    md = MetaData()
    register = ReportStore(log.reader, reports_table(md), report_numbers_table(md))
    moment = dt.datetime(2026, 11, 29, 10, 30, 15, 123456, tzinfo=dt.timezone(
        dt.timedelta(hours=8)))

    def report(no: str) -> StoredReport:
        return StoredReport(no, f"id-{no}", "IPO_COMPLIANCE", "91110000600037341L", "某公司",
                            "CLEAN", moment, "fgw", "k1", "s" * 88, "{\"文\":1}".encode(),
                            moment + dt.timedelta(days=365))

    await log.append(record(1, effects=(register.filing([report("XXHC-2026-000001")]),)))
    await register.add([report("XXHC-2026-000002")], moment)
    t = register.reports
    async with log.reader.connect() as conn:
        stored = (await conn.execute(select(t.c.report_no, text("CAST(checked_at AS TEXT)"),
                                            text("CAST(expires_at AS TEXT)"))
                                     .order_by(t.c.report_no))).all()
    assert stored[0][1:] == stored[1][1:]  # the same text, whichever path wrote it
    got = await register.get("XXHC-2026-000001", moment)
    assert got is not None and got.checked_at == moment and got.document == report("x").document
    assert got.expires_at == moment + dt.timedelta(days=365) and got.subject_name == "某公司"


async def test_an_insert_with_a_default_made_in_python_keeps_it(log: AuditLog) -> None:
    """An effect whose statement binds more than its rows' columns (a default made in Python)
    is not taken for a plain insert: the default is there."""
    from sqlalchemy import Column, Integer, String, Table

    await _sql(log, text("CREATE TABLE effect_defaults (id INTEGER PRIMARY KEY, made TEXT)"))
    table = Table("effect_defaults", MetaData(), Column("id", Integer, primary_key=True),
                  Column("made", String, default="made in python"))
    await log.append(record(1, effects=((insert(table), [{"id": 1}, {"id": 2}]),)))
    async with log.reader.connect() as conn:
        rows = (await conn.execute(select(table.c.id, table.c.made))).all()
    assert sorted(rows) == [(1, "made in python"), (2, "made in python")]


async def test_a_broken_loop_connection_fails_one_append_and_is_replaced(log: AuditLog,
                                                                         url: str) -> None:
    """The SQLite writer keeps the loop's connection between transactions; if it breaks (here:
    closed under it), that append fails closed and the next one opens a fresh connection."""
    if not url.startswith("sqlite"):
        pytest.skip("the kept connection is the SQLite writer's")
    await fill(log, 2)
    kept = log._writer._inline
    assert kept is not None and kept._conn is not None
    kept._conn.connection.driver_connection.close()  # type: ignore[union-attr]
    with pytest.raises(AuditUnavailable):
        await log.append(record(60))
    seq, _ = await log.append(record(61))
    assert seq == 3 and await log.size() == 3


async def test_rows_without_a_column_fail_their_record_alone(log: AuditLog) -> None:
    """An executemany whose later row lacks a column the first has fails as SQLAlchemy's
    executemany does: that record is FAILED, the others in its batch are kept."""
    numbers = report_numbers_table(MetaData())
    stmt = insert(numbers)
    good = record(1, effects=((stmt, [{"year": 2041, "issued": 1}]),))
    bad = record(2, effects=((stmt, [{"year": 2042, "issued": 2}, {"year": 2043}]),))
    got = await asyncio.gather(log.append(good), log.append(bad), return_exceptions=True)
    assert not isinstance(got[0], BaseException) and isinstance(got[1], AuditUnavailable)
    async with log.reader.connect() as conn:
        years = (await conn.execute(select(numbers.c.year))).scalars().all()
    assert sorted(years) == [2041]
