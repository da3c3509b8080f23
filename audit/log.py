"""The tamper-evident audit log: group-committed appends to a hash chain, signed checkpoints
with RFC 9162 tree heads, searching, and verification.

`append` hands a record to one writer task per process, which takes every record waiting,
serialises against all other writers (`audit.store`), reads the head, chains and inserts the
batch and, when due, signs a checkpoint, all in one transaction; then it answers every caller.
A caller gets its `seq` only after the commit, so the hub never returns data whose audit entry
is not durable.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from audit.canonical import canonical
from audit.entry import (
    GENESIS,
    AuditRecord,
    decode,
    encode,
    entry_hash,
    format_time,
    parse_time,
)
from audit.keys import KeyRing
from audit.merkle import CompactRange, leaf_hash
from audit.sqlite_writer import SqliteWriter
from audit.store import LOCK_KEY, AuditTables, open_engines

__all__ = ["AuditLog", "AuditUnavailable", "Checkpoint", "SearchFilter"]

log = logging.getLogger("hub.audit")


class AuditUnavailable(Exception):
    """The audit store could not be written: no data may leave."""

    code = "AUDIT_UNAVAILABLE"


@dataclass(frozen=True, slots=True)
class Checkpoint:
    log_id: str
    size: int
    head_hash: str
    root_hash: str
    time: str
    key_id: str
    signature: str

    def signed_content(self) -> dict[str, Any]:
        return {"logId": self.log_id, "size": self.size, "headHash": self.head_hash,
                "rootHash": self.root_hash, "time": self.time}

    def as_json(self) -> dict[str, Any]:
        return {**self.signed_content(), "keyId": self.key_id, "signature": self.signature}


@dataclass(frozen=True, slots=True)
class SearchFilter:
    caller: str | None = None
    subjects: tuple[str, ...] = ()  # any of these (USCC or pseudonyms under each key version)
    purpose: str | None = None
    consent_id: str | None = None
    case: str | None = None
    outcome: str | None = None
    since: str | None = None  # format_time text
    until: str | None = None


@dataclass(slots=True)
class _Chain:
    rows: list[dict[str, Any]]
    subjects: list[dict[str, Any]]
    consents: list[dict[str, Any]]
    results: list[tuple[int, str]]


def _chain(records: Sequence[AuditRecord], seq: int, prev: str) -> _Chain:
    """Number, link and hash `records` after the head (seq, prev)."""
    chain = _Chain([], [], [], [])
    for record in records:
        seq += 1
        body = encode(record.body(seq, prev))
        prev = entry_hash(prev, body)
        chain.rows.append({"seq": seq, "time": format_time(record.time),
                           "request_id": record.request_id, "caller": record.caller,
                           "purpose": record.purpose, "case_no": record.case,
                           "outcome": record.outcome, "body": body.decode(),
                           "entry_hash": prev})
        chain.subjects += [{"seq": seq, "subject": s} for s in sorted(set(record.subjects))]
        chain.consents += [{"seq": seq, "consent_id": c} for c in sorted(set(record.consent_ids))]
        chain.results.append((seq, prev))
    return chain


@dataclass(slots=True)
class _Pending:
    record: AuditRecord
    done: asyncio.Future[tuple[int, str]]


class AuditLog:
    def __init__(self, writer: AsyncEngine, reader: AsyncEngine, tables: AuditTables,
                 ring: KeyRing | None, log_id: str, *, checkpoint_every: int = 256,
                 checkpoint_seconds: float = 30.0, write_timeout: float = 10.0,
                 max_batch: int = 512) -> None:
        self.writer = writer
        self.reader = reader
        self.tables = tables
        self.ring = ring
        self.log_id = log_id
        self.checkpoint_every = checkpoint_every
        self.checkpoint_seconds = checkpoint_seconds
        self.write_timeout = write_timeout
        self.max_batch = max_batch
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._pg = writer.dialect.name == "postgresql"
        self._sqlite: SqliteWriter | None = None
        if writer.dialect.name == "sqlite" and writer.url.database:
            self._sqlite = SqliteWriter(Path(writer.url.database))
        self._cp_size = 0
        self._cp_at = time.monotonic()

    @classmethod
    async def open(cls, url: str, ring: KeyRing | None, **options: Any) -> AuditLog:
        """Open (creating if needed) the log at `url`; without a `ring` it can only be read."""
        writer, reader = open_engines(url)
        tables = AuditTables.define()
        async with writer.begin() as conn:
            if writer.dialect.name == "postgresql":
                await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
            await conn.run_sync(tables.metadata.create_all)
            row = (await conn.execute(select(tables.meta.c.value)
                                      .where(tables.meta.c.key == "log_id"))).first()
            if row is None:
                log_id = uuid.uuid4().hex
                await conn.execute(insert(tables.meta).values(key="log_id", value=log_id))
            else:
                log_id = row[0]
            latest = (await conn.execute(select(tables.checkpoints.c.size)
                                         .order_by(tables.checkpoints.c.size.desc()).limit(1))
                      ).first()
        log = cls(writer, reader, tables, ring, log_id, **options)
        log._cp_size = latest[0] if latest else 0
        return log

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="audit-writer")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        if self._sqlite is not None:
            self._sqlite.close()
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()

    # -- appending ---------------------------------------------------------------------------

    async def append(self, record: AuditRecord) -> tuple[int, str]:
        """Commit `record`; return its (seq, entry hash). Raise `AuditUnavailable`."""
        self.start()
        pending = _Pending(record, asyncio.get_running_loop().create_future())
        await self._queue.put(pending)
        try:
            return await asyncio.wait_for(asyncio.shield(pending.done), self.write_timeout)
        except TimeoutError:
            raise AuditUnavailable("the audit store did not commit in time") from None

    async def _run(self) -> None:
        while True:
            try:
                first = await asyncio.wait_for(self._queue.get(), self.checkpoint_seconds)
            except TimeoutError:
                await self._idle_checkpoint()
                continue
            batch = [first]
            while len(batch) < self.max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                results = await self._write([p.record for p in batch])
            except asyncio.CancelledError:
                for p in batch:
                    if not p.done.done():
                        p.done.set_exception(AuditUnavailable("the hub is shutting down"))
                raise
            except Exception as exc:
                log.error("audit append failed: %s", exc, exc_info=exc)
                for p in batch:
                    if not p.done.done():
                        p.done.set_exception(AuditUnavailable("the audit store cannot be "
                                                              "written"))
                continue
            for p, result in zip(batch, results, strict=True):
                if not p.done.done():
                    p.done.set_result(result)

    async def _lock(self, conn: AsyncConnection) -> None:
        if self._pg:
            await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})

    async def _write(self, records: Sequence[AuditRecord]) -> list[tuple[int, str]]:
        if self._sqlite is not None:
            return await self._sqlite.run(lambda con: self._write_sqlite(con, records))
        t = self.tables
        async with self.writer.begin() as conn:
            await self._lock(conn)
            head = (await conn.execute(select(t.entries.c.seq, t.entries.c.entry_hash)
                                       .order_by(t.entries.c.seq.desc()).limit(1))).first()
            chain = _chain(records, *(head if head else (0, GENESIS)))
            await conn.execute(insert(t.entries), chain.rows)
            if chain.subjects:
                await conn.execute(insert(t.subjects), chain.subjects)
            if chain.consents:
                await conn.execute(insert(t.consents), chain.consents)
            size, head_hash = chain.results[-1]
            if self._due(size):
                await self._checkpoint_if_due(conn, size, head_hash, force=False)
        return chain.results

    def _write_sqlite(self, con: sqlite3.Connection, records: Sequence[AuditRecord]
                      ) -> list[tuple[int, str]]:
        """The same transaction on SQLite, run whole in the writer thread (one hop, not one
        per statement): BEGIN IMMEDIATE takes the write lock before the head is read."""
        con.execute("BEGIN IMMEDIATE")
        try:
            head = con.execute("SELECT seq, entry_hash FROM audit_entries "
                               "ORDER BY seq DESC LIMIT 1").fetchone()
            chain = _chain(records, *(head if head else (0, GENESIS)))
            con.executemany(
                "INSERT INTO audit_entries (seq, time, request_id, caller, purpose, case_no, "
                "outcome, body, entry_hash) VALUES (:seq, :time, :request_id, :caller, "
                ":purpose, :case_no, :outcome, :body, :entry_hash)", chain.rows)
            con.executemany("INSERT INTO audit_subjects (seq, subject) VALUES (:seq, :subject)",
                            chain.subjects)
            con.executemany("INSERT INTO audit_consents (seq, consent_id) "
                            "VALUES (:seq, :consent_id)", chain.consents)
            size, head_hash = chain.results[-1]
            if self._due(size):
                self._checkpoint_sqlite(con, size, head_hash)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return chain.results

    def _checkpoint_sqlite(self, con: sqlite3.Connection, size: int, head: str) -> None:
        row = con.execute("SELECT size, frontier FROM audit_checkpoints "
                          "ORDER BY size DESC LIMIT 1").fetchone()
        compact = CompactRange(row[0], [bytes.fromhex(h) for h in orjson.loads(row[1])]) \
            if row else CompactRange()
        if compact.size >= size:
            self._cp_size, self._cp_at = compact.size, time.monotonic()
            return
        for (digest,) in con.execute("SELECT entry_hash FROM audit_entries WHERE seq > ? AND "
                                     "seq <= ? ORDER BY seq", (compact.size, size)):
            compact.append(leaf_hash(bytes.fromhex(digest)))
        values = self._signed_checkpoint(compact, size, head)
        con.execute("INSERT INTO audit_checkpoints (size, log_id, head_hash, root_hash, time, "
                    "key_id, signature, frontier) VALUES (:size, :log_id, :head_hash, "
                    ":root_hash, :time, :key_id, :signature, :frontier)", values)

    def _due(self, size: int) -> bool:
        """Is a checkpoint due, by what this process knows? (Checked again under the lock.)"""
        return (size - self._cp_size >= self.checkpoint_every
                or time.monotonic() - self._cp_at >= self.checkpoint_seconds)

    def _signed_checkpoint(self, compact: CompactRange, size: int, head: str
                           ) -> dict[str, Any]:
        if compact.size != size:
            raise AuditUnavailable(f"the audit log has a gap below seq {size}")
        if self.ring is None:
            raise AuditUnavailable("this audit log was opened without a signing key")
        unsigned = Checkpoint(self.log_id, size, head, compact.root().hex(),
                              format_time(dt.datetime.now(dt.UTC)), "", "")
        signature, kid = self.ring.sign(canonical(unsigned.signed_content()))
        self._cp_size, self._cp_at = size, time.monotonic()
        return {"size": size, "log_id": self.log_id, "head_hash": head,
                "root_hash": unsigned.root_hash, "time": unsigned.time, "key_id": kid,
                "signature": signature,
                "frontier": orjson.dumps([h.hex() for h in compact.hashes]).decode()}

    # -- checkpoints -------------------------------------------------------------------------

    async def _latest(self, conn: AsyncConnection) -> tuple[Checkpoint | None, CompactRange]:
        t = self.tables.checkpoints
        row = (await conn.execute(select(t).order_by(t.c.size.desc()).limit(1))).first()
        if row is None:
            return None, CompactRange()
        frontier = [bytes.fromhex(h) for h in orjson.loads(row.frontier)]
        cp = Checkpoint(row.log_id, row.size, row.head_hash, row.root_hash, row.time,
                        row.key_id, row.signature)
        return cp, CompactRange(row.size, frontier)

    async def _checkpoint_if_due(self, conn: AsyncConnection, size: int, head: str, *,
                                 force: bool) -> Checkpoint | None:
        latest, compact = await self._latest(conn)
        now = dt.datetime.now(dt.UTC)
        if latest is not None:
            if latest.size >= size:
                self._cp_size, self._cp_at = latest.size, time.monotonic()
                return latest if force else None
            age = (now - parse_time(latest.time)).total_seconds()
            if not force and size - latest.size < self.checkpoint_every \
                    and age < self.checkpoint_seconds:
                return None
        elif not force and size < self.checkpoint_every:
            return None
        e = self.tables.entries
        hashes = (await conn.execute(select(e.c.entry_hash).where(e.c.seq > compact.size)
                                     .where(e.c.seq <= size).order_by(e.c.seq))).scalars()
        for h in hashes:
            compact.append(leaf_hash(bytes.fromhex(h)))
        values = self._signed_checkpoint(compact, size, head)
        await conn.execute(insert(self.tables.checkpoints).values(**values))
        return Checkpoint(self.log_id, size, head, values["root_hash"], values["time"],
                          values["key_id"], values["signature"])

    async def _idle_checkpoint(self) -> None:
        try:
            await self.checkpoint(force=False)
        except Exception as exc:
            log.warning("idle audit checkpoint failed: %s", exc)

    async def checkpoint(self, *, force: bool = True) -> Checkpoint | None:
        """Sign a checkpoint at the current head (if `force`, even if one was just made)."""
        t = self.tables.entries
        async with self.writer.begin() as conn:
            await self._lock(conn)
            head = (await conn.execute(select(t.c.seq, t.c.entry_hash)
                                       .order_by(t.c.seq.desc()).limit(1))).first()
            if head is None:
                return None
            return await self._checkpoint_if_due(conn, head[0], head[1], force=force)

    async def checkpoints(self) -> list[Checkpoint]:
        t = self.tables.checkpoints
        async with self.reader.connect() as conn:
            rows = (await conn.execute(select(t).order_by(t.c.size))).all()
        return [Checkpoint(r.log_id, r.size, r.head_hash, r.root_hash, r.time, r.key_id,
                           r.signature) for r in rows]

    # -- reading -----------------------------------------------------------------------------

    def _where(self, f: SearchFilter) -> list[Any]:
        e = self.tables.entries
        clauses: list[Any] = []
        if f.caller:
            clauses.append(e.c.caller == f.caller)
        if f.purpose:
            clauses.append(e.c.purpose == f.purpose)
        if f.case:
            clauses.append(e.c.case_no == f.case)
        if f.outcome:
            clauses.append(e.c.outcome == f.outcome)
        if f.since:
            clauses.append(e.c.time >= f.since)
        if f.until:
            clauses.append(e.c.time <= f.until)
        if f.subjects:
            s = self.tables.subjects
            clauses.append(e.c.seq.in_(select(s.c.seq).where(s.c.subject.in_(f.subjects))))
        if f.consent_id:
            c = self.tables.consents
            clauses.append(e.c.seq.in_(select(c.c.seq).where(c.c.consent_id == f.consent_id)))
        return clauses

    async def search(self, f: SearchFilter, *, first: int, before_seq: int | None
                     ) -> tuple[list[tuple[int, dict[str, Any], str]], int, bool]:
        """Newest first: (seq, body, hash) rows, the total matching, and whether more follow."""
        e = self.tables.entries
        where = self._where(f)
        query = select(e.c.seq, e.c.body, e.c.entry_hash).where(*where)
        if before_seq is not None:
            query = query.where(e.c.seq < before_seq)
        query = query.order_by(e.c.seq.desc()).limit(first + 1)
        async with self.reader.connect() as conn:
            rows = (await conn.execute(query)).all()
            total = (await conn.execute(select(func.count()).select_from(e).where(*where))
                     ).scalar_one()
        more = len(rows) > first
        return [(r.seq, decode(r.body), r.entry_hash) for r in rows[:first]], int(total), more

    async def size(self) -> int:
        e = self.tables.entries
        async with self.reader.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(e))).scalar_one())

    async def rows(self, *, batch: int = 2000) -> AsyncIterator[Any]:
        """Every entry in seq order, streamed in batches."""
        e = self.tables.entries
        after = 0
        while True:
            async with self.reader.connect() as conn:
                chunk = (await conn.execute(select(e).where(e.c.seq > after)
                                            .order_by(e.c.seq).limit(batch))).all()
            if not chunk:
                return
            for row in chunk:
                yield row
            after = chunk[-1].seq
