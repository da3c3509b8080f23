"""Opening a store in WAL mode while another connection writes to it (rollback journal).

Switching to WAL needs the exclusive lock. When the opening connection would hold a shared lock
that a writer waits on, SQLite answers "database is locked" at once, busy timeout or not: four
`hub db upgrade` on a fresh store met this in CI. `sqlite_pragmas` retries within its bound.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from audit.store import sqlite_pragmas


def _writer_holding_the_lock(path: Path) -> sqlite3.Connection:
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("CREATE TABLE t (x INTEGER)")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO t VALUES (1)")
    return writer


def test_the_switch_fails_at_once_without_a_retry(tmp_path: Path) -> None:
    """The condition the retry is for: the busy timeout alone does not wait (the test can fail
    if SQLite ever starts waiting here, and then the retry is moot)."""
    path = tmp_path / "store.sqlite"
    writer = _writer_holding_the_lock(path)
    opener = sqlite3.connect(path, isolation_level=None)
    opener.execute("PRAGMA busy_timeout=5000")
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        opener.execute("PRAGMA journal_mode=WAL")
    assert time.monotonic() - started < 1.0
    writer.rollback()


def test_the_switch_waits_for_the_writer(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    writer = _writer_holding_the_lock(path)
    threading.Timer(0.2, lambda: writer.execute("COMMIT")).start()
    opener = sqlite3.connect(path, isolation_level=None)
    cursor = opener.cursor()
    started = time.monotonic()
    sqlite_pragmas(cursor, busy_ms=5000)
    assert time.monotonic() - started >= 0.15
    assert opener.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert opener.execute("SELECT x FROM t").fetchall() == [(1,)]  # the writer's row kept


def test_the_switch_gives_up_at_its_bound(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    writer = _writer_holding_the_lock(path)
    opener = sqlite3.connect(path, isolation_level=None)
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        sqlite_pragmas(opener.cursor(), busy_ms=100)
    waited = time.monotonic() - started
    assert 0.1 <= waited < 2.0
    writer.rollback()
    assert opener.execute("PRAGMA journal_mode").fetchone() == ("delete",)


def test_errors_other_than_the_lock_are_not_retried(tmp_path: Path) -> None:
    opener = sqlite3.connect(tmp_path / "store.sqlite", isolation_level=None)
    opener.execute("CREATE TABLE t (x INTEGER)")
    opener.execute("BEGIN")
    opener.execute("SELECT x FROM t").fetchall()
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="within a transaction"):
        sqlite_pragmas(opener.cursor(), busy_ms=5000)
    assert time.monotonic() - started < 1.0
