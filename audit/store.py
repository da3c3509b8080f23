"""Audit tables and the engines that write and read them.

Appends are serialised across every process that shares the store: on SQLite each write
transaction starts with `BEGIN IMMEDIATE` (the database write lock, taken before the head is
read); on PostgreSQL with `pg_advisory_xact_lock`. Reads use a separate engine that never takes
the write lock.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
)
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

__all__ = ["LOCK_KEY", "AuditTables", "open_engines", "open_sync_sqlite", "sqlite_pragmas"]

LOCK_KEY = int.from_bytes(b"OTHaudit", "big") & 0x7FFF_FFFF_FFFF_FFFF


@dataclass(frozen=True, slots=True)
class AuditTables:
    metadata: MetaData
    meta: Table
    entries: Table
    subjects: Table
    consents: Table
    checkpoints: Table
    applications: Table

    @classmethod
    def define(cls) -> AuditTables:
        md = MetaData()
        meta = Table("audit_meta", md, Column("key", String(32), primary_key=True),
                     Column("value", Text, nullable=False))
        entries = Table(
            "audit_entries", md,
            Column("seq", Integer, primary_key=True, autoincrement=False),
            Column("time", String(32), nullable=False),
            Column("request_id", String(128), nullable=False),
            Column("caller", String(64)),
            Column("purpose", String(64)),
            Column("case_no", String(128)),
            Column("outcome", String(16), nullable=False),
            Column("body", Text, nullable=False),
            Column("entry_hash", String(64), nullable=False),
            Index("ix_audit_entries_time", "time"),
            Index("ix_audit_entries_caller", "caller"),
        )
        subjects = Table("audit_subjects", md, Column("seq", Integer, nullable=False),
                         Column("subject", String(80), nullable=False),
                         Index("ix_audit_subjects_subject", "subject"))
        consents = Table("audit_consents", md, Column("seq", Integer, nullable=False),
                         Column("consent_id", String(64), nullable=False),
                         Index("ix_audit_consents_consent", "consent_id"))
        applications = Table("audit_applications", md, Column("seq", Integer, nullable=False),
                             Column("application", String(64), nullable=False),
                             Index("ix_audit_applications_application", "application"))
        checkpoints = Table(
            "audit_checkpoints", md,
            Column("size", Integer, primary_key=True, autoincrement=False),
            Column("log_id", String(64), nullable=False),
            Column("head_hash", String(64), nullable=False),
            Column("root_hash", String(64), nullable=False),
            Column("time", String(32), nullable=False),
            Column("key_id", String(32), nullable=False),
            Column("signature", String(128), nullable=False),
            Column("frontier", Text, nullable=False),
        )
        return cls(md, meta, entries, subjects, consents, checkpoints, applications)


def sqlite_pragmas(cursor: Any, busy_ms: int = 30_000) -> None:
    """WAL (readers never block the writer), a busy wait (30 s unless the caller bounds it),
    fsync at checkpoints only."""
    # The busy wait first: switching a new store to WAL takes a lock that another connection
    # opening the same new store at that moment may hold (four `hub db upgrade` at once).
    cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
    _switch_to_wal(cursor, busy_ms)
    cursor.execute("PRAGMA synchronous=NORMAL")


def _switch_to_wal(cursor: Any, busy_ms: int) -> None:
    """`PRAGMA journal_mode=WAL`, retried while the store is locked, for at most `busy_ms`.

    The busy wait does not cover this: when connections opening a new store at the same moment
    each hold a shared lock and want the exclusive one the switch needs, SQLite answers
    "database is locked" at once rather than call a busy handler that could deadlock (seen:
    one run in about fifteen of four concurrent `upgrade_store` on a fresh file). The mode is
    kept in the file, so once one connection has switched, the others' pragma finds it done.
    Waits here happen only while a store is being created, and last milliseconds.
    """
    deadline = time.monotonic() + busy_ms / 1000
    pause = 0.001
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except Exception as exc:  # the driver's OperationalError: sqlite3's or its adapter's
            if "database is locked" not in str(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def _sqlite_connect(dbapi_connection: Any, _record: object, busy_ms: int = 30_000) -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
    cursor = dbapi_connection.cursor()
    sqlite_pragmas(cursor, busy_ms)
    cursor.close()


def open_engines(url: str) -> tuple[AsyncEngine, AsyncEngine]:
    """(writer, reader). On SQLite the writer begins every transaction IMMEDIATE."""
    if not url.startswith("sqlite"):
        engine = create_async_engine(url, pool_size=5, max_overflow=5, pool_pre_ping=True)
        return engine, engine
    writer = create_async_engine(url, connect_args={"timeout": 30})
    reader = create_async_engine(url, connect_args={"timeout": 30})
    event.listen(writer.sync_engine, "connect", _sqlite_connect)
    event.listen(reader.sync_engine, "connect", _sqlite_connect)

    @event.listens_for(writer.sync_engine, "begin")
    def _begin_immediate(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(reader.sync_engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")

    return writer, reader


def open_sync_sqlite(path: str, busy_s: float = 30.0, *, autocheckpoint: bool = True,
                     begin_immediate: bool = True) -> Engine:
    """A synchronous engine on the SQLite file `path` for the audit writer; every transaction
    begins IMMEDIATE, taking the write lock before the head is read, and waits for it at most
    `busy_s` seconds (0: not at all). Without `autocheckpoint` its commits never copy the WAL
    back into the database (the writer does that elsewhere, off the event loop). Without
    `begin_immediate` the engine emits no BEGIN at all: its user sends `BEGIN IMMEDIATE`
    itself, on the DBAPI connection, before SQLAlchemy's transaction starts."""
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": busy_s,
                                                              "check_same_thread": False})

    def connect(conn: Any, record: object) -> None:
        _sqlite_connect(conn, record, int(busy_s * 1000))
        if not autocheckpoint:
            conn.execute("PRAGMA wal_autocheckpoint=0")

    event.listen(engine, "connect", connect)
    if begin_immediate:
        @event.listens_for(engine, "begin")
        def _begin_immediate(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
