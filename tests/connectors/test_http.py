"""The outbound HTTP client against scripted servers on loopback: the network edge only.

Each server here is a real asyncio TCP (or TLS) listener that answers with the bytes a test
chose, so that the client meets answers the sandbox departments never give: redirects, bodies
over the cap, broken HTTP, connections closed early, untrusted certificates, silence.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import ipaddress
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from connectors.config import SourceConfig
from connectors.errors import BodyTooLarge, ConnectionFailed, ProtocolViolation
from connectors.http import HttpClient, Origin
from connectors.records import RECORD_TYPES
from connectors.registry import Connectors

GET = b"GET /q?ids=A HTTP/1.1\r\nAccept: application/json\r\n"
OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, "Server"], Awaitable[None]]


@dataclass
class Server:
    """A loopback listener running `handler` per connection; counts connections and requests."""

    handler: Handler
    tls: ssl.SSLContext | None = None
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await self.handler(reader, writer, self)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def read_request(self, reader: asyncio.StreamReader) -> bytes:
        head = await reader.readuntil(b"\r\n\r\n")
        self.requests.append(head)
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                await reader.readexactly(int(line.split(b":")[1]))
        return head

    def url(self, path: str = "/q") -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}{path}"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


def answering(*responses: bytes, close_after: bool = False) -> Handler:
    """Answer successive requests on one connection with `responses`, then keep reading."""
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                      server: Server) -> None:
        for response in responses:
            await server.read_request(reader)
            writer.write(response)
            await writer.drain()
        if not close_after:
            while await server.read_request(reader):
                writer.write(responses[-1])
    return handler


@pytest.fixture
async def serve() -> AsyncIterator[Callable[..., Awaitable[Server]]]:
    servers: list[Server] = []

    async def start(handler: Handler, tls: ssl.SSLContext | None = None) -> Server:
        server = Server(handler, tls)
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.stop()


@pytest.fixture
async def client() -> AsyncIterator[HttpClient]:
    http = HttpClient()
    yield http
    await http.aclose()


async def test_keep_alive_reuses_one_connection(serve: Callable[..., Awaitable[Server]],
                                                client: HttpClient) -> None:
    server = await serve(answering(OK))
    origin = client.origin(server.url())
    for _ in range(3):
        response = await client.request(origin, GET, b"", 1024)
        assert (response.status, response.content_type, response.body) == (
            200, "application/json", b"{}")
    assert server.connections == 1
    assert len(server.requests) == 3
    assert server.requests[0].startswith(b"GET /q?ids=A HTTP/1.1\r\n")
    assert f"Host: 127.0.0.1:{server.port}".encode() in server.requests[0]


async def test_post_body_is_sent_with_its_length(serve: Callable[..., Awaitable[Server]],
                                                 client: HttpClient) -> None:
    bodies: list[bytes] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                      server: Server) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                      if line.startswith(b"Content-Length:"))
        bodies.append(await reader.readexactly(length))
        writer.write(OK)

    server = await serve(handler)
    response = await client.request(client.origin(server.url()),
                                    b"POST /q HTTP/1.1\r\n", b'{"ids":["A"]}', 1024)
    assert response.status == 200
    assert bodies == [b'{"ids":["A"]}']


async def test_a_redirect_is_handed_back_never_followed(serve: Callable[..., Awaitable[Server]],
                                                        client: HttpClient) -> None:
    target = await serve(answering(OK))
    server = await serve(answering(
        f"HTTP/1.1 302 Found\r\nLocation: {target.url()}\r\nContent-Length: 0\r\n\r\n".encode()))
    response = await client.request(client.origin(server.url()), GET, b"", 1024)
    assert response.status == 302
    assert target.connections == 0


@pytest.mark.parametrize("response", [
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2000\r\n\r\n"
    + b" " * 2000,
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    + b"3e8\r\n" + b" " * 1000 + b"\r\n3e8\r\n" + b" " * 1000 + b"\r\n0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
    + b"Content-Length: %d\r\n\r\n" % len(gzip.compress(b" " * 100_000))
    + gzip.compress(b" " * 100_000),
], ids=["content-length", "chunked", "gzip-bomb"])
async def test_bodies_over_the_cap_are_refused(serve: Callable[..., Awaitable[Server]],
                                               client: HttpClient, response: bytes) -> None:
    server = await serve(answering(response))
    with pytest.raises(BodyTooLarge, match="larger than 1024 bytes"):
        await client.request(client.origin(server.url()), GET, b"", 1024)


async def test_chunked_and_gzip_bodies_within_the_cap_are_read(
        serve: Callable[..., Awaitable[Server]], client: HttpClient) -> None:
    packed = gzip.compress(b'{"a":1}')
    server = await serve(answering(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n2\r\n{\"\r\n5\r\na\":1}\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
        + b"Content-Length: %d\r\n\r\n" % len(packed) + packed))
    origin = client.origin(server.url())
    first = await client.request(origin, GET, b"", 1024)
    second = await client.request(origin, GET, b"", 1024)
    assert (first.content_type, first.body) == ("application/json", b'{"a":1}')
    assert second.body == b'{"a":1}'


async def test_a_body_until_close_is_read_whole(serve: Callable[..., Awaitable[Server]],
                                                client: HttpClient) -> None:
    server = await serve(answering(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n[1,2]",
        close_after=True))
    origin = client.origin(server.url())
    assert (await client.request(origin, GET, b"", 1024)).body == b"[1,2]"
    assert (await client.request(origin, GET, b"", 1024)).body == b"[1,2]"
    assert server.connections == 2  # the closed connection was not reused


@pytest.mark.parametrize(("response", "error", "says"), [
    (b"NOT HTTP AT ALL\r\n\r\n", ProtocolViolation, "not valid HTTP/1.1"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}", ConnectionFailed,
     "closed before the answer was complete"),
    (b"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 2\r\n\r\n{}",
     ProtocolViolation, "does not accept"),
    (b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\n\r\n{}",
     ProtocolViolation, "cannot be decompressed"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
     ProtocolViolation, "not valid HTTP/1.1"),
])
async def test_broken_answers_are_refused(serve: Callable[..., Awaitable[Server]],
                                          client: HttpClient, response: bytes,
                                          error: type[Exception], says: str) -> None:
    server = await serve(answering(response, close_after=True))
    with pytest.raises(error, match=says):
        await client.request(client.origin(server.url()), GET, b"", 1024)


async def test_a_refused_connection_fails_plainly(client: HttpClient) -> None:
    with pytest.raises(ConnectionFailed, match="connection refused"):
        await client.request(client.origin("http://127.0.0.1:1/q"), GET, b"", 1024)


async def test_a_deadline_aborts_the_connection_which_is_not_reused(
        serve: Callable[..., Awaitable[Server]], client: HttpClient) -> None:
    calls = 0

    async def silent_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                          server: Server) -> None:
        nonlocal calls
        calls += 1
        await server.read_request(reader)
        if calls == 1:
            await reader.read()  # never answers; returns when the client aborts
            return
        writer.write(OK)
        while await server.read_request(reader):
            writer.write(OK)

    server = await serve(silent_once)
    origin = client.origin(server.url())
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2):
            await client.request(origin, GET, b"", 1024)
    assert (await client.request(origin, GET, b"", 1024)).status == 200
    assert server.connections == 2


async def test_a_kept_alive_connection_closed_by_the_department_is_replaced(
        serve: Callable[..., Awaitable[Server]], client: HttpClient) -> None:
    """The department drops the idle connection as the client reuses it: sent again, fresh."""
    async def one_per_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                                 server: Server) -> None:
        await server.read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 2\r\n\r\n{}")
        await writer.drain()
        await server.read_request(reader)  # the reuse: read it, then close without a byte

    server = await serve(one_per_connection)
    origin = client.origin(server.url())
    assert (await client.request(origin, GET, b"", 1024)).status == 200
    assert (await client.request(origin, GET, b"", 1024)).status == 200
    assert server.connections == 2


async def test_a_fresh_connection_closed_without_an_answer_fails(
        serve: Callable[..., Awaitable[Server]], client: HttpClient) -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                      server: Server) -> None:
        await server.read_request(reader)

    server = await serve(hang_up)
    with pytest.raises(ConnectionFailed, match="closed before"):
        await client.request(client.origin(server.url()), GET, b"", 1024)
    assert server.connections == 1  # a fresh connection is not retried


def test_origin_is_resolved_once_per_url() -> None:
    assert HttpClient.origin("https://dept.example.gov.cn/api") == Origin(
        "dept.example.gov.cn", 443, True, b"Host: dept.example.gov.cn\r\n")
    assert HttpClient.origin("http://127.0.0.1:9100/x?y=1").host_header == (
        b"Host: 127.0.0.1:9100\r\n")
    with pytest.raises(ValueError, match="not an http"):
        HttpClient.origin("ftp://dept.example/x")


# -- TLS --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Pki:
    ca_pem: bytes
    server: ssl.SSLContext


def _pki(tmp: Path, names: list[x509.GeneralName]) -> Pki:
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test department CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(1)
          .not_valid_before(now - dt.timedelta(days=1))
          .not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dept")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(2)
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .sign(ca_key, hashes.SHA256()))
    (tmp / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(tmp / "cert.pem", tmp / "key.pem")
    return Pki(ca.public_bytes(serialization.Encoding.PEM), server)


def _trusting(pki: Pki) -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.load_verify_locations(cadata=pki.ca_pem.decode())
    return context


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return _pki(tmp_path, [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])


async def test_tls_with_a_trusted_certificate(serve: Callable[..., Awaitable[Server]],
                                              pki: Pki) -> None:
    server = await serve(answering(OK), tls=pki.server)
    client = HttpClient(ssl_context=_trusting(pki))
    try:
        origin = client.origin(server.url())
        assert origin.tls
        assert (await client.request(origin, GET, b"", 1024)).body == b"{}"
        assert (await client.request(origin, GET, b"", 1024)).body == b"{}"
    finally:
        await client.aclose()
    assert server.connections == 1


async def test_tls_refuses_an_untrusted_certificate(serve: Callable[..., Awaitable[Server]],
                                                    client: HttpClient, pki: Pki) -> None:
    """The default context (system CAs) does not trust a department's self-made CA."""
    server = await serve(answering(OK), tls=pki.server)
    with pytest.raises(ConnectionFailed, match="certificate is not trusted"):
        await client.request(client.origin(server.url()), GET, b"", 1024)
    assert server.requests == []


async def test_tls_refuses_a_certificate_for_another_host(
        serve: Callable[..., Awaitable[Server]], tmp_path: Path) -> None:
    other = _pki(tmp_path, [x509.DNSName("other.example.gov.cn")])
    server = await serve(answering(OK), tls=other.server)
    client = HttpClient(ssl_context=_trusting(other))
    try:
        with pytest.raises(ConnectionFailed, match="certificate is not trusted"):
            await client.request(client.origin(server.url()), GET, b"", 1024)
    finally:
        await client.aclose()
    assert server.requests == []


async def test_a_source_behind_an_untrusted_certificate_reads_unavailable(
        serve: Callable[..., Awaitable[Server]], pki: Pki) -> None:
    """Through the whole connector: the department is not called, the reason is plain."""
    server = await serve(answering(OK), tls=pki.server)
    config = SourceConfig(name="tls_dept", department="市测试局", subject="enterprise",
                          check="IPO_COMPLIANCE", domain="tax", record="violation",
                          transport="rest-batch", envelope="map",
                          fields={f.name: f.name for f in RECORD_TYPES["violation"]},
                          url=server.url(), credential="value:k", key_param="codes")
    connectors = await Connectors.open([config])
    try:
        answer = (await connectors["tls_dept"].fetch(["A1"])).answers["A1"]
    finally:
        await connectors.aclose()
    assert answer.status == "UNAVAILABLE"
    assert answer.detail == "无法与市测试局建立可信的加密连接（TLS 证书不受信任或握手失败）"
    assert server.requests == []
