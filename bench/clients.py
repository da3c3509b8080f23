"""Outbound HTTP clients compared: the CPU one small kept-alive department call costs each.

Every client makes the same GET to the same sandbox source (zero latency), `calls` times with
`concurrency` calls in flight, reads the whole body and decodes it with `orjson`; the figure is
this process's CPU time (user + system) per call. The clients: aiohttp (a plain
`session.get`, `read`), pyreqwest (Rust reqwest, when it is installed), the hub's own
`connectors.http.HttpClient` (httptools), and the floor's raw streams client; then the hub's
whole per-call path (`RestConnector.fetch` of one key: plan, sign, send, parse into records).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import orjson

from bench.floor import FloorSource
from connectors.auth import resolve_credential
from connectors.base import CallIds
from connectors.config import SourceConfig
from connectors.http import HttpClient
from connectors.rest import MAX_BODY_BYTES, RequestPlan, RestConnector

__all__ = ["compare_clients"]


async def _cpu_per_call(call: Callable[[], Awaitable[Any]], calls: int, concurrency: int
                        ) -> float:
    """Microseconds of this process's CPU per call, after a warm-up."""
    async def worker(n: int) -> None:
        for _ in range(n):
            await call()

    await asyncio.gather(*(worker(20) for _ in range(concurrency)))
    before = time.process_time()
    await asyncio.gather(*(worker(calls // concurrency) for _ in range(concurrency)))
    return (time.process_time() - before) * 1e6 / (calls // concurrency * concurrency)


def _headers(plan: RequestPlan, key: str) -> tuple[str, dict[str, str]]:
    target, head, _ = plan.build([key], int(time.time() * 1000))
    lines = head.decode().split("\r\n")[1:]
    return target, dict(line.split(": ", 1) for line in lines if line)


async def compare_clients(cfg: SourceConfig, key: str, calls: int = 3000,
                          concurrency: int = 8) -> dict[str, Any]:
    cfg = dataclasses.replace(cfg, coalesce=False)
    secret = resolve_credential(cfg.credential)
    plan = RequestPlan(cfg, secret)
    target, headers = _headers(plan, key)
    base = cfg.url.split("/", 3)
    url = f"{base[0]}//{base[2]}{target}"
    figures: dict[str, Any] = {"clients.source": cfg.name, "clients.calls": calls,
                               "clients.concurrency": concurrency}

    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100))

    async def with_aiohttp() -> None:
        async with session.get(url, headers=headers, allow_redirects=False) as resp:
            orjson.loads(await resp.read())

    try:
        figures["clients.aiohttp_us_per_call"] = await _cpu_per_call(with_aiohttp, calls,
                                                                     concurrency)
    finally:
        await session.close()

    try:
        from pyreqwest.client import ClientBuilder
    except ImportError:
        figures["clients.pyreqwest_us_per_call"] = None
    else:
        rclient = ClientBuilder().build()

        async def with_pyreqwest() -> None:
            resp = await rclient.get(url).headers(headers).build().send()
            orjson.loads(bytes(await resp.bytes()))

        try:
            figures["clients.pyreqwest_us_per_call"] = await _cpu_per_call(
                with_pyreqwest, calls, concurrency)
        finally:
            await rclient.close()

    client = HttpClient()
    origin = client.origin(cfg.url)
    _, head, body = plan.build([key], int(time.time() * 1000))

    async def with_hub_client() -> None:
        orjson.loads((await client.request(origin, head, body, MAX_BODY_BYTES)).body)

    try:
        figures["clients.hub_httptools_us_per_call"] = await _cpu_per_call(
            with_hub_client, calls, concurrency)
        connector = RestConnector(cfg, client, secret, call_ids=CallIds())

        async def with_connector() -> None:
            await connector.fetch([key])

        figures["clients.hub_connector_us_per_call"] = await _cpu_per_call(
            with_connector, calls, concurrency)
    finally:
        await client.aclose()

    floor = FloorSource(cfg, secret)
    try:
        figures["clients.floor_streams_us_per_call"] = await _cpu_per_call(
            lambda: floor.call([key]), calls, concurrency)
    finally:
        floor.close()
    return figures
