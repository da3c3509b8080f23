"""Department calls per check under concurrency: what cross-request coalescing saves.

64 clients check distinct enterprises back to back (default sandbox latencies; a check the
hub sheds is sent again until answered, its latency counted from the first attempt) against a hub
with its default configuration (batch sources coalesced) and against one with coalescing
switched off for every source; the sandbox counts the calls its HTTP departments answered.
"""

from __future__ import annotations

import asyncio
import math
import time
import tomllib
from collections.abc import Sequence
from typing import Any

from bench.procs import HubProcess, SandboxProc
from bench.scenarios import CHECK, Client, http_calls, pct

__all__ = ["coalesce"]


async def _closed_loop(hub: HubProcess, usccs: Sequence[str], checks: int, concurrency: int
                       ) -> tuple[list[float], int]:
    client = Client(hub)
    latencies: list[float] = []
    shed = 0
    queue = list(range(checks))

    async def worker() -> None:
        nonlocal shed
        while queue:
            i = queue.pop()
            started = time.perf_counter()
            _, _, retries = await client.check_until_done(CHECK % "IPO_COMPLIANCE",
                                                             {"u": usccs[i % len(usccs)]})
            shed += retries
            latencies.append((time.perf_counter() - started) * 1000)

    try:
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    finally:
        await client.close()
    return latencies, shed


async def coalesce(sandbox: SandboxProc, usccs: list[str], checks: int, concurrency: int = 64
                   ) -> dict[str, Any]:
    sandbox.latency(True)
    table = tomllib.loads(sandbox.config_text)["sources"]
    ipo = {n: t for n, t in table.items() if t.get("check") == "IPO_COMPLIANCE" and t["enabled"]}
    http = [n for n, t in ipo.items() if t["transport"] != "sql"]
    ideal = sum(1 if ipo[n]["transport"] == "rest-single" else
                math.ceil(concurrency / ipo[n]["max_batch"]) / concurrency for n in http)
    figures: dict[str, Any] = {"coalesce.concurrency": concurrency, "coalesce.checks": checks,
                               "coalesce.http_sources": len(http),
                               "coalesce.ideal_calls_per_check": ideal}
    off: dict[str, dict[str, object]] = {
        n: {"coalesce": False} for n, t in table.items() if t["transport"] != "rest-single"}
    for label, overrides in (("on", {}), ("off", off)):
        hub = HubProcess(sandbox, overrides=overrides)
        try:
            await _closed_loop(hub, usccs, concurrency * 2, concurrency)  # warm-up
            before = http_calls(sandbox)
            cpu_before = hub.cpu_seconds()
            started = time.perf_counter()
            latencies, shed = await _closed_loop(hub, usccs, checks, concurrency)
            wall = time.perf_counter() - started
            calls = (http_calls(sandbox) - before) / checks
            prefix = "coalesce" if label == "on" else "coalesce.off"
            figures[f"{prefix}.calls_per_check"] = calls
            figures[f"{prefix}.p50_ms"] = pct(latencies, 50)
            figures[f"{prefix}.p99_ms"] = pct(latencies, 99)
            figures[f"{prefix}.checks_per_s"] = checks / wall
            figures[f"{prefix}.hub_cpu_ms_per_check"] = (hub.cpu_seconds() - cpu_before) \
                * 1000 / checks
            figures[f"{prefix}.shed_attempts"] = shed
        finally:
            hub.stop()
    return figures
