"""A small HTTP/1.1 client for department calls: kept-alive connections over asyncio, responses
parsed by httptools (llhttp, the parser of Node.js), TLS through the standard `ssl` module.

It does only what a department call needs, which is why it costs a fraction of a general client
per call: one request, one response read whole into memory under a size cap, no redirects
(a 3xx is handed back as it is, never followed), no cookies, no proxies, no retries except
one: a request on a reused connection that the department had already closed, before any byte
of an answer came back, is sent again once on a fresh connection. Time limits are the
caller's: cancelling a request (a deadline) aborts its connection, which is never reused.
TLS verifies the certificate chain and host name (`ssl.create_default_context()` unless the
caller passes its own context).

    HttpClient.origin(url)   -> Origin (pre-built per source: address, TLS, Host header)
    HttpClient.request(origin, head, body, max_body) -> Response(status, content_type, body)
"""

from __future__ import annotations

import asyncio
import collections
import ssl
import time
import zlib
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlsplit

import httptools

from connectors.errors import BodyTooLarge, ConnectionFailed, ProtocolViolation

__all__ = ["IDLE_SECONDS", "HttpClient", "Origin", "Response"]

IDLE_SECONDS = 15.0  # a kept-alive connection idle longer than this is closed, not reused


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    content_type: str  # the media type, lower case, without parameters ("" when absent)
    body: bytes


@dataclass(frozen=True, slots=True)
class Origin:
    """Where one source's calls go, resolved once: scheme, host, port and its Host header."""

    host: str
    port: int
    tls: bool
    host_header: bytes  # b"Host: name[:port]\r\n"

    @property
    def key(self) -> tuple[str, int, bool]:
        return self.host, self.port, self.tls


class _Conn(asyncio.Protocol):
    """One connection and the response being read on it."""

    __slots__ = ("_body", "_cap", "_encoding", "_headers_done", "_length_known", "_parser",
                 "_type", "_waiter", "closed", "got_bytes", "idle_since", "transport")

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._waiter: asyncio.Future[Response] | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._body = bytearray()
        self._cap = 0
        self._type = b""
        self._encoding = b""
        self._length_known = False
        self._headers_done = False
        self.got_bytes = False

    # -- asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # a stream, by construction

    def data_received(self, data: bytes) -> None:
        self.got_bytes = True
        waiter = self._waiter
        if waiter is None or waiter.done():
            self.abort()  # bytes nobody asked for: the connection is out of step
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserCallbackError:
            # Only the size cap raises inside a callback.
            self._fail(BodyTooLarge(self._cap))
        except httptools.HttpParserUpgrade:
            self._fail(ProtocolViolation("the department switched protocols"))
        except httptools.HttpParserError as exc:
            self._fail(ProtocolViolation(f"the answer is not valid HTTP/1.1 ({exc})"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        if self._headers_done and not self._length_known:
            # No Content-Length, not chunked: the body runs until the connection closes.
            self._complete()
            return
        waiter.set_exception(ConnectionFailed("the connection was closed before the answer "
                                              "was complete", connected=True))

    # -- httptools callbacks ------------------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        lower = name.lower()
        if lower == b"content-type":
            self._type = value
        elif lower == b"content-encoding":
            self._encoding = value.strip().lower()
        elif lower in (b"content-length", b"transfer-encoding"):
            self._length_known = True

    def on_headers_complete(self) -> None:
        self._headers_done = True

    def on_body(self, body: bytes) -> None:
        self._body += body
        if len(self._body) > self._cap:
            raise BodyTooLarge(self._cap)

    def on_message_complete(self) -> None:
        if self._parser.get_status_code() < 200:
            self._reset()  # an interim answer (100 Continue): the real one follows
            return
        self._complete()

    # -- the client's side --------------------------------------------------------------------

    def send(self, payload: bytes, cap: int) -> asyncio.Future[Response]:
        assert self.transport is not None
        self._reset()
        self._cap = cap
        self.got_bytes = False
        self._waiter = asyncio.get_running_loop().create_future()
        self.transport.write(payload)
        return self._waiter

    def abort(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()

    def _reset(self) -> None:
        self._body = bytearray()
        self._type = b""
        self._encoding = b""
        self._length_known = False
        self._headers_done = False

    def _fail(self, exc: Exception) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)
        self.abort()

    def _complete(self) -> None:
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        if not self._parser.should_keep_alive():
            self.closed = True  # released after this answer is handed over, then dropped
        try:
            body = _decoded(bytes(self._body), self._encoding, self._cap)
        except (BodyTooLarge, ProtocolViolation) as exc:
            self._fail(exc)
            return
        media = self._type.split(b";", 1)[0].strip().lower().decode("latin-1")
        waiter.set_result(Response(self._parser.get_status_code(), media, body))
        # An idle pooled connection keeps neither the answer nor its buffer: after a batch,
        # every connection would otherwise hold its last (largest) body until used again.
        self._waiter = None
        self._body = bytearray()


def _decoded(body: bytes, encoding: bytes, cap: int) -> bytes:
    if not encoding or encoding == b"identity":
        return body
    if encoding not in (b"gzip", b"deflate"):
        raise ProtocolViolation(f"the answer is encoded as {encoding.decode('latin-1')!r}, "
                                "which the hub does not accept (gzip, deflate or none)")
    wbits = 31 if encoding == b"gzip" else 15
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(body, cap + 1)
    except zlib.error:
        raise ProtocolViolation(f"the {encoding.decode()} body cannot be decompressed") from None
    if len(out) > cap:
        raise BodyTooLarge(cap)
    return out


class HttpClient:
    """Kept-alive connections per origin; one is created on a `Connectors` open, closed with it."""

    def __init__(self, *, ssl_context: ssl.SSLContext | None = None,
                 connect_timeout_s: float | None = None) -> None:
        self._ssl = ssl_context
        self._connect_timeout = connect_timeout_s
        self._idle: dict[tuple[str, int, bool], collections.deque[_Conn]] = {}
        self._open: set[_Conn] = set()

    @staticmethod
    def origin(url: str) -> Origin:
        parts = urlsplit(url)
        tls = parts.scheme == "https"
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{url!r} is not an http(s) URL")
        port = parts.port or (443 if tls else 80)
        host = parts.hostname
        shown = f"[{host}]" if ":" in host else host
        if parts.port is not None:
            shown += f":{port}"
        return Origin(host, port, tls, b"Host: " + shown.encode("idna") + b"\r\n")

    async def request(self, origin: Origin, head: bytes, body: bytes, max_body: int
                      ) -> Response:
        """Send `head` (request line and headers without Host and Content-Length, each line
        ending in CRLF) and `body`; the whole answer, its body at most `max_body` bytes."""
        payload = b"".join((head, origin.host_header,
                            b"Content-Length: %d\r\n\r\n" % len(body) if body else b"\r\n",
                            body))
        conn = self._take(origin)
        if conn is not None:
            try:
                return await self._exchange(origin, conn, payload, max_body)
            except ConnectionFailed:
                if conn.got_bytes:
                    raise
                # The department closed a kept-alive connection as we reused it: once more,
                # on a fresh connection.
        conn = await self._connect(origin)
        return await self._exchange(origin, conn, payload, max_body)

    async def _exchange(self, origin: Origin, conn: _Conn, payload: bytes, max_body: int
                        ) -> Response:
        try:
            response = await conn.send(payload, max_body)
        except BaseException:  # a failure or a cancelled deadline: the connection is spent
            self._drop(conn)
            raise
        self._release(origin, conn)
        return response

    def _take(self, origin: Origin) -> _Conn | None:
        idle = self._idle.get(origin.key)
        if not idle:
            return None
        now = time.monotonic()
        while idle:
            conn = idle.pop()  # the most recently used: the least likely to have been closed
            if not conn.closed and now - conn.idle_since < IDLE_SECONDS:
                return conn
            self._drop(conn)
        return None

    async def _connect(self, origin: Origin) -> _Conn:
        loop = asyncio.get_running_loop()
        context: ssl.SSLContext | None = None
        if origin.tls:
            if self._ssl is None:
                self._ssl = ssl.create_default_context()
            context = self._ssl
        try:
            async with asyncio.timeout(self._connect_timeout):
                _, conn = await loop.create_connection(
                    _Conn, origin.host, origin.port, ssl=context,
                    server_hostname=origin.host if context else None)
        except ssl.SSLCertVerificationError as exc:
            raise ConnectionFailed(f"its TLS certificate is not trusted "
                                   f"({exc.verify_message})", connected=False, tls=True
                                   ) from None
        except ssl.SSLError as exc:
            raise ConnectionFailed(f"the TLS handshake failed ({exc.reason})", connected=False,
                                   tls=True) from None
        except OSError as exc:
            raise ConnectionFailed(f"connection refused or dropped ({exc.strerror or exc})",
                                   connected=False) from None
        self._open.add(conn)
        return conn

    def _release(self, origin: Origin, conn: _Conn) -> None:
        if conn.closed:
            self._drop(conn)
            return
        conn.idle_since = time.monotonic()
        self._idle.setdefault(origin.key, collections.deque()).append(conn)

    def _drop(self, conn: _Conn) -> None:
        self._open.discard(conn)
        conn.abort()

    async def aclose(self) -> None:
        for conn in self._open:
            conn.abort()
        self._open.clear()
        self._idle.clear()
        await asyncio.sleep(0)  # let the transports finish closing
