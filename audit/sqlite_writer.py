"""One thread and one sqlite3 connection for the audit writer on SQLite.

Through aiosqlite every statement is a round trip to a worker thread; an append transaction
has half a dozen statements. Running the whole transaction as one function in one dedicated
thread costs one hop, and the connection never changes threads.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from audit.store import sqlite_pragmas

__all__ = ["SqliteWriter"]

T = TypeVar("T")


class SqliteWriter:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="audit-sqlite")
        self._con: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        if self._con is None:
            con = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            sqlite_pragmas(con)
            self._con = con
        return self._con

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, lambda: fn(self._connection()))

    def close(self) -> None:
        def shut() -> None:
            if self._con is not None:
                self._con.close()
                self._con = None

        self._pool.submit(shut).result()
        self._pool.shutdown(wait=True)
