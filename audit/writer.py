"""The audit writer: group-committed appends to the hash chain, and signed checkpoints.

`append` hands a record to one writer task per process, which takes every record waiting and
runs one transaction: serialise against every other writer (`BEGIN IMMEDIATE` on SQLite,
`pg_advisory_xact_lock` on PostgreSQL), read the head, link and insert the batch and, when one
is due, sign a checkpoint. A caller gets its `seq` only after the commit, so the hub never
returns data whose audit entry is not durable.

The audit tells the truth under failure. A caller waits `write_timeout` for its entry. A record
the writer has not yet claimed when that runs out is abandoned: the caller answers
AUDIT_UNAVAILABLE at once, and if the record lands later it lands `withheld()` (FAILED, nothing
released). The writer claims records only once it holds the store's write lock, and the wait
for that lock is itself bounded (SQLite busy timeout, PostgreSQL `lock_timeout` and
`statement_timeout`); a caller whose record was claimed waits for that transaction's outcome.
So an entry never says ALLOWED for an answer that was not delivered.

Checkpoints are signed every `checkpoint_every` entries or `checkpoint_seconds`, whichever
comes first, and on close; each one is also handed to the configured witnesses
(`audit.witness`), outside the store.

The transaction is written once, as synchronous SQLAlchemy Core over a `Connection`. On
PostgreSQL it runs through `AsyncConnection.run_sync`. On a SQLite file it runs on the event
loop itself when the write lock is free at once (a batch costs a fraction of a millisecond,
and the hop to a thread and back cost more than that, in CPU and in latency: the thread held
the GIL for the same Python work), on a connection the loop keeps, with `BEGIN IMMEDIATE` and
`COMMIT` as plain DBAPI calls (a pool checkout, its return and SQLAlchemy's begin event cost
~300 µs of a ~1.2 ms one-entry transaction); when another writer holds the lock it runs in one
dedicated thread, which waits for the lock without holding up the loop. The loop's connection
never copies the WAL back into the database (a checkpoint fsyncs); the thread does that, every
`wal_every` batches, while the next batch waits (PASSIVE: it waits for no reader or writer).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal, TypeVar

import orjson
from sqlalchemy import Connection, Engine, insert, select, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from audit.chain import link
from audit.checkpoint import Checkpoint, Signer, make_checkpoint
from audit.entry import GENESIS, AuditRecord, parse_time
from audit.errors import AuditUnavailable
from audit.merkle import CompactRange, leaf_hash
from audit.statements import ChainStatements
from audit.store import LOCK_KEY, AuditTables, open_sync_sqlite
from audit.witness import Witness, deliver

__all__ = ["AuditWriter"]

log = logging.getLogger("hub.audit")
T = TypeVar("T")
_CHUNK = 25  # rows per executemany of an effect (a batch files its reports 25 at a time)
State = Literal["queued", "abandoned", "claimed"]


@dataclass(slots=True)
class _Pending:
    record: AuditRecord
    done: asyncio.Future[tuple[int, str]]
    state: State = "queued"
    failed: bool = False  # its store change failed: written FAILED, the caller told so


class AuditWriter:
    def __init__(self, engine: AsyncEngine, tables: AuditTables, log_id: str,
                 signer: Signer | None, *, checkpoint_every: int = 100,
                 checkpoint_seconds: float = 5.0, write_timeout: float = 10.0,
                 lock_timeout: float | None = None, max_batch: int = 512,
                 checkpoint_size: int = 0, witnesses: Sequence[Witness] = (),
                 wal_every: int = 200) -> None:
        self.engine = engine
        self.tables = tables
        self.log_id = log_id
        self.signer = signer
        self.checkpoint_every = checkpoint_every
        self.checkpoint_seconds = checkpoint_seconds
        self.write_timeout = write_timeout
        # How long a transaction waits for the store's write lock (default: write_timeout).
        self.lock_timeout = write_timeout if lock_timeout is None else lock_timeout
        self.max_batch = max_batch
        self.witnesses = list(witnesses)
        self._queue: asyncio.Queue[_Pending | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._guard = threading.Lock()  # pending states change on the loop and in the thread
        self._pg = engine.dialect.name == "postgresql"
        self._sql = ChainStatements(tables, engine.dialect.name)
        self._thread: ThreadPoolExecutor | None = None
        self._sync: Engine | None = None
        self._inline: _LoopConnection | None = None  # the loop's own: never waits for a lock
        self._inline_batches = 0
        self._wal_every = wal_every  # loop batches between passive WAL checkpoints (SQLite)
        if engine.dialect.name == "sqlite" and engine.url.database:
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="audit-sqlite")
            self._sync = open_sync_sqlite(engine.url.database, self.lock_timeout)
            self._inline = _LoopConnection(open_sync_sqlite(
                engine.url.database, 0.0, autocheckpoint=False, begin_immediate=False))
        self._cp_size = checkpoint_size
        self._cp_at = time.monotonic()
        self._last_seq = 0  # the last entry this writer appended
        self._signed: list[Checkpoint] = []  # made in the last transaction, for the witnesses

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None and not self._closing:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="audit-writer")

    async def close(self) -> None:
        """Write what is queued, sign a last checkpoint over it, and stop."""
        self._closing = True
        if self._task is not None:
            await self._queue.put(None)
            try:
                await asyncio.wait_for(self._task, self.lock_timeout + self.write_timeout)
            except TimeoutError:
                log.error("the audit writer did not finish its queue while closing")
            self._task = None
        if self._last_seq > self._cp_size and self.signer is not None:
            try:
                await self.checkpoint(force=True)
            except Exception as exc:  # the entries stay; verify reports them as uncovered
                log.warning("closing audit checkpoint failed: %s", exc)
        for witness in self.witnesses:
            await witness.aclose()
        if self._inline is not None:
            self._inline.close()
        if self._thread is not None and self._sync is not None:
            self._thread.submit(self._wal_checkpoint).result()
            self._thread.submit(self._sync.dispose).result()
            self._thread.shutdown(wait=True)
            self._thread = None

    # -- appending ---------------------------------------------------------------------------

    async def append(self, record: AuditRecord) -> tuple[int, str]:
        """Commit `record`; return its (seq, entry hash). Raise `AuditUnavailable`."""
        if self._closing:
            raise AuditUnavailable("the hub is shutting down")
        self.start()
        loop = asyncio.get_running_loop()
        pending = _Pending(record, loop.create_future())
        self._queue.put_nowait(pending)
        # A timer, not `wait_for` and `shield`: those cost a task's worth of futures and
        # callbacks per entry, on the path of every response.
        timer = loop.call_later(self.write_timeout, self._expire, pending)
        try:
            return await pending.done
        finally:
            timer.cancel()

    def _expire(self, pending: _Pending) -> None:
        """`write_timeout` has passed: a record still queued is given up (written later as
        what its caller answered); a claimed one is being inserted, and its outcome is the
        truth, so its caller goes on waiting."""
        with self._guard:
            if pending.state == "queued" and not pending.done.done():
                pending.state = "abandoned"
                pending.done.set_exception(
                    AuditUnavailable("the audit store did not commit in time"))

    def _claim(self, batch: Sequence[_Pending]) -> list[AuditRecord]:
        """Under the store's write lock: claim every record still wanted; the abandoned ones
        are written as what their callers answered."""
        records = []
        with self._guard:
            for p in batch:
                if p.state == "abandoned":
                    records.append(p.record.withheld())
                else:
                    p.state = "claimed"
                    records.append(p.record)
        return records

    async def _run(self) -> None:
        stopping = False
        while not stopping:
            if self._queue.empty():
                try:  # a timeout scope, not `wait_for`: that makes a task per batch
                    async with asyncio.timeout(self.checkpoint_seconds):
                        first = await self._queue.get()
                except TimeoutError:
                    await self._idle_checkpoint()
                    continue
            else:
                first = self._queue.get_nowait()
            if first is None:
                break
            batch = [first]
            while len(batch) < self.max_batch and not self._queue.empty():
                item = self._queue.get_nowait()
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            await self._write(batch)

    async def _write(self, batch: list[_Pending]) -> None:
        try:
            results = await self._transaction(partial(self._append, batch=batch))
        except asyncio.CancelledError:
            for p in batch:
                if not p.done.done():
                    p.done.set_exception(AuditUnavailable("the hub is shutting down"))
            raise
        except Exception as exc:  # any store failure fails the batch, never the writer
            log.error("audit append failed: %s", exc)
            for p in batch:
                if not p.done.done():
                    p.done.set_exception(AuditUnavailable("the audit store cannot be "
                                                          "written"))
            return
        self._last_seq = max(self._last_seq, results[-1][0])
        for p, result in zip(batch, results, strict=True):
            if p.done.done():
                continue
            if p.failed:
                p.done.set_exception(AuditUnavailable("the change could not be recorded"))
            else:
                p.done.set_result(result)
        await self._witness()

    async def _transaction(self, fn: Callable[[Connection], T]) -> T:
        """Run `fn` in one transaction; checkpoints it signs are witnessed only if it commits."""
        self._signed = []
        try:
            return await self._run_transaction(fn)
        except BaseException:
            self._signed = []
            raise

    async def _run_transaction(self, fn: Callable[[Connection], T]) -> T:
        if self._inline is not None:
            try:
                result = self._inline.run(fn)
            except _LockBusy:
                pass  # another writer holds the lock: the thread waits for it, below
            else:
                self._inline_batches += 1
                if self._inline_batches % self._wal_every == 0 and self._thread is not None:
                    # Waited for (the next batch waits, the loop does not): with no write
                    # beside it the checkpoint completes, and the next write rewinds the WAL.
                    await asyncio.get_running_loop().run_in_executor(self._thread,
                                                                     self._wal_checkpoint)
                return result
        if self._thread is not None and self._sync is not None:
            engine = self._sync

            def run() -> T:
                with engine.begin() as conn:
                    return fn(conn)

            return await asyncio.get_running_loop().run_in_executor(self._thread, run)
        async with self.engine.begin() as conn:
            return await conn.run_sync(fn)

    def _wal_checkpoint(self) -> None:
        """Copy what the WAL holds back into the database, as far as readers and writers let
        it (PASSIVE: it waits for neither); in the thread, so the fsync never holds up the
        loop. A failure is logged: the next one catches up."""
        if self._sync is None:
            return
        try:
            raw = self._sync.raw_connection()
            try:
                raw.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")  # type: ignore[union-attr]
            finally:
                raw.close()
        except (SQLAlchemyError, sqlite3.Error) as exc:
            log.warning("audit WAL checkpoint failed: %s", exc)

    def _lock(self, conn: Connection) -> None:
        """Take the store's write lock (SQLite: already taken by BEGIN IMMEDIATE), waiting
        no longer than `lock_timeout`."""
        if self._pg:
            limit = f"{int(self.lock_timeout * 1000)}ms"
            statement = f"{int((self.lock_timeout + self.write_timeout) * 1000)}ms"
            conn.execute(text("SELECT set_config('lock_timeout', :a, true), "
                              "set_config('statement_timeout', :b, true)"),
                         {"a": limit, "b": statement})
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})

    def _append(self, conn: Connection, batch: Sequence[_Pending]) -> list[tuple[int, str]]:
        self._lock(conn)
        records = self._apply_all(conn, batch, self._claim(batch))
        linked = link(records, *(self._sql.head(conn) or (0, GENESIS)))
        self._sql.insert(conn, linked)
        size, head = linked.head
        if self._due(size):
            self._checkpoint(conn, size, head, force=False)
        return [(e.seq, e.entry_hash) for e in linked.entries]

    def _apply_all(self, conn: Connection, batch: Sequence[_Pending],
                   records: list[AuditRecord]) -> list[AuditRecord]:
        """Make the records' changes to the store in this transaction. First all at once (one
        savepoint; the same executemany of consecutive records merged: a batch of checks files
        its reports in one statement); if that fails, record by record, so that only the
        records whose changes fail are written FAILED."""
        changing = [r for r in records if r.effects]
        if len(changing) > 1:
            try:
                with self._sql.savepoint(conn):
                    _execute(conn, [e for r in changing for e in r.effects], self._sql)
                return records
            except SQLAlchemyError:
                pass  # rolled back to the savepoint: now one by one
        return [self._apply(conn, p, r) for p, r in zip(batch, records, strict=True)]

    def _apply(self, conn: Connection, pending: _Pending, record: AuditRecord) -> AuditRecord:
        """Make the record's changes to the store in this transaction (a savepoint each). If
        they fail, nothing of them is kept, the entry says FAILED and its caller is told the
        operation could not be recorded."""
        if not record.effects:
            return record
        try:
            with self._sql.savepoint(conn):
                _execute(conn, record.effects, self._sql)
        except SQLAlchemyError as exc:
            log.error("request %s: its store change failed: %s", record.request_id, exc)
            pending.failed = True
            return record.withheld()
        return record

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
        elif not force and size < self.checkpoint_every \
                and time.monotonic() - self._cp_at < self.checkpoint_seconds:
            return None  # the first checkpoint: due by count, or by time since this writer began
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
        self._signed.append(cp)
        return cp

    async def _witness(self) -> None:
        signed, self._signed = self._signed, []
        for cp in signed:
            await deliver(self.witnesses, cp)

    async def _idle_checkpoint(self) -> None:
        if self._last_seq <= self._cp_size:
            return  # everything this writer appended is covered already
        try:
            await self.checkpoint(force=False)
        except Exception as exc:  # an idle checkpoint is retried at the next one
            log.warning("idle audit checkpoint failed: %s", exc)

    async def checkpoint(self, *, force: bool = True) -> Checkpoint | None:
        """Sign a checkpoint at the current head if one is due (if `force`: unless the latest
        already covers the head)."""

        def run(conn: Connection) -> Checkpoint | None:
            self._lock(conn)
            head = self._sql.head(conn)
            if head is None:
                return None
            return self._checkpoint(conn, head[0], head[1], force=force)

        cp = await self._transaction(run)
        await self._witness()
        return cp


class _LockBusy(Exception):
    """Another writer holds the SQLite store's write lock; nothing was done."""


class _LoopConnection:
    """The event loop's own connection to a SQLite store, kept between transactions: a
    transaction runs on it only if the write lock is free now (no busy wait), else nothing is
    done and `_LockBusy` is raised. Its engine emits no BEGIN (the driver is in autocommit
    mode); `BEGIN IMMEDIATE` is sent here, and SQLAlchemy's commit or rollback ends it. A
    connection whose transaction failed for another reason is closed, and the next
    transaction opens a fresh one."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._conn: Connection | None = None

    def run(self, fn: Callable[[Connection], T]) -> T:
        conn = self._conn
        if conn is None:
            conn = self._conn = self.engine.connect()
        driver = conn.connection.driver_connection
        try:
            driver.execute("BEGIN IMMEDIATE")  # type: ignore[union-attr]
        except sqlite3.Error as exc:
            if _locked(exc):
                raise _LockBusy from exc
            self.close()  # a closed or broken connection: the next transaction opens another
            raise
        try:
            with conn.begin():  # commits with the DBAPI connection's commit(), or rolls back
                return fn(conn)
        except BaseException as exc:
            if driver.in_transaction:  # type: ignore[union-attr]
                self.close()  # its state is not known: never reused
            if isinstance(exc, OperationalError) and _locked(exc.orig):
                raise _LockBusy from exc  # rolled back: the thread does it again, waiting
            raise

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(SQLAlchemyError, sqlite3.Error):
                conn.close()
        self.engine.dispose()


def _locked(error: BaseException | None) -> bool:
    """Whether a SQLite error says another connection holds the lock."""
    return getattr(error, "sqlite_errorcode", None) in (sqlite3.SQLITE_BUSY,
                                                        sqlite3.SQLITE_LOCKED)


def _execute(conn: Connection, effects: Sequence[Any], sql: ChainStatements) -> None:
    """Run store changes in order: a statement, or a (statement, rows) executemany, where the
    rows of consecutive ones with the same statement go in the same executemanys."""
    pending: Any = None
    parts: list[Iterable[Any]] = []
    for effect in [*effects, None]:
        if isinstance(effect, tuple) and effect[0] is pending:
            parts.append(effect[1])
            continue
        if pending is not None:
            _executemany(conn, pending, parts, sql)
            pending, parts = None, []
        if isinstance(effect, tuple):
            pending, parts = effect[0], [effect[1]]
        elif effect is not None:
            conn.execute(effect)


def _executemany(conn: Connection, statement: Any, parts: Iterable[Iterable[Any]],
                 sql: ChainStatements) -> None:
    """One executemany per `_CHUNK` rows: rows made when read (a batch's filed reports, whose
    documents become text only here) are held a chunk at a time, not all at once."""
    chunk: list[Any] = []
    for row in itertools.chain.from_iterable(parts):
        chunk.append(row)
        if len(chunk) == _CHUNK:
            sql.executemany(conn, statement, chunk)
            chunk = []
    if chunk:
        sql.executemany(conn, statement, chunk)
