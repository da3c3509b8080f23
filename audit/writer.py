"""The audit writer: group-committed appends to the hash chain, and signed checkpoints.

`append` hands a record to one writer task per process, which takes every record waiting and
runs one transaction: serialise against every other writer (`BEGIN IMMEDIATE` on SQLite,
`pg_advisory_xact_lock` on PostgreSQL), read the head, link and insert the batch and, when one
is due, sign a checkpoint. A caller gets its `seq` only after the commit, so the hub never
returns data whose audit entry is not durable.

The transaction is written once, as synchronous SQLAlchemy Core over a `Connection`. On
PostgreSQL it runs through `AsyncConnection.run_sync`; on a SQLite file it runs whole in one
dedicated thread with its own connection, one hop per batch instead of one per statement.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

import orjson
from sqlalchemy import Connection, Engine, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from audit.chain import link
from audit.checkpoint import Checkpoint, Signer, make_checkpoint
from audit.entry import GENESIS, AuditRecord, parse_time
from audit.errors import AuditUnavailable
from audit.merkle import CompactRange, leaf_hash
from audit.store import LOCK_KEY, AuditTables, open_sync_sqlite

__all__ = ["AuditWriter"]

log = logging.getLogger("hub.audit")
T = TypeVar("T")


@dataclass(slots=True)
class _Pending:
    record: AuditRecord
    done: asyncio.Future[tuple[int, str]]


class AuditWriter:
    def __init__(self, engine: AsyncEngine, tables: AuditTables, log_id: str,
                 signer: Signer | None, *, checkpoint_every: int = 256,
                 checkpoint_seconds: float = 30.0, write_timeout: float = 10.0,
                 max_batch: int = 512, checkpoint_size: int = 0) -> None:
        self.engine = engine
        self.tables = tables
        self.log_id = log_id
        self.signer = signer
        self.checkpoint_every = checkpoint_every
        self.checkpoint_seconds = checkpoint_seconds
        self.write_timeout = write_timeout
        self.max_batch = max_batch
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._pg = engine.dialect.name == "postgresql"
        self._thread: ThreadPoolExecutor | None = None
        self._sync: Engine | None = None
        if engine.dialect.name == "sqlite" and engine.url.database:
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="audit-sqlite")
            self._sync = open_sync_sqlite(engine.url.database)
        self._cp_size = checkpoint_size
        self._cp_at = time.monotonic()

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
        if self._thread is not None and self._sync is not None:
            self._thread.submit(self._sync.dispose).result()
            self._thread.shutdown(wait=True)
            self._thread = None

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
            records = [p.record for p in batch]
            try:
                results = await self._transaction(partial(self._append, records=records))
            except asyncio.CancelledError:
                for p in batch:
                    if not p.done.done():
                        p.done.set_exception(AuditUnavailable("the hub is shutting down"))
                raise
            except Exception as exc:  # any store failure fails the batch, never the writer
                log.error("audit append failed: %s", exc, exc_info=exc)
                for p in batch:
                    if not p.done.done():
                        p.done.set_exception(AuditUnavailable("the audit store cannot be "
                                                              "written"))
                continue
            for p, result in zip(batch, results, strict=True):
                if not p.done.done():
                    p.done.set_result(result)

    async def _transaction(self, fn: Callable[[Connection], T]) -> T:
        if self._thread is not None and self._sync is not None:
            engine = self._sync

            def run() -> T:
                with engine.begin() as conn:
                    return fn(conn)

            return await asyncio.get_running_loop().run_in_executor(self._thread, run)
        async with self.engine.begin() as conn:
            return await conn.run_sync(fn)

    def _lock(self, conn: Connection) -> None:
        if self._pg:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})

    def _head(self, conn: Connection) -> tuple[int, str] | None:
        e = self.tables.entries
        row = conn.execute(select(e.c.seq, e.c.entry_hash).order_by(e.c.seq.desc())
                           .limit(1)).first()
        return None if row is None else (row[0], row[1])

    def _append(self, conn: Connection, records: Sequence[AuditRecord]) -> list[tuple[int, str]]:
        t = self.tables
        self._lock(conn)
        batch = link(records, *(self._head(conn) or (0, GENESIS)))
        conn.execute(insert(t.entries), [e.row() for e in batch.entries])
        if batch.subjects:
            conn.execute(insert(t.subjects), batch.subjects)
        if batch.consents:
            conn.execute(insert(t.consents), batch.consents)
        size, head = batch.head
        if self._due(size):
            self._checkpoint(conn, size, head, force=False)
        return [(e.seq, e.entry_hash) for e in batch.entries]

    # -- checkpoints -------------------------------------------------------------------------

    def _due(self, size: int) -> bool:
        """Is a checkpoint due, by what this process knows? (Checked again under the lock.)"""
        return (size - self._cp_size >= self.checkpoint_every
                or time.monotonic() - self._cp_at >= self.checkpoint_seconds)

    def _checkpoint(self, conn: Connection, size: int, head: str, *, force: bool
                    ) -> Checkpoint | None:
        t = self.tables.checkpoints
        row = conn.execute(select(t).order_by(t.c.size.desc()).limit(1)).first()
        now = dt.datetime.now(dt.UTC)
        if row is not None:
            latest = Checkpoint(row.log_id, row.size, row.head_hash, row.root_hash, row.time,
                                row.key_id, row.signature)
            if latest.size >= size:
                self._cp_size, self._cp_at = latest.size, time.monotonic()
                return latest if force else None
            age = (now - parse_time(latest.time)).total_seconds()
            if not force and size - latest.size < self.checkpoint_every \
                    and age < self.checkpoint_seconds:
                return None
            compact = CompactRange(row.size, [bytes.fromhex(h)
                                              for h in orjson.loads(row.frontier)])
        elif not force and size < self.checkpoint_every:
            return None
        else:
            compact = CompactRange()
        e = self.tables.entries
        for digest in conn.execute(select(e.c.entry_hash).where(e.c.seq > compact.size)
                                   .where(e.c.seq <= size).order_by(e.c.seq)).scalars():
            compact.append(leaf_hash(bytes.fromhex(digest)))
        if compact.size != size:
            raise AuditUnavailable(f"the audit log has a gap below seq {size}")
        if self.signer is None:
            raise AuditUnavailable("this audit log was opened without a signing key")
        cp = make_checkpoint(self.signer, self.log_id, compact, head, now)
        conn.execute(insert(t).values(
            size=cp.size, log_id=cp.log_id, head_hash=cp.head_hash, root_hash=cp.root_hash,
            time=cp.time, key_id=cp.key_id, signature=cp.signature,
            frontier=orjson.dumps([h.hex() for h in compact.hashes]).decode()))
        self._cp_size, self._cp_at = size, time.monotonic()
        return cp

    async def _idle_checkpoint(self) -> None:
        try:
            await self.checkpoint(force=False)
        except Exception as exc:  # an idle checkpoint is retried at the next one
            log.warning("idle audit checkpoint failed: %s", exc)

    async def checkpoint(self, *, force: bool = True) -> Checkpoint | None:
        """Sign a checkpoint at the current head (if `force`, even if one was just made)."""

        def run(conn: Connection) -> Checkpoint | None:
            self._lock(conn)
            head = self._head(conn)
            if head is None:
                return None
            return self._checkpoint(conn, head[0], head[1], force=force)

        return await self._transaction(run)
