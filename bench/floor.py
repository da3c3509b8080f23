"""The floor: the same department calls made as cheaply as Python can make them.

A minimal kept-alive HTTP/1.1 client on asyncio streams (`readuntil`, `Content-Length`,
`orjson.loads`, nothing else: no status handling beyond 200, no chunked bodies, no mapping into
records) with the request bytes built by the hub's own `RequestPlan` (signatures included, or
the departments refuse the call), and the SQL 前置库 read with the standard `sqlite3` module in
the event loop's thread. What the hub spends beyond this is what the hub adds.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Sequence
from urllib.parse import urlsplit

import orjson

from connectors.config import SourceConfig
from connectors.rest import RequestPlan
from connectors.sql import _sqlite_file

__all__ = ["FloorSource", "RawConnection", "floor_sources"]


class RawConnection:
    """One kept-alive connection: write a request, read one Content-Length response."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def exchange(self, payload: bytes) -> bytes:
        if self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(payload)
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"the floor client got {head[:40]!r}")
        return await self.reader.readexactly(length)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


class FloorSource:
    """One source as the floor calls it: pre-built request bytes or a prepared SQL query."""

    def __init__(self, cfg: SourceConfig, secret: str) -> None:
        self.cfg = cfg
        self._free: list[RawConnection] = []
        if cfg.transport == "sql":
            path = _sqlite_file(cfg.dsn)
            self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True,
                                       check_same_thread=False)
            columns = [cfg.key_field, *dict.fromkeys(cfg.fields.values())]
            self._sql = f"SELECT {', '.join(columns)} FROM {cfg.table} WHERE {cfg.key_field} IN "
            return
        parts = urlsplit(cfg.url)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80
        self._plan = RequestPlan(cfg, secret)
        self._host_header = f"Host: {self._host}:{self._port}\r\n".encode()

    async def call(self, keys: Sequence[str]) -> object:
        if self.cfg.transport == "sql":
            marks = ",".join("?" * len(keys))
            return self._db.execute(self._sql + f"({marks})", list(keys)).fetchall()
        _, head, body = self._plan.build(keys, int(time.time() * 1000))
        length = b"Content-Length: %d\r\n\r\n" % len(body) if body else b"\r\n"
        conn = self._free.pop() if self._free else RawConnection(self._host, self._port)
        try:
            raw = await conn.exchange(head + self._host_header + length + body)
        except BaseException:
            conn.close()
            raise
        self._free.append(conn)
        return orjson.loads(raw)

    def close(self) -> None:
        for conn in self._free:
            conn.close()
        if self.cfg.transport == "sql":
            self._db.close()


def floor_sources(configs: Sequence[SourceConfig], secrets: dict[str, str]) -> list[FloorSource]:
    return [FloorSource(c, secrets.get(c.name, "")) for c in configs]
