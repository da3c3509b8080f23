"""The hub's own store (consents, issued reports, objections, applications, the console's
sessions and flag reviews, batch check jobs; the audit log has its own engines): one SQLAlchemy async engine,
SQLite or PostgreSQL.

SQLite runs in WAL mode with a busy timeout, so readers never block the audit writer and
writers queue instead of failing. Opening the store creates nothing: its tables are made and
changed by migrations (`hub db upgrade`, `hub.migrate`), never at start-up, so that workers
starting together on a fresh database cannot race to create them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import MetaData, Table, event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from application.store import ApplicationStore, applications_table
from audit.reviews import ReviewStore, reviews_table
from audit.store import sqlite_pragmas
from connectors.lane import SyncLane
from consent.store import ConsentStore, consents_table
from hub.console.sessions import SessionStore, sessions_table
from hub.migrate import verify_schema
from hub.trusted import trusted_documents_table
from jobs.store import JobStore
from jobs.tables import job_tables
from objection.store import ObjectionStore, objection_tables
from reports.store import DEFAULT_RETENTION, ReportStore, report_numbers_table, reports_table

__all__ = ["Store", "open_store", "store_engine", "verify_store"]


@dataclass(slots=True)
class Store:
    engine: AsyncEngine
    metadata: MetaData
    consents: ConsentStore
    reviews: ReviewStore
    sessions: SessionStore
    objections: ObjectionStore
    applications: ApplicationStore
    reports: ReportStore
    trusted: Table  # registered documents (hub.trusted)
    jobs: JobStore
    lane: SyncLane  # reads every check makes, one thread hop each on SQLite

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    async def close(self) -> None:
        self.lane.close()
        await self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    sqlite_pragmas(cursor)
    cursor.close()


def store_engine(url: str) -> AsyncEngine:
    """The engine of the store at `url` (SQLite pragmas applied to every connection)."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


async def open_store(url: str, *, report_prefix: str = "XXHC",
                     report_retention: dt.timedelta = DEFAULT_RETENTION,
                     report_block: int = 1) -> Store:
    """Open the store at `url`; raise `SchemaOutOfDate` unless it is at this hub's revision."""
    engine = store_engine(url)
    metadata = MetaData()
    consents: Table = consents_table(metadata)
    reviews, sessions = reviews_table(metadata), sessions_table(metadata)
    objections = objection_tables(metadata)
    applications = applications_table(metadata)
    reports, numbers = reports_table(metadata), report_numbers_table(metadata)
    trusted = trusted_documents_table(metadata)
    jobs = JobStore(engine, job_tables(metadata))
    lane = SyncLane(engine, threads=2, timeout_s=30.0, on_connect=_sqlite_pragmas,
                    name="store-lane")
    try:
        register = ReportStore(engine, reports, numbers, prefix=report_prefix,
                               retention=report_retention, block=report_block, lane=lane)
        await verify_schema(engine)
    except BaseException:
        lane.close()
        await engine.dispose()
        raise
    return Store(engine, metadata, ConsentStore(engine, consents), ReviewStore(engine, reviews),
                 SessionStore(engine, sessions), ObjectionStore(engine, objections, lane=lane),
                 ApplicationStore(engine, applications), register, trusted, jobs, lane)


async def verify_store(url: str) -> None:
    """Return if the store at `url` is at this hub's revision; raise `SchemaOutOfDate`."""
    engine = store_engine(url)
    try:
        await verify_schema(engine)
    finally:
        await engine.dispose()
