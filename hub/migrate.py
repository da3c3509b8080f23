"""Schema migrations of the hub's store (Alembic, SQLite and PostgreSQL).

The store's tables are made and changed only here: `hub db upgrade` (and `hub demo`, which
runs it itself) calls `upgrade_store`; `hub serve` and every worker refuse to start unless the
store is at this hub's head revision (`verify_schema`). The migrations live in
`hub/migrations/versions/`, one file per revision.

`target_metadata()` is every table the hub defines (audit, consents, objections,
applications, issued reports, the console's flag reviews and sessions, trusted documents, batch check
jobs); Alembic's autogenerate
compares it with a database, and a test keeps the migrations and the table definitions equal on
both databases. A package that adds tables registers them there and adds a revision
(`HUB_STORE_URL=… alembic revision --autogenerate -m "…"` with alembic.ini at the repository
root, against a store at head).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection, MetaData, text

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = [
    "MIGRATION_LOCK",
    "SchemaOutOfDate",
    "SchemaStatus",
    "alembic_config",
    "schema_status",
    "target_metadata",
    "upgrade",
    "upgrade_sql",
    "upgrade_store",
    "verify_schema",
]

# Serialises concurrent upgrades of one PostgreSQL database (distinct from the audit lock).
MIGRATION_LOCK = int.from_bytes(b"OTHmigr", "big")


class SchemaOutOfDate(Exception):
    """The store's schema is not the one this hub needs; the message says what to run."""

    code = "SCHEMA_OUT_OF_DATE"

    def __init__(self, status: SchemaStatus) -> None:
        super().__init__(status.describe())
        self.status = status


@dataclass(frozen=True, slots=True)
class SchemaStatus:
    current: tuple[str, ...]  # revisions recorded in the store (empty: never migrated)
    heads: tuple[str, ...]  # the revisions this hub's code needs
    known: frozenset[str] = frozenset()  # every revision this hub's code has

    @property
    def up_to_date(self) -> bool:
        return set(self.current) == set(self.heads)

    @property
    def ahead(self) -> bool:
        """The store was migrated by a newer hub: it records revisions this hub does not know."""
        return bool(self.current) and not set(self.current) <= self.known

    def describe(self) -> str:
        need = ", ".join(self.heads)
        if self.up_to_date:
            return f"the store's schema is at revision {need}, as this hub needs"
        if not self.current:
            return (f"the store has no hub tables (no schema revision); this hub needs "
                    f"revision {need}: run hub db upgrade")
        have = ", ".join(self.current)
        if self.ahead:
            return (f"the store's schema is at revision {have}, which this hub does not know "
                    f"(it needs {need}); a newer hub migrated it: run that version")
        return (f"the store's schema is at revision {have} but this hub needs {need}: run "
                "hub db upgrade")


def target_metadata() -> MetaData:
    """Every table of the hub's store, in one MetaData (what the migrations must produce)."""
    from application.store import applications_table
    from audit.reviews import reviews_table
    from audit.store import AuditTables
    from consent.store import consents_table
    from hub.console.sessions import sessions_table
    from hub.trusted import trusted_documents_table
    from jobs.tables import job_tables
    from objection.store import objection_tables
    from reports.store import report_numbers_table, reports_table

    metadata = MetaData()
    for table in AuditTables.define().metadata.sorted_tables:
        table.to_metadata(metadata)
    consents_table(metadata)
    reviews_table(metadata)
    sessions_table(metadata)
    objection_tables(metadata)
    applications_table(metadata)
    reports_table(metadata)
    report_numbers_table(metadata)
    trusted_documents_table(metadata)
    job_tables(metadata)
    return metadata


def alembic_config(url: str = "") -> Config:
    from alembic.config import Config

    config = Config(stdout=io.StringIO())
    config.set_main_option("script_location", "hub:migrations")
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _heads(config: Config) -> tuple[frozenset[str], tuple[str, ...]]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(config)
    known = frozenset(rev.revision for rev in script.walk_revisions())
    return known, tuple(sorted(script.get_heads()))


def _current(connection: Connection) -> tuple[str, ...]:
    from alembic.runtime.migration import MigrationContext

    return tuple(sorted(MigrationContext.configure(connection).get_current_heads()))


async def schema_status(engine: AsyncEngine) -> SchemaStatus:
    """Where the store at `engine` is, against what this hub's code needs."""
    known, heads = _heads(alembic_config())
    async with engine.connect() as conn:
        current = await conn.run_sync(_current)
    return SchemaStatus(current, heads, known)


async def verify_schema(engine: AsyncEngine) -> None:
    """Return if the store is at this hub's head revision; raise `SchemaOutOfDate` otherwise."""
    status = await schema_status(engine)
    if not status.up_to_date:
        raise SchemaOutOfDate(status)


async def upgrade(engine: AsyncEngine) -> tuple[SchemaStatus, SchemaStatus]:
    """Migrate the store to head in one transaction; return its status before and after.

    On PostgreSQL the transaction holds an advisory lock, so two upgrades never interleave; on
    SQLite pass a writer engine that begins IMMEDIATE (`audit.store.open_engines`). The status
    before is read under the lock: of several upgrades at once, one reports the migration and
    the others find it done.
    """
    from alembic import command

    config = alembic_config()
    known, heads = _heads(config)

    def run(connection: Connection) -> SchemaStatus:
        before = SchemaStatus(_current(connection), heads, known)
        if before.ahead:
            raise SchemaOutOfDate(before)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        return before

    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
        before = await conn.run_sync(run)
    return before, await schema_status(engine)


async def upgrade_store(url: str) -> tuple[SchemaStatus, SchemaStatus]:
    """`upgrade` the store at `url` (what `hub db upgrade` and `hub demo` run)."""
    from audit.store import open_engines

    writer, reader = open_engines(url)
    try:
        return await upgrade(writer)
    finally:
        await writer.dispose()
        if reader is not writer:
            await reader.dispose()


def upgrade_sql(url: str, since: str | None = None) -> str:
    """The DDL that upgrades a store of `url`'s dialect from `since` (default: empty) to head,
    for an administrator who applies migrations by hand."""
    from alembic import command

    out = io.StringIO()
    config = alembic_config(url)
    config.output_buffer = out
    command.upgrade(config, f"{since}:head" if since else "head", sql=True)
    return out.getvalue()

