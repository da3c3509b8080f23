"""A sandbox service of its own: one listener on loopback that can be broken on purpose.

The record sources of `sandbox.server` share one handler shape; the licence library and the
departments' objection desks answer differently, so each runs its own aiohttp application on
its own port through a `Listener`, which gives it the same faults (`sandbox.faults`): `down`
stops listening and drops the connections kept alive (a real outage does not serve them
either), `hang`, `slow:MS`, `error`, `garbage` and `flaky:P` act before the handler answers,
`reset` and `slowloris` on its answer (`reset_midway`, `dribble`, shared with the record
sources), and `wrong-subject` and `partial` are left to the handler, which knows what another
subject and half an answer are.
"""

from __future__ import annotations

import asyncio
import random
import socket
import struct
from collections.abc import Awaitable, Callable

from aiohttp import web

from sandbox.faults import Fault

__all__ = ["Handler", "Listener", "bind", "dribble", "reset_midway"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(256)
    sock.setblocking(False)
    return sock


class Listener:
    """One aiohttp application on one port, with a fault and per-listener counters."""

    def __init__(self, name: str, routes: list[web.RouteDef], *, host: str, port: int,
                 latency_ms: int) -> None:
        self.name = name
        self.host = host
        self.advertise: str | None = None  # the host name in its URLs, when not `host`
        self.port = port
        self.latency_ms = latency_ms
        self.latency = True
        self.fault = Fault()
        self.calls = 0
        self._rng = random.Random(name)
        app = web.Application(middlewares=[self._faults])
        app.add_routes(routes)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        self._site: web.SockSite | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.advertise or self.host}:{self.port}"

    async def start(self) -> None:
        await self._runner.setup()
        await self._listen()

    async def stop(self) -> None:
        await self._runner.cleanup()

    async def _listen(self) -> None:
        sock = bind(self.host, self.port)
        self.port = sock.getsockname()[1]
        self._site = web.SockSite(self._runner, sock)
        await self._site.start()

    async def set_fault(self, fault: Fault) -> None:
        if fault.mode == "down" and self._site is not None:
            await self._site.stop()
            self._site = None
            server = self._runner.server
            for connection in server.connections if server is not None else ():
                connection.force_close()
        elif fault.mode != "down" and self._site is None:
            await self._listen()
        self.fault = fault

    def reset(self) -> None:
        self.calls = 0
        self._rng = random.Random(self.name)

    @web.middleware
    async def _faults(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        fault = self.fault
        if fault.mode == "down":  # a connection kept alive from before the outage
            if request.transport is not None:
                request.transport.abort()
            raise web.HTTPServiceUnavailable()
        self.calls += 1
        if self.latency:
            await asyncio.sleep(self.latency_ms * self._rng.uniform(0.75, 1.25) / 1000)
        if fault.mode == "slow":
            await asyncio.sleep(fault.value / 1000)
        elif fault.mode == "hang":
            await asyncio.Event().wait()
        elif fault.mode == "error" or (fault.mode == "flaky"
                                       and self._rng.random() < fault.value):
            return web.json_response({"code": 500, "msg": "系统繁忙，请稍后再试"}, status=500)
        elif fault.mode == "garbage":
            return web.Response(body=b'{"code":0,"data":<html>upstream error</html>',
                                content_type="application/json")
        response = await handler(request)
        if fault.mode in ("reset", "slowloris") and isinstance(response, web.Response) \
                and isinstance(response.body, bytes):
            send = reset_midway if fault.mode == "reset" else dribble
            return await send(request, response.body)
        return response


async def reset_midway(request: web.Request, body: bytes) -> web.StreamResponse:
    """Promise the whole body, send half of it, then reset the connection (TCP RST)."""
    response = web.StreamResponse(headers={"Content-Type": "application/json",
                                           "Content-Length": str(len(body))})
    await response.prepare(request)
    await response.write(body[:len(body) // 2])
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    return response


async def dribble(request: web.Request, body: bytes, step: int = 4, pause_s: float = 0.25
                   ) -> web.StreamResponse:
    """Send the answer `step` bytes every `pause_s` seconds, as a slowloris server would."""
    response = web.StreamResponse(headers={"Content-Type": "application/json",
                                           "Content-Length": str(len(body))})
    await response.prepare(request)
    for start in range(0, len(body), step):
        await response.write(body[start:start + step])
        await asyncio.sleep(pause_s)
    await response.write_eof()
    return response
