"""`python -m bench --jobs`: a 10,000-enterprise IPO batch check job against real processes.

Figures (under `job.*` in bench/results/latest.json):

- `job.floor_s`: the schedule floor, computed from the sandbox's configuration: for each source
  the check asks, ⌈n / batch⌉ calls (batch 1 for a one-key-per-call source) at its concurrency,
  each taking the department's nominal latency; the slowest source's schedule is the floor.
  (`job.floor_background_s`: the same with the concurrency a job may use, all slots but one.)
- `job.wall_s` (submit to DONE) and `job.wall_over_floor` (target ≤ 1.2).
- `job.incomplete` (target 0 with every department up), `job.verdicts`.
- `job.peak_rss_mb` of the hub process (target ≤ 200 MB), `job.hub_cpu_s` (CPU the hub spent
  on the job; on this shared machine a steadier figure than wall time).
- `job.interactive_p99_ms` during the job and `job.interactive_idle_p99_ms` without it (same
  load: `CLIENTS` clients, one IPO complianceCheck after another), and their ratio (target ≤
  1.5); `job.interactive_refused` counts the interactive checks shed or failed [idle, during].
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import orjson

from bench.procs import API_KEY, HubProcess, SandboxProc
from bench.scenarios import CHECK, Client, ipo_configs, pct, schedule_floor

__all__ = ["CLIENTS", "JOB_SECTIONS", "jobs", "schedule_floor"]

CLIENTS = 2
JOB_SECTIONS = "[jobs]\nchunk = 100\nchunks_in_flight = 4\n"
STATUS = """query($id: ID!) { checkJob(id: $id) { status total done
  verdicts { verdict count } } }"""


async def _interactive(client: Client, usccs: list[str], stop: asyncio.Event,
                       latencies: list[float], refused: list[int]) -> None:
    i = 0
    while not stop.is_set():
        status, body, seconds = await client.post(CHECK % "IPO_COMPLIANCE",
                                                  {"u": usccs[i % len(usccs)]})
        if status == 200 and "errors" not in body:
            latencies.append(seconds * 1000)
        else:
            refused.append(status)  # shed (503) or failed: counted, and tried again
            await asyncio.sleep(0.05)
        i += 1


async def _load(client: Client, usccs: list[str], seconds: float | None,
                stop: asyncio.Event) -> tuple[list[float], list[int]]:
    """Latencies (ms) of the interactive checks answered, and the statuses of those refused."""
    latencies: list[float] = []
    refused: list[int] = []
    tasks = [asyncio.create_task(_interactive(client, usccs[k::CLIENTS], stop, latencies,
                                              refused)) for k in range(CLIENTS)]
    if seconds is not None:
        await asyncio.sleep(seconds)
        stop.set()
    await asyncio.gather(*tasks)
    return latencies, refused


async def jobs(sandbox: SandboxProc, usccs: list[str], interactive: list[str],
               idle_s: float = 20.0) -> dict[str, Any]:
    configs = ipo_configs(sandbox)
    floor, slowest = schedule_floor(configs, len(usccs))
    background, _ = schedule_floor(configs, len(usccs), reserve=1)
    hub = HubProcess(sandbox, sections=JOB_SECTIONS)
    client = Client(hub)
    figures: dict[str, Any] = {"job.n": len(usccs), "job.floor_s": round(floor, 2),
                               "job.floor_source": slowest,
                               "job.floor_background_s": round(background, 2)}
    try:
        for u in interactive[:5]:  # warm up
            await client.post(CHECK % "IPO_COMPLIANCE", {"u": u})
        idle, idle_refused = await _load(client, interactive, idle_s, asyncio.Event())
        base = hub.url.removesuffix("/graphql")
        body = ("\n".join(usccs) + "\n").encode()
        cpu_before = hub.cpu_seconds()
        started = time.perf_counter()
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{base}/jobs?kind=IPO_COMPLIANCE", data=body, headers={
                    "Authorization": f"Bearer {API_KEY}", "Content-Type": "text/csv",
                    "X-Hub-Purpose": "IPO_COMPLIANCE"}) as resp:
                answer = orjson.loads(await resp.read())
                if resp.status != 202:
                    raise RuntimeError(f"the job was refused: {answer}")
        job_id = answer["jobId"]
        stop = asyncio.Event()
        during = asyncio.create_task(_load(client, interactive, None, stop))
        job: dict[str, Any] = {}
        peak = 0.0
        while True:
            await asyncio.sleep(0.25)
            peak = max(peak, hub.rss_mb()[0])
            code, state, _ = await client.post(STATUS, {"id": job_id})
            if not (state.get("data") or {}).get("checkJob"):
                print(f"  checkJob answered {code}: {state}", flush=True)
                continue
            job = state["data"]["checkJob"]
            if job["status"] not in ("QUEUED", "RUNNING"):
                break
        wall = time.perf_counter() - started
        stop.set()
        busy, busy_refused = await during
        verdicts = {v["verdict"]: v["count"] for v in job["verdicts"]}
        idle_p99, busy_p99 = pct(idle, 99), pct(busy, 99)
        figures.update({
            "job.status": job["status"], "job.wall_s": round(wall, 2),
            "job.wall_over_floor": round(wall / floor, 3),
            "job.incomplete": verdicts.get("INCOMPLETE", 0), "job.verdicts": verdicts,
            "job.peak_rss_mb": round(max(peak, hub.rss_mb()[1]), 1),
            "job.hub_cpu_s": round(hub.cpu_seconds() - cpu_before, 2),
            "job.interactive_idle_p50_ms": round(pct(idle, 50), 1),
            "job.interactive_idle_p99_ms": round(idle_p99, 1),
            "job.interactive_p50_ms": round(pct(busy, 50), 1),
            "job.interactive_p99_ms": round(busy_p99, 1),
            "job.interactive_p99_ratio": round(busy_p99 / idle_p99, 3),
            "job.interactive_checks": [len(idle), len(busy)],
            "job.interactive_refused": [len(idle_refused), len(busy_refused)]})
    finally:
        await client.close()
        hub.stop()
    return figures
