"""The sync lane: a unit of synchronous database work in one hop, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from connectors.lane import KeySelect, SyncLane
from tests.pg import fresh_database, postgres_url_or_skip


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "lane.sqlite"
        with closing(sqlite3.connect(path)) as db, db:
            db.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)")
            db.execute("INSERT INTO t VALUES ('a', 1), ('b', 2)")
        yield f"sqlite+aiosqlite:///{path}"
        return
    with fresh_database(postgres_url_or_skip()) as pg:
        yield pg


async def engine_with_table(url: str) -> AsyncEngine:
    """An engine on the database at `url`, with table t holding ('a', 1) and ('b', 2) (the
    SQLite fixture made it already)."""
    engine = create_async_engine(url)
    if engine.dialect.name == "postgresql":
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)"))
            await conn.execute(text("INSERT INTO t VALUES ('a', 1), ('b', 2)"))
    return engine


async def test_a_unit_of_work_runs_whole_and_ends_with_its_connection(url: str) -> None:
    engine = await engine_with_table(url)
    lane = SyncLane(engine, threads=2, timeout_s=5.0)
    seen: list[str] = []

    def read(conn: Connection) -> list[tuple[str, int]]:
        seen.append(threading.current_thread().name)
        return [tuple(r) for r in conn.execute(text("SELECT k, v FROM t ORDER BY k")).all()]

    def write_uncommitted(conn: Connection) -> None:
        conn.execute(text("INSERT INTO t VALUES ('c', 3)"))

    try:
        assert await lane.run(read) == [("a", 1), ("b", 2)]
        await lane.run(write_uncommitted)  # not committed: rolled back with the connection
        assert await lane.run(read) == [("a", 1), ("b", 2)]
        lane.reset()  # pooled connections closed; the next unit opens a fresh one
        assert await lane.run(read) == [("a", 1), ("b", 2)]
    finally:
        lane.close()
        await engine.dispose()
    main = threading.main_thread().name
    if engine.dialect.name == "sqlite":  # its own threads, one hop per unit
        assert all(name.startswith("sync-lane") for name in seen)
    else:  # asyncpg needs no thread: the work runs on the loop's own (through run_sync)
        assert seen == [main] * 3


async def test_an_in_memory_sqlite_database_stays_on_the_async_engine() -> None:
    """A `:memory:` database is one per connection: a second engine would see another one."""
    engine = create_async_engine("sqlite+aiosqlite:///:memory:")
    lane = SyncLane(engine, threads=1, timeout_s=1.0)
    try:
        assert await lane.run(lambda conn: conn.execute(text("SELECT 41 + 1")).scalar()) == 42
    finally:
        lane.close()
        await engine.dispose()


def sqlite_with_a_row(tmp_path: Path) -> tuple[Path, AsyncEngine]:
    """A SQLite file whose table t holds ('a', 1), and an engine on it."""
    path = tmp_path / "lane.sqlite"
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)")
        db.execute("INSERT INTO t VALUES ('a', 1)")
    return path, create_async_engine(f"sqlite+aiosqlite:///{path}")


async def test_a_small_read_runs_on_the_loops_thread_unless_the_database_is_locked(
        tmp_path: Path) -> None:
    """`inline`: no thread hop for a read of a few keys; while another process holds the lock
    the read goes to the lane's thread, which waits for it, and the loop keeps running."""
    path, engine = sqlite_with_a_row(tmp_path)
    lane = SyncLane(engine, threads=1, timeout_s=5.0)
    seen: list[str] = []

    def read(conn: Connection) -> int:
        seen.append(threading.current_thread().name)
        return int(conn.execute(text("SELECT v FROM t WHERE k = 'a'")).scalar_one())

    main = threading.main_thread().name
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        assert await lane.run(read, inline=True) == 1
        assert await lane.run(read) == 1
        assert seen[0] == main and seen[1].startswith("sync-lane")
        holder.execute("BEGIN EXCLUSIVE")  # a department's writer holds the database
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        ticker = asyncio.create_task(tick())
        threading.Timer(0.3, holder.execute, ("ROLLBACK",)).start()
        started = time.monotonic()
        assert await lane.run(read, inline=True) == 1
        waited = time.monotonic() - started
        ticker.cancel()
        # Tried on the loop's thread, refused at once by the lock, then run on the lane's.
        assert waited >= 0.25 and seen[2] == main and seen[3].startswith("sync-lane")
        assert len(seen) == 4
        assert ticks >= 10  # the loop ran on while the thread waited for the lock
        with pytest.raises(OperationalError, match="no such table"):  # not a lock: raised
            await lane.run(lambda conn: conn.execute(text("SELECT * FROM missing")).all(),
                           inline=True)
    finally:
        holder.close()
        lane.close()
        await engine.dispose()


async def test_a_key_select_reads_the_same_rows_on_both_paths(url: str) -> None:
    """SQLite's plain DBAPI read and PostgreSQL's SQLAlchemy one give the rows the test put
    there, in any number of keys; a key is bound, never SQL."""
    engine = await engine_with_table(url)
    lane = SyncLane(engine, threads=1, timeout_s=5.0)
    select = KeySelect("SELECT k, v FROM t WHERE k IN", " ORDER BY k")
    try:
        for keys, expected in ((["a"], [("a", 1)]), (["b", "a", "zz"], [("a", 1), ("b", 2)]),
                               (["a' OR '1'='1"], []), (["b"], [("b", 2)])):
            for inline in (True, False):
                rows = await lane.run(lambda conn, k=keys: select.rows(conn, k), inline=inline)
                assert rows == expected, (keys, inline)
    finally:
        lane.close()
        await engine.dispose()


async def test_a_key_select_raises_sqlalchemys_errors(url: str) -> None:
    """A failed read raises SQLAlchemy's error class with the driver's error as `orig`, on
    both paths: the SQL connector classifies failures by them."""
    engine = create_async_engine(url)
    lane = SyncLane(engine, threads=1, timeout_s=5.0)
    try:
        for inline in (True, False):
            with pytest.raises(DBAPIError) as caught:
                await lane.run(lambda conn: KeySelect("SELECT k FROM missing WHERE k IN")
                               .rows(conn, ["a"]), inline=inline)
            assert caught.value.orig is not None
            assert "missing" in str(caught.value.orig)
    finally:
        lane.close()
        await engine.dispose()


async def test_a_key_select_on_a_locked_sqlite_database_waits_on_the_lanes_thread(
        tmp_path: Path) -> None:
    """The plain DBAPI read refused by a lock is tried again on the lane's thread, which
    waits for the lock, as a SQLAlchemy read is."""
    path, engine = sqlite_with_a_row(tmp_path)
    lane = SyncLane(engine, threads=1, timeout_s=5.0)
    select = KeySelect("SELECT v FROM t WHERE k IN")
    seen: list[str] = []

    def read(conn: Connection) -> list[tuple[int, ...]]:
        seen.append(threading.current_thread().name)
        return select.rows(conn, ["a"])

    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        threading.Timer(0.3, holder.execute, ("ROLLBACK",)).start()
        started = time.monotonic()
        assert await lane.run(read, inline=True) == [(1,)]
        assert time.monotonic() - started >= 0.25
        assert seen[0] == threading.main_thread().name and seen[1].startswith("sync-lane")
    finally:
        holder.close()
        lane.close()
        await engine.dispose()
