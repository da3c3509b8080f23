"""A lane for synchronous database work: one thread hop per unit of work on SQLite.

aiosqlite (under SQLAlchemy's async engine) crosses to its thread and back for every cursor,
statement, fetch, close and rollback, and each crossing wakes the event loop; a short read
costs ~250 µs of CPU that way against ~70 µs as one hop. A `SyncLane` runs a synchronous
function of a `Connection` — the whole unit of work — either inside the async connection
(`run_sync`: PostgreSQL's asyncpg needs no thread) or, for SQLite, on threads of the lane's own
with a synchronous engine on the same database (stdlib `sqlite3`, the same pragmas and timeout).
A small read (`inline`) on SQLite runs on the loop's own thread when the database is not locked
(no busy wait; a locked one sends it to the lane's thread, which waits): handing a read of a few
keys to a thread and back costs more than the read.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, TextClause, bindparam, create_engine, event, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["INLINE_KEYS", "KeySelect", "SyncLane"]

T = TypeVar("T")
_YIELD_TURNS = 2
# A read of up to this many keys runs on the loop's thread when the database is not locked
# (`SyncLane.run(inline=True)`): a thread hop costs more than such a read; a bigger one runs on
# the lane's thread, where SQLite works without the GIL beside the loop.
INLINE_KEYS = 16


class SyncLane:
    def __init__(self, engine: AsyncEngine, *, threads: int, timeout_s: float,
                 on_connect: Callable[[Any, Any], None] | None = None,
                 name: str = "sync-lane") -> None:
        self.engine = engine
        self._sync: Engine | None = None
        self._threads: ThreadPoolExecutor | None = None
        self._inline: Engine | None = None
        if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
            url = engine.url.set(drivername="sqlite")
            self._sync = create_engine(url, pool_size=threads, max_overflow=0,
                                       connect_args={"timeout": timeout_s,
                                                     "check_same_thread": False})
            # The loop's thread never waits on a lock: busy timeout 0, one connection.
            self._inline = create_engine(url, pool_size=1, max_overflow=0,
                                         connect_args={"timeout": 0,
                                                       "check_same_thread": False})
            if on_connect is not None:
                event.listen(self._sync, "connect", on_connect)
                event.listen(self._inline, "connect", on_connect)
            self._threads = ThreadPoolExecutor(threads, thread_name_prefix=name)

    async def run(self, fn: Callable[[Connection], T], *, inline: bool = False) -> T:
        """`fn` on a connection of the database, its work ended (rolled back unless `fn`
        committed) before this returns. `inline`: `fn` is a small read, with no effect if it
        runs twice; on SQLite it runs on the loop's thread unless the database is locked."""
        if self._sync is not None and self._threads is not None:
            sync = self._sync
            # Let the department calls started in this turn go out first (a busy coalesced
            # source's call leaves two turns later): the thread holds the GIL for most of its
            # work, and a call that waits behind it adds that wait to the check's critical path.
            for _ in range(_YIELD_TURNS):
                await asyncio.sleep(0)
            if inline and self._inline is not None:
                try:
                    with self._inline.connect() as local:
                        return fn(local)
                except OperationalError as exc:  # locked: the thread waits for it
                    if getattr(exc.orig, "sqlite_errorcode", None) not in (
                            sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                        raise

            def call() -> T:
                with sync.connect() as conn:
                    return fn(conn)

            return await asyncio.get_running_loop().run_in_executor(self._threads, call)
        async with self.engine.connect() as conn:
            return await conn.run_sync(fn)

    def reset(self) -> None:
        """Close the pooled synchronous connections (a query in progress finishes first)."""
        if self._sync is not None:
            self._sync.dispose()
        if self._inline is not None:
            self._inline.dispose()

    def close(self) -> None:
        self.reset()
        if self._threads is not None:
            self._threads.shutdown(wait=False, cancel_futures=True)
            self._threads = None


class KeySelect:
    """`SELECT ... WHERE <key> IN (<keys>) ...`, run on a lane's connection: the read every
    check makes of a 前置库 or of the hub's own store.

    On SQLite it runs as a plain DBAPI call with SQL written once per number of keys: through
    SQLAlchemy's execution machinery (expanding the IN list, execution context, result
    metadata for every column) a one-key read cost several times the query itself. Elsewhere
    (PostgreSQL) it is a SQLAlchemy `text()` with an expanding bound parameter. Either way the
    keys are bound parameters and only `head` and `tail`, written by the hub's code from
    validated identifiers, are SQL text; SQLite's errors are raised as SQLAlchemy's
    (`DBAPIError` subclasses, the driver's error as `orig`), as on the other path.
    """

    def __init__(self, head: str, tail: str = "") -> None:
        """`head`: the statement up to and including `IN`; `tail`: what follows the list."""
        self._head, self._tail = head, tail
        self.statement: TextClause = text(f"{head} :keys{tail}").bindparams(
            bindparam("keys", expanding=True))
        self._raw: dict[int, str] = {}

    def rows(self, conn: Connection, keys: list[str]) -> list[tuple[Any, ...]]:
        if conn.dialect.name != "sqlite":
            return [tuple(r) for r in conn.execute(self.statement, {"keys": keys}).all()]
        sql = self._raw.get(len(keys))
        if sql is None:
            sql = self._raw[len(keys)] = f"{self._head} ({', '.join('?' * len(keys))}){self._tail}"
        try:
            return list(conn.connection.driver_connection.execute(sql, keys).fetchall())  # type: ignore[union-attr]
        except sqlite3.Error as exc:
            raise DBAPIError.instance(sql, keys, exc, sqlite3.Error) from exc
