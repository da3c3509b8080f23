"""The benchmark scenarios. Each returns a flat dict of figures (keys as in latest.json)."""

from __future__ import annotations

import asyncio
import dataclasses
import math
import random
import time
import tomllib
from collections.abc import Sequence
from typing import Any

import aiohttp
import orjson

from bench.floor import floor_sources
from bench.procs import API_KEY, HubProcess, SandboxProc
from connectors.auth import resolve_credential
from connectors.base import FetchResult
from connectors.config import SourceConfig
from connectors.registry import Connectors
from hub.config.sources import parse_sources
from sandbox.departments import SOURCES

CHECK = """query($u: USCC!) { complianceCheck(kind: %s, uscc: $u) {
  verdict registry { source latencyMs } domains { domain source status latencyMs } } }"""
BATCH = """query($u: [USCC!]!) { complianceChecks(kind: IPO_COMPLIANCE, usccs: $u) {
  verdict registry { source latencyMs } domains { source status latencyMs } } }"""


def critical_path(report: dict[str, Any]) -> float:
    """The sources' own share of a check, in ms: the registry is asked first (the subject gate),
    then every other source at once, so the registry's latency plus the slowest of the others
    (the registry's own domain row, in a bankruptcy check, is that same answer)."""
    registry = report["registry"]
    others = [d["latencyMs"] or 0 for d in report["domains"] if d["source"] != registry["source"]]
    return float((registry["latencyMs"] or 0) + max(others, default=0))


def pct(values: Sequence[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


class Client:
    def __init__(self, hub: HubProcess) -> None:
        self.url = hub.url
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=1000),
            timeout=aiohttp.ClientTimeout(total=30))

    async def post(self, query: str, variables: dict[str, Any], purpose: str = "IPO_COMPLIANCE"
                   ) -> tuple[int, dict[str, Any], float]:
        try:
            return await self._post(query, variables, purpose)
        except aiohttp.ServerDisconnectedError:
            # A kept-alive connection closed by the server as it was reused: send once more.
            return await self._post(query, variables, purpose)

    async def _post(self, query: str, variables: dict[str, Any], purpose: str
                    ) -> tuple[int, dict[str, Any], float]:
        started = time.perf_counter()
        async with self.session.post(self.url, data=orjson.dumps(
                {"query": query, "variables": variables}), headers={
                "Content-Type": "application/json", "Authorization": f"Bearer {API_KEY}",
                "X-Hub-Purpose": purpose}) as resp:
            raw = await resp.read()
            # uvicorn's own overload 503 (limit_concurrency) is plain text, not GraphQL JSON.
            body = orjson.loads(raw) if resp.content_type.endswith("json") else {}
            return resp.status, body, time.perf_counter() - started

    async def check_until_done(self, query: str, variables: dict[str, Any],
                               purpose: str = "IPO_COMPLIANCE") -> tuple[dict[str, Any], float, int]:
        """A check sent again while the hub sheds it (503/429 RATE_LIMITED: admission control):
        the body, the latency of the answered request, and how many times it was shed."""
        shed = 0
        while True:
            status, body, seconds = await self.post(query, variables, purpose)
            if status not in (429, 503):
                return body, seconds, shed
            shed += 1
            # Back off (10 ms doubling to 200 ms, jittered): a retry storm would itself lag the
            # hub's event loop, which is what makes the admission limit shed.
            await asyncio.sleep(min(0.2, 0.01 * 2 ** min(shed, 5)) * random.uniform(0.5, 1.5))

    async def close(self) -> None:
        await self.session.close()


def ipo_configs(sandbox: SandboxProc, kind: str = "IPO_COMPLIANCE") -> list[SourceConfig]:
    """The enabled sources of a check and the registry (the subject gate), uncoalesced: the
    direct gather is one request's calls."""
    return [dataclasses.replace(c, coalesce=False)
            for c in parse_sources(tomllib.loads(sandbox.config_text)["sources"])
            if (c.check == kind or c.record == "registration") and c.enabled]


def schedule_floor(configs: list[SourceConfig], n: int, *, reserve: int = 0
                   ) -> tuple[float, str]:
    """Seconds the slowest source needs for `n` enterprises, and which source that is."""
    latency = {s.name: s.latency_ms for s in SOURCES}
    worst, name = 0.0, ""
    for c in configs:
        if c.transport == "sql":
            continue  # the SQL 前置库 has no simulated latency
        slots = max(1, c.concurrency - reserve)
        seconds = math.ceil(math.ceil(n / c.keys_per_call) / slots) * latency[c.name] / 1000
        if seconds > worst:
            worst, name = seconds, c.name
    return worst, name


def batch_floor(configs: list[SourceConfig], n: int) -> float:
    """Seconds a check of `n` enterprises needs at the departments' nominal latencies: the
    registry's rounds of calls (the subject gate), then the slowest other source's schedule."""
    registry = next(c for c in configs if c.record == "registration")
    gate, _ = schedule_floor([registry], n)
    rest, _ = schedule_floor([c for c in configs if c is not registry], n)
    return gate + rest


def http_calls(sandbox: SandboxProc) -> int:
    """Calls the HTTP departments have answered so far (the SQL 前置库 cannot be counted)."""
    return sum(s["calls"] for s in sandbox.stats().values())


async def _direct_connectors(sandbox: SandboxProc, kind: str) -> Connectors:
    """The sources of a check and the registry, opened directly (no hub), uncoalesced."""
    return await Connectors.open(ipo_configs(sandbox, kind))


async def _gated(connectors: Connectors, keys: list[str]) -> list[FetchResult]:
    """The physical limit of a check as the hub makes it: the registry first (the subject
    gate), then every other source at once."""
    registry = next(n for n, c in connectors.items() if c.config.record == "registration")
    first = await connectors[registry].fetch(keys)
    rest = await asyncio.gather(*(c.fetch(keys) for n, c in connectors.items() if n != registry))
    return [first, *rest]


async def single(hub: HubProcess, sandbox: SandboxProc, usccs: list[str], n: int,
                 naive_n: int) -> dict[str, Any]:
    sandbox.latency(True)
    client = Client(hub)
    try:
        for u in usccs[:10]:  # warm-up: connections, caches
            await client.post(CHECK % "IPO_COMPLIANCE", {"u": u})
        figures: dict[str, Any] = {}
        for kind in ("IPO_COMPLIANCE", "BANKRUPTCY"):
            latencies, overheads = [], []
            for i in range(n):
                _, body, seconds = await client.post(CHECK % kind, {"u": usccs[i % len(usccs)]},
                                                          purpose=kind)
                domains = body["data"]["complianceCheck"]["domains"]
                slowest = critical_path(body["data"]["complianceCheck"]) / 1000
                latencies.append(seconds * 1000)
                overheads.append((seconds - slowest) * 1000)
            key = "single" if kind == "IPO_COMPLIANCE" else "single_bankruptcy"
            figures[f"{key}.hub_p50_ms"] = pct(latencies, 50)
            figures[f"{key}.hub_p99_ms"] = pct(latencies, 99)
            figures[f"{key}.overhead_p50_ms"] = pct(overheads, 50)
            figures[f"{key}.overhead_p99_ms"] = pct(overheads, 99)
            figures[f"{key}.sources"] = len(domains) - sum(d["status"] == "DISABLED"
                                                           for d in domains)
    finally:
        await client.close()
    connectors = await _direct_connectors(sandbox, "IPO_COMPLIANCE")
    try:
        limit, limit_overhead, naive = [], [], []
        for i in range(n):
            key = usccs[i % len(usccs)]
            started = time.perf_counter()
            first, *results = await _gated(connectors, [key])
            wall = (time.perf_counter() - started) * 1000
            slowest = (first.answers[key].latency_ms or 0) + max(
                r.answers[key].latency_ms or 0 for r in results)
            limit.append(wall)
            limit_overhead.append(wall - slowest)
        for i in range(naive_n):
            started = time.perf_counter()
            for c in connectors.values():
                await c.fetch([usccs[i % len(usccs)]])
            naive.append((time.perf_counter() - started) * 1000)
    finally:
        await connectors.aclose()
    figures["single.limit_p50_ms"] = pct(limit, 50)
    figures["single.limit_overhead_p50_ms"] = pct(limit_overhead, 50)
    figures["single.limit_overhead_p99_ms"] = pct(limit_overhead, 99)
    figures["single.hub_minus_limit_p50_ms"] = figures["single.hub_p50_ms"] - pct(limit, 50)
    figures["single.naive_p50_ms"] = pct(naive, 50)
    extra = figures["single.sources"] - figures["single_bankruptcy.sources"]
    figures["single.per_extra_source_ms"] = (
        figures["single.overhead_p50_ms"] - figures["single_bankruptcy.overhead_p50_ms"]) / extra
    return figures


async def cpu(hub: HubProcess, sandbox: SandboxProc, usccs: list[str], checks: int,
              concurrency: int = 8) -> dict[str, Any]:
    """Hub CPU per check against the CPU the bare fan-out costs, at zero sandbox latency."""
    sandbox.latency(False)
    client = Client(hub)
    queue = list(range(checks))

    async def worker(work: list[int], run: Any) -> None:
        while work:
            i = work.pop()
            await run(usccs[i % len(usccs)])

    try:
        shed = 0

        async def hub_check(u: str) -> None:
            # Every check is completed: the CPU per check includes what shed attempts cost.
            nonlocal shed
            shed += (await client.check_until_done(CHECK % "IPO_COMPLIANCE", {"u": u}))[2]

        await asyncio.gather(*(worker(list(range(50)), hub_check) for _ in range(concurrency)))
        calls_before = http_calls(sandbox)
        before = hub.cpu_seconds()
        started = time.perf_counter()
        await asyncio.gather(*(worker(queue, hub_check) for _ in range(concurrency)))
        wall = time.perf_counter() - started
        hub_ms = (hub.cpu_seconds() - before) * 1000 / checks
        hub_calls = (http_calls(sandbox) - calls_before) / checks
        shed_during_run = shed
    finally:
        await client.close()
    connectors = await _direct_connectors(sandbox, "IPO_COMPLIANCE")
    try:
        async def direct(u: str) -> None:
            await _gated(connectors, [u])

        await asyncio.gather(*(worker(list(range(50)), direct) for _ in range(concurrency)))
        before_cpu = time.process_time()
        shared = list(range(checks))
        await asyncio.gather(*(worker(shared, direct) for _ in range(concurrency)))
        limit_ms = (time.process_time() - before_cpu) * 1000 / checks
    finally:
        await connectors.aclose()
    configs = ipo_configs(sandbox)
    floor = floor_sources(configs, {c.name: resolve_credential(c.credential)
                                    for c in configs if c.transport != "sql"})
    try:
        async def raw(u: str) -> None:
            await asyncio.gather(*(f.call([u]) for f in floor))

        await asyncio.gather(*(worker(list(range(50)), raw) for _ in range(concurrency)))
        before_cpu = time.process_time()
        shared = list(range(checks))
        await asyncio.gather(*(worker(shared, raw) for _ in range(concurrency)))
        floor_ms = (time.process_time() - before_cpu) * 1000 / checks
    finally:
        for f in floor:
            f.close()
    sandbox.latency(True)
    return {"cpu.hub_ms_per_check": hub_ms, "cpu.limit_ms_per_check": limit_ms,
            "cpu.ratio": hub_ms / limit_ms, "cpu.checks_per_core_s": 1000 / hub_ms,
            "cpu.floor_ms_per_check": floor_ms, "cpu.hub_over_floor": hub_ms / floor_ms,
            "cpu.floor_calls_per_check": len(floor),
            "cpu.hub_http_calls_per_check": hub_calls, "cpu.shed_attempts": shed_during_run,
            "cpu.closed_loop_checks_per_s": checks / wall}


async def warm_up(hub: HubProcess, sandbox: SandboxProc, usccs: list[str], checks: int,
                  concurrency: int = 8) -> None:
    """IPO and bankruptcy checks at zero sandbox latency, as the single and cpu scenarios run
    them before the batch one in a full run: the hub's caches and pools in their working state
    (the batch memory figure counts from the RSS before the batches)."""
    sandbox.latency(False)
    client = Client(hub)
    try:
        for kind in ("IPO_COMPLIANCE", "BANKRUPTCY"):
            queue = list(range(checks))

            async def worker(kind: str = kind, queue: list[int] = queue) -> None:
                while queue:
                    u = usccs[queue.pop() % len(usccs)]
                    await client.check_until_done(CHECK % kind, {"u": u}, purpose=kind)

            await asyncio.gather(*(worker() for _ in range(concurrency)))
    finally:
        await client.close()
        sandbox.latency(True)


async def _per_item(client: Client, usccs: Sequence[str], sem: asyncio.Semaphore) -> None:
    """Every enterprise checked by a request of its own, each one answered: one the hub sheds
    is sent again (backing off), so the time is that of n answered checks, not of n tries."""
    async def one(u: str) -> None:
        async with sem:
            await client.check_until_done(CHECK % "IPO_COMPLIANCE", {"u": u})

    await asyncio.gather(*(one(u) for u in usccs))


def _ideal_calls(sandbox: SandboxProc, n: int) -> tuple[int, list[str]]:
    table = tomllib.loads(sandbox.config_text)["sources"]
    ideal, observable = 0, []
    for name, t in table.items():
        asked = t.get("check") == "IPO_COMPLIANCE" or t["record"] == "registration"  # the gate
        if not asked or not t["enabled"] or t["transport"] == "sql":
            continue
        observable.append(name)
        ideal += n if t["transport"] == "rest-single" else math.ceil(n / t["max_batch"])
    return ideal, observable


async def batch(hub: HubProcess, sandbox: SandboxProc, usccs: list[str],
                sizes: Sequence[int]) -> dict[str, Any]:
    sandbox.latency(True)
    client = Client(hub)
    figures: dict[str, Any] = {}
    rss_before, _ = hub.rss_mb()
    figures["batch.rss_before_mb"] = rss_before
    try:
        for n in sizes:
            sandbox.reset()
            # The batch's memory against what the hub held just before it: the per-item
            # checks of the smaller sizes, run before, leave the process larger than it began.
            rss_n, _ = hub.rss_mb()
            hub.reset_peak()
            figures[f"batch.{n}.rss_before_mb"] = rss_n
            _, body, seconds = await client.post(BATCH, {"u": usccs[:n]})
            reports = body["data"]["complianceChecks"]
            slowest = max(critical_path(r) for r in reports)
            figures[f"batch.{n}.incomplete"] = sum(r["verdict"] == "INCOMPLETE" for r in reports)
            stats = sandbox.stats()
            ideal, observable = _ideal_calls(sandbox, n)
            _, peak = hub.rss_mb()
            figures[f"batch.{n}.wall_s"] = seconds
            figures[f"batch.{n}.slowest_source_s"] = slowest / 1000
            figures[f"batch.{n}.source_calls"] = sum(stats[s]["calls"] for s in observable)
            figures[f"batch.{n}.ideal_calls"] = ideal
            figures[f"batch.{n}.peak_rss_mb"] = peak
            started = time.perf_counter()
            await _per_item(client, usccs[:n], asyncio.Semaphore(64))
            figures[f"batch.{n}.per_item_wall_s"] = time.perf_counter() - started
            figures[f"batch.{n}.speedup"] = figures[f"batch.{n}.per_item_wall_s"] / seconds
        connectors = await _direct_connectors(sandbox, "IPO_COMPLIANCE")
        try:
            for n in sizes:
                started = time.perf_counter()
                await _gated(connectors, usccs[:n])
                figures[f"batch.{n}.limit_s"] = time.perf_counter() - started
        finally:
            await connectors.aclose()
        biggest = max(sizes)
        # The bound: wall <= 1.1 x the schedule floor + 150 ms.
        floor = batch_floor(ipo_configs(sandbox), biggest)
        figures[f"batch.{biggest}.schedule_floor_s"] = floor
        figures[f"batch.{biggest}.over_schedule_ms"] = (
            figures[f"batch.{biggest}.wall_s"] - 1.1 * floor) * 1000
        figures["batch.kb_per_enterprise"] = (
            (figures[f"batch.{biggest}.peak_rss_mb"] - figures[f"batch.{biggest}.rss_before_mb"])
            * 1024 / biggest)
    finally:
        await client.close()
    return figures


async def open_loop(hub: HubProcess, usccs: list[str], rate: float, seconds: float
                    ) -> dict[str, Any]:
    client = Client(hub)
    latencies: list[float] = []
    outcomes = {"ok": 0, "rate_limited": 0, "errors": 0}
    tasks = []

    async def one(u: str) -> None:
        try:
            status, body, took = await client.post(CHECK % "IPO_COMPLIANCE", {"u": u})
        except (aiohttp.ClientError, TimeoutError):
            outcomes["errors"] += 1
            return
        if status == 200 and body.get("data"):
            outcomes["ok"] += 1
            latencies.append(took * 1000)
        elif status == 503:
            outcomes["rate_limited"] += 1
        else:
            outcomes["errors"] += 1

    started = time.perf_counter()
    total = int(rate * seconds)
    for i in range(total):
        delay = started + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(usccs[i % len(usccs)])))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    await client.close()
    return {"offered": rate, "completed_per_s": outcomes["ok"] / elapsed,
            "p99_ms": pct(latencies, 99), "p50_ms": pct(latencies, 50), **outcomes}


async def throughput(hub: HubProcess, sandbox: SandboxProc, usccs: list[str],
                     rates: Sequence[float], seconds: float) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    best = 0.0
    collapsed = False
    for latency in (False, True):
        sandbox.latency(latency)
        label = "default" if latency else "zero"
        steps = []
        for rate in rates:
            step = await open_loop(hub, usccs, rate, seconds)
            steps.append(step)
            figures[f"throughput.{label}.{int(rate)}"] = step
        peak = max(s["completed_per_s"] for s in steps)
        best = max(best, peak)
        last = steps[-1]
        # Collapse: offered more than it can take, it completes far less than its peak, or
        # requests time out instead of being shed.
        if last["completed_per_s"] < 0.7 * peak or last["errors"] > 0.01 * last["offered"] * seconds:
            collapsed = True
        figures[f"throughput.{label}.max_checks_per_s"] = peak
    sandbox.latency(True)
    figures["throughput.max_checks_per_s"] = best
    figures["throughput.collapsed"] = collapsed
    return figures


async def faults(sandbox: SandboxProc, usccs: list[str], n: int) -> dict[str, Any]:
    sandbox.latency(True)
    hub = HubProcess(sandbox, overrides={"xf_penalties": {"timeout_s": 0.5}})
    client = Client(hub)
    try:
        sandbox.fault("xf_penalties", "slow:2000")
        sandbox.fault("sw_penalties", "down")
        latencies, others_ok = [], True
        for i in range(n):
            _, body, seconds = await client.post(CHECK % "IPO_COMPLIANCE",
                                                      {"u": usccs[i % len(usccs)]})
            # By source: the tax domain has two (penalties, and taxes owed).
            sources = {d["source"]: d["status"]
                       for d in body["data"]["complianceCheck"]["domains"]}
            latencies.append(seconds * 1000)
            assert sources["xf_penalties"] == "UNAVAILABLE"
            assert sources["sw_penalties"] == "UNAVAILABLE"
            others_ok &= all(s in ("OK", "DISABLED") for d, s in sources.items()
                             if d not in ("xf_penalties", "sw_penalties"))
            assert body["data"]["complianceCheck"]["verdict"] != "CLEAN"
    finally:
        await client.close()
        sandbox.reset()
        hub.stop()
    return {"faults.p50_ms": pct(latencies, 50), "faults.max_ms": max(latencies),
            "faults.timeout_ms": 500, "faults.others_unaffected": others_ok}


async def _saturate_politely(client: Client, usccs: Sequence[str], seconds: float,
                             concurrency: int) -> tuple[int, int]:
    """Closed loop as in the cpu scenario: `concurrency` clients checking back to back for
    `seconds`, each backing off while the hub sheds it; (checks done, attempts shed)."""
    deadline = time.perf_counter() + seconds
    done = shed = 0

    async def worker(offset: int) -> None:
        nonlocal done, shed
        i = offset
        while time.perf_counter() < deadline:
            shed += (await client.check_until_done(CHECK % "IPO_COMPLIANCE",
                                                   {"u": usccs[i % len(usccs)]}))[2]
            done += 1
            i += concurrency

    await asyncio.gather(*(worker(k) for k in range(concurrency)))
    return done, shed


async def audit_cost(sandbox: SandboxProc, usccs: list[str], seconds: float,
                     concurrency: int = 8, rounds: int = 4) -> dict[str, Any]:
    """Saturated closed-loop checks/s at zero sandbox latency, auditing on and off, and the
    hub's CPU per completed check in the same runs.

    The two hubs run side by side and take turns: `rounds` windows each, alternated, of
    `seconds / rounds` (a machine whose speed drifts during the scenario moves both alike).
    The clients are the cpu scenario's: eight, each backing off while the hub sheds it.
    Clients that send again at once measured the shedding, not the audit: on a 2-core
    machine half as fast as the one the targets were set on, eight of them made ~15,000
    shed attempts for ~300 checks in 8 s, and the CPU per check doubled."""
    sandbox.latency(False)
    hubs = {audit: HubProcess(sandbox, audit=audit) for audit in (True, False)}
    clients = {audit: Client(hub) for audit, hub in hubs.items()}
    done = dict.fromkeys(hubs, 0)
    shed = dict.fromkeys(hubs, 0)
    wall = dict.fromkeys(hubs, 0.0)
    cpu = dict.fromkeys(hubs, 0.0)
    try:
        for audit in hubs:
            await _saturate_politely(clients[audit], usccs, 1.0, concurrency)
        for _ in range(rounds):
            for audit, hub in hubs.items():
                started, cpu_before = time.perf_counter(), hub.cpu_seconds()
                n, s = await _saturate_politely(clients[audit], usccs, seconds / rounds,
                                                concurrency)
                wall[audit] += time.perf_counter() - started
                cpu[audit] += hub.cpu_seconds() - cpu_before
                done[audit] += n
                shed[audit] += s
    finally:
        for audit, hub in hubs.items():
            await clients[audit].close()
            hub.stop()
    sandbox.latency(True)
    rates = {audit: done[audit] / wall[audit] for audit in hubs}
    per_check = {audit: cpu[audit] * 1000 / max(done[audit], 1) for audit in hubs}
    return {"audit.on_checks_per_s": rates[True], "audit.off_checks_per_s": rates[False],
            "audit.on_off_ratio": rates[True] / rates[False],
            "audit.on_cpu_ms_per_check": per_check[True],
            "audit.off_cpu_ms_per_check": per_check[False],
            "audit.per_core_s_ratio": per_check[False] / per_check[True],
            "audit.on_shed_attempts": shed[True], "audit.off_shed_attempts": shed[False]}
