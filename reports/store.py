"""The report register in the hub's store: numbers from a per-year sequence, signed documents.

Numbers are unique across every process that shares the store: one transaction makes sure the
year's row exists (`INSERT … ON CONFLICT DO NOTHING`) and advances it by the size of the batch
(`UPDATE … RETURNING`), which the database serialises (the row lock on PostgreSQL, the write lock
on SQLite). Checks take their numbers from blocks reserved that way (`issue`, `reports.pool`):
one allocation per block, and a batch of a thousand checks costs one allocation. A check's
reports are filed with its audit entry, in that entry's transaction (`filing`, an effect of
the entry), so a report is on file exactly when the request that issued it is on the record.
Reports are kept until their retention ends (default three years) and then purged; an expired
report is never served, even before the purge has run.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, overload

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Integer,
    MetaData,
    Row,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.dml import Insert

from reports.codes import PREFIX, format_report_no
from reports.pool import NumberPool

__all__ = ["DEFAULT_RETENTION", "FilingRows", "Lane", "RegisterUnavailable", "ReportStore", "StoredReport",
           "report_numbers_table", "reports_table"]

log = logging.getLogger("hub.reports")

DEFAULT_RETENTION = dt.timedelta(days=1096)  # three years, a leap day included
_PURGE_EVERY = dt.timedelta(hours=1)


T = TypeVar("T")


class Lane(Protocol):
    """Runs a synchronous unit of work on a connection of the store (`connectors.lane`)."""

    def run(self, fn: Callable[[Connection], T]) -> Awaitable[T]: ...


class RegisterUnavailable(Exception):
    """The register could not be read or written (the store failed); the message says which."""


def reports_table(metadata: MetaData) -> Table:
    return Table(
        "reports", metadata,
        Column("report_no", String(32), primary_key=True),
        Column("report_id", String(32), nullable=False, unique=True),
        Column("kind", String(32), nullable=False),
        Column("uscc", String(18), nullable=False, index=True),
        Column("subject_name", String(200), nullable=True),
        Column("verdict", String(20), nullable=False),
        Column("checked_at", DateTime(timezone=True), nullable=False),
        Column("caller", String(64), nullable=False, index=True),
        Column("key_id", String(32), nullable=False),
        Column("signature", String(128), nullable=False),
        Column("document", Text, nullable=False),  # the canonical JSON that was signed
        Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
    )


def report_numbers_table(metadata: MetaData) -> Table:
    return Table(
        "report_numbers", metadata,
        Column("year", Integer, primary_key=True, autoincrement=False),
        Column("issued", Integer, nullable=False),  # the last sequence number given out
    )


@dataclass(frozen=True, slots=True)
class StoredReport:
    report_no: str
    report_id: str
    kind: str
    uscc: str
    subject_name: str | None
    verdict: str
    checked_at: dt.datetime
    caller: str
    key_id: str
    signature: str
    document: bytes  # exactly the bytes the signature covers
    expires_at: dt.datetime


def _utc(value: dt.datetime) -> dt.datetime:
    """SQLite returns naive datetimes; the register stores UTC, so naive means UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


class ReportStore:
    def __init__(self, engine: AsyncEngine, reports: Table, numbers: Table, *,
                 prefix: str = "XXHC", retention: dt.timedelta = DEFAULT_RETENTION,
                 block: int = 1, lane: Lane | None = None) -> None:
        if not PREFIX.match(prefix):
            raise ValueError(f"report number prefix {prefix!r} must be 2-8 capital letters")
        self.engine = engine
        self.reports = reports
        self.numbers = numbers
        self.prefix = prefix
        self.retention = retention
        self._purged: dt.datetime | None = None
        self._lane = lane  # a block's reservation: one thread hop on SQLite
        self._pool = NumberPool(self.allocate, block)
        self._insert = insert(reports)  # one statement: compiled once, cached

    async def issue(self, year: int, count: int) -> list[str]:
        """`count` consecutive numbers of `year` for a check's reports, from this process's
        reserved block (a fresh block when it runs short: `reports.pool`)."""
        return await self._pool.take(year, count)

    async def allocate(self, year: int, count: int) -> list[str]:
        """`count` fresh report numbers of `year`, consecutive, never given out before."""
        if count <= 0:
            return []
        t = self.numbers
        insert = sqlite_insert if self.engine.dialect.name == "sqlite" else pg_insert

        def reserve(conn: Connection) -> int:
            with conn.begin():
                conn.execute(insert(t).values(year=year, issued=0)
                             .on_conflict_do_nothing(index_elements=["year"]))
                return int(conn.execute(update(t).where(t.c.year == year)
                                        .values(issued=t.c.issued + count)
                                        .returning(t.c.issued)).scalar_one())

        try:
            if self._lane is not None:
                last = await self._lane.run(reserve)
            else:
                async with self.engine.connect() as conn:
                    last = await conn.run_sync(reserve)
        except (SQLAlchemyError, OSError) as exc:
            raise RegisterUnavailable(f"no report number could be allocated ({exc})") from exc
        return [format_report_no(self.prefix, year, n) for n in range(last - count + 1, last + 1)]

    def filing(self, reports: Sequence[StoredReport]
               ) -> tuple[Insert, Sequence[dict[str, Any]]]:
        """The INSERT that files `reports` and its rows, to run as an executemany in another
        transaction: the audit entry's (a check's reports; a batch job's chunk, with its
        results), whose writer takes (statement, rows) effects. A row is made when it is
        read, so a batch's documents are held once (the signed bytes), not also as the text
        each row carries until the writer has run."""
        return self._insert, FilingRows(reports)

    async def add(self, reports: Sequence[StoredReport], now: dt.datetime) -> None:
        """File signed reports (one transaction); expired ones are purged now and then."""
        if not reports:
            return
        try:
            async with self.engine.begin() as conn:
                await conn.execute(self._insert, [_row(r) for r in reports])
        except (SQLAlchemyError, OSError) as exc:
            raise RegisterUnavailable(f"the reports could not be filed ({exc})") from exc
        await self.purge_due(now)

    async def purge_due(self, now: dt.datetime) -> None:
        """Purge expired reports if the last purge of this process is an hour old; a failure
        is logged (purging can wait)."""
        if self._purged is None or now - self._purged >= _PURGE_EVERY:
            try:
                await self.purge(now)
            except RegisterUnavailable as exc:
                log.warning("purging expired reports failed: %s", exc)

    def expiry(self, checked_at: dt.datetime) -> dt.datetime:
        return checked_at + self.retention

    async def get(self, report_no: str, now: dt.datetime) -> StoredReport | None:
        """The report with this number, unless there is none or its retention has ended."""
        t = self.reports
        try:
            async with self.engine.connect() as conn:
                row = (await conn.execute(select(t).where(t.c.report_no == report_no))).first()
        except (SQLAlchemyError, OSError) as exc:
            raise RegisterUnavailable(f"the register could not be read ({exc})") from exc
        if row is None:
            return None
        report = _stored(row)
        return report if report.expires_at > now else None

    async def purge(self, now: dt.datetime) -> int:
        """Delete the reports whose retention has ended; how many were deleted."""
        t = self.reports
        self._purged = now
        try:
            async with self.engine.begin() as conn:
                result = await conn.execute(delete(t).where(
                    t.c.expires_at <= now.astimezone(dt.UTC)))
        except (SQLAlchemyError, OSError) as exc:
            raise RegisterUnavailable(f"expired reports could not be purged ({exc})") from exc
        return int(result.rowcount or 0)


class FilingRows(Sequence[dict[str, Any]]):
    """The register's rows of some reports, each made when it is read."""

    __slots__ = ("_reports",)

    def __init__(self, reports: Sequence[StoredReport]) -> None:
        self._reports = reports

    def __len__(self) -> int:
        return len(self._reports)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [_row(r) for r in self._reports[index]]
        return _row(self._reports[index])


def _row(r: StoredReport) -> dict[str, Any]:
    return {"report_no": r.report_no, "report_id": r.report_id, "kind": r.kind, "uscc": r.uscc,
            "subject_name": r.subject_name, "verdict": r.verdict,
            "checked_at": r.checked_at.astimezone(dt.UTC), "caller": r.caller,
            "key_id": r.key_id, "signature": r.signature, "document": r.document.decode(),
            "expires_at": r.expires_at.astimezone(dt.UTC)}


def _stored(row: Row[Any]) -> StoredReport:
    r = row._mapping
    return StoredReport(
        report_no=r["report_no"], report_id=r["report_id"], kind=r["kind"], uscc=r["uscc"],
        subject_name=r["subject_name"], verdict=r["verdict"],
        checked_at=_utc(r["checked_at"]), caller=r["caller"], key_id=r["key_id"],
        signature=r["signature"], document=r["document"].encode(),
        expires_at=_utc(r["expires_at"]))
