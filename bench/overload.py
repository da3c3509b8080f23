"""Overload (issue 15): open-loop arrivals at 4x the measured capacity, and what the hub sheds.

Against a fresh hub (zero sandbox latency, so the hub's CPU is the bottleneck):

1. capacity: closed-loop saturated checks/s (`workers` clients back to back; a client whose
   check was shed backs off, 10 ms doubling to 200 ms, jittered, before it sends again);
2. unloaded: open-loop arrivals at a quarter of capacity for twice `measure_s`; the p99 of the
   accepted checks, and the hub's CPU per check;
3. overload: open-loop arrivals at `factor` x capacity for `seconds`; every response is
   classified: accepted (200 with data), shed (503/429 RATE_LIMITED, GraphQL JSON), or an error
   of another kind (any other status or body, a connection error, a timeout); the accepted
   p99 is also given without the first second (`settled_p99_ms`: the limit adapting);
4. unloaded again (as 2), after the overload: the strict ratio takes the lower unloaded p99;
5. the hub is stopped (it flushes its shed ledger and signs a last checkpoint) and its audit
   log is read back: the entries plus the aggregate counts (`requests` of an aggregate entry)
   must equal the requests the bench sent to `/graphql`, exactly.

The client is a raw kept-alive HTTP/1.1 client on asyncio streams (no pipelining, one request
per connection at a time, a new connection when none is idle) so that one process can offer
several hundred checks/s beside the hub and the sandbox on two cores; the rate it achieved is
reported (`overload.offered_per_s`), and so is how late it sent (`overload.send_late_p99_ms`).
Every request carries an X-Request-Id naming its phase, so the hub's own log (JSON, one line
per admitted request with its latency from admission to audit commit) gives the same
latencies without the client's delays (`overload.hub_*`).
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from audit.log import AuditLog
from bench.procs import API_KEY, HubProcess, SandboxProc
from bench.scenarios import CHECK, pct

__all__ = ["RawClient", "Tally", "overload", "reconcile"]

QUERY = CHECK % "IPO_COMPLIANCE"
FAST_S = 0.050  # the acceptance: excess answered 503/429 within 50 ms


class RawClient:
    """POSTs GraphQL checks to the hub over kept-alive connections; never raises for a
    response, only classifies it."""

    def __init__(self, port: int, timeout_s: float = 30.0) -> None:
        self.port = port
        self.timeout_s = timeout_s
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.opened = 0
        self._head = (b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % port
                      + b"Content-Type: application/json\r\n"
                      + b"Accept: application/graphql-response+json\r\n"
                      + b"Authorization: Bearer " + API_KEY.encode() + b"\r\n"
                      + b"X-Hub-Purpose: IPO_COMPLIANCE\r\n")

    def payload(self, uscc: str, request_id: str) -> bytes:
        """The request bytes; `request_id` (X-Request-Id) ties it to the hub's log line."""
        body = orjson.dumps({"query": QUERY, "variables": {"u": uscc}})
        return (self._head + b"X-Request-Id: " + request_id.encode() + b"\r\n"
                + b"Content-Length: %d\r\n\r\n" % len(body) + body)

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._idle:
            return self._idle.pop()
        self.opened += 1
        return await asyncio.open_connection("127.0.0.1", self.port)

    async def send(self, payload: bytes) -> tuple[str, float]:
        """('ok' | 'shed' | 'error:<what>', seconds from the first byte written)."""
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.timeout_s):
                reader, writer = await self._connection()
                started = time.perf_counter()
                try:
                    writer.write(payload)
                    head = await reader.readuntil(b"\r\n\r\n")
                    length = 0
                    for line in head.split(b"\r\n"):
                        if line[:15].lower() == b"content-length:":
                            length = int(line[15:])
                    raw = await reader.readexactly(length)
                except BaseException:
                    writer.close()
                    raise
            took = time.perf_counter() - started
            if b"\r\nconnection: close" in head.lower():
                writer.close()
            else:
                self._idle.append((reader, writer))
        except TimeoutError:
            return "error:timeout", time.perf_counter() - started
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            return f"error:{type(exc).__name__}", time.perf_counter() - started
        return classify(int(head[9:12]), raw), took

    def close(self) -> None:
        for _, writer in self._idle:
            writer.close()
        self._idle.clear()


def classify(status: int, raw: bytes) -> str:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return f"error:{status}-not-json"
    if status == 200 and isinstance(body, dict) and body.get("data") and not body.get("errors"):
        return "ok"
    codes = {e.get("extensions", {}).get("code") for e in body.get("errors", ())} \
        if isinstance(body, dict) else set()
    if status in (429, 503) and codes == {"RATE_LIMITED"}:
        return "shed"
    return f"error:{status}-{','.join(sorted(str(c) for c in codes))}"


@dataclass
class Tally:
    sent: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    accepted_ms: list[float] = field(default_factory=list)
    shed_ms: list[float] = field(default_factory=list)
    late_ms: list[float] = field(default_factory=list)
    settled_ms: list[float] = field(default_factory=list)  # accepted, sent after the onset

    def add(self, outcome: str, seconds: float, settled: bool = False) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        if outcome == "ok":
            self.accepted_ms.append(seconds * 1000)
            if settled:
                self.settled_ms.append(seconds * 1000)
        elif outcome == "shed":
            self.shed_ms.append(seconds * 1000)

    @property
    def errors(self) -> int:
        return sum(n for k, n in self.outcomes.items() if k.startswith("error"))


async def closed_loop(client: RawClient, usccs: Sequence[str], seconds: float, workers: int,
                      phase: str) -> tuple[Tally, float]:
    tally = Tally()
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()

    async def worker(i: int) -> None:
        refused = 0
        while time.perf_counter() < deadline:
            tally.sent += 1
            outcome, took = await client.send(client.payload(usccs[i % len(usccs)],
                                                             f"{phase}-{i}-{tally.sent}"))
            tally.add(outcome, took)
            i += workers
            if outcome == "ok":
                refused = 0
            else:  # back off as `Client.check_until_done` does: a retry storm costs CPU too
                refused += 1
                await asyncio.sleep(min(0.2, 0.01 * 2 ** min(refused, 5))
                                    * random.uniform(0.5, 1.5))

    await asyncio.gather(*(worker(k) for k in range(workers)))
    return tally, time.perf_counter() - started


async def open_loop(client: RawClient, usccs: Sequence[str], rate: float, seconds: float,
                    phase: str, onset_s: float = 1.0) -> tuple[Tally, float]:
    """Arrivals at `rate`/s for `seconds` (a deterministic schedule), each its own task; the
    tally once every response is in, and the seconds it took to send them all. Accepted
    requests sent `onset_s` or later are also kept apart (`settled_ms`): the limit has adapted
    to the load by then."""
    tally = Tally()
    total = int(rate * seconds)
    payloads = [client.payload(usccs[i % len(usccs)], f"{phase}-{i}") for i in range(total)]
    tasks: list[asyncio.Task[None]] = []

    async def one(payload: bytes, settled: bool) -> None:
        tally.add(*await client.send(payload), settled)

    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    i = 0
    while i < total:
        now = time.perf_counter()
        due = min(total, int((now - started) * rate) + 1)
        while i < due:  # every arrival that is due now, late ones included
            tally.late_ms.append(max(0.0, (now - started - i / rate) * 1000))
            tasks.append(loop.create_task(one(payloads[i], i >= onset_s * rate)))
            tally.sent += 1
            i += 1
        delay = started + i / rate - time.perf_counter()
        await asyncio.sleep(max(0.0, delay))
    sending = time.perf_counter() - started
    await asyncio.gather(*tasks)
    return tally, sending


async def reconcile(store_url: str) -> tuple[int, int, int]:
    """(entries, aggregate entries, Σ requests) of a hub's audit log: an aggregate entry counts
    its `requests`, any other entry one."""
    log = await AuditLog.open(store_url, None)
    entries = aggregates = requests = 0
    try:
        async for row in log.rows():
            body = orjson.loads(row.body)
            entries += 1
            if body.get("requests") is not None:
                aggregates += 1
                requests += int(body["requests"])
            else:
                requests += 1
    finally:
        await log.close()
    return entries, aggregates, requests


async def overload(sandbox: SandboxProc, usccs: list[str], *, seconds: float = 20.0,
                   factor: float = 4.0, workers: int = 16, measure_s: float = 10.0,
                   rate: float | None = None) -> dict[str, Any]:
    """`rate`: the overload's arrivals per second, instead of `factor` x the capacity."""
    sandbox.latency(False)
    log_path = Path(tempfile.mkdtemp(prefix="bench-overload-")) / "hub.log"
    hub = HubProcess(sandbox, log_path=log_path)
    client = RawClient(hub.port)
    sent = 0
    f: dict[str, Any] = {}
    try:
        warm, _ = await closed_loop(client, usccs, 2.0, 8, "warm")
        sent += warm.sent
        cap, wall = await closed_loop(client, usccs, measure_s, workers, "capacity")
        sent += cap.sent
        capacity = cap.outcomes.get("ok", 0) / wall
        f["overload.capacity_per_s"] = capacity
        f["overload.capacity_shed"] = cap.outcomes.get("shed", 0)
        f["overload.capacity_errors"] = cap.errors
        f["overload.capacity_p99_ms"] = pct(cap.accepted_ms, 99)

        calm_cpu = hub.cpu_seconds()
        calm, _ = await open_loop(client, usccs, capacity / 4, 2 * measure_s, "unloaded")
        calm_cpu = hub.cpu_seconds() - calm_cpu
        sent += calm.sent
        per_check = calm_cpu / max(1, calm.outcomes.get("ok", 0))
        unloaded_p99 = pct(calm.accepted_ms, 99)
        f["overload.unloaded_rate_per_s"] = capacity / 4
        f["overload.unloaded_p50_ms"] = pct(calm.accepted_ms, 50)
        f["overload.unloaded_p99_ms"] = unloaded_p99
        f["overload.unloaded_shed"] = calm.outcomes.get("shed", 0)
        f["overload.unloaded_errors"] = calm.errors
        f["overload.unloaded_hub_cpu_ms_per_check"] = per_check * 1000

        hub_cpu = hub.cpu_seconds()
        target = rate if rate is not None else capacity * factor
        run, sending = await open_loop(client, usccs, target, seconds, "overload")
        hub_cpu = hub.cpu_seconds() - hub_cpu
        sent += run.sent
        accepted, shed = run.outcomes.get("ok", 0), run.outcomes.get("shed", 0)
        excess = run.sent - capacity * seconds
        fast = sum(1 for ms in run.shed_ms if ms <= FAST_S * 1000)
        f.update({
            "overload.factor": target / capacity, "overload.seconds": seconds,
            "overload.target_per_s": target,
            "overload.offered": run.sent, "overload.offered_per_s": run.sent / sending,
            "overload.send_late_p99_ms": pct(run.late_ms, 99),
            "overload.accepted": accepted, "overload.accepted_per_s": accepted / seconds,
            "overload.shed": shed, "overload.excess": excess,
            "overload.shed_fast": fast,
            "overload.excess_shed_fast_share": fast / excess if excess > 0 else None,
            # What the hub did not accept, answered 503/429 within 50 ms: the same share when
            # the hub accepts exactly its measured capacity, higher when it accepts less.
            "overload.refused_fast_share": fast / max(1, run.sent - accepted),
            "overload.hub_cpu_s": hub_cpu,
            "overload.hub_cpu_ms_per_request": hub_cpu * 1000 / max(1, run.sent),
            "overload.shed_p50_ms": pct(run.shed_ms, 50),
            "overload.shed_p99_ms": pct(run.shed_ms, 99),
            "overload.accepted_p50_ms": pct(run.accepted_ms, 50),
            "overload.accepted_p99_ms": pct(run.accepted_ms, 99),
            "overload.accepted_p99_ratio": pct(run.accepted_ms, 99) / unloaded_p99,
            "overload.settled_p99_ms": pct(run.settled_ms, 99),
            "overload.settled_p99_ratio": pct(run.settled_ms, 99) / unloaded_p99,
            "overload.other_errors": run.errors,
            "overload.error_kinds": {k: n for k, n in run.outcomes.items()
                                     if k.startswith("error")},
            "overload.connections": client.opened,
        })
        # The unloaded p99 once more, after the overload: on a shared machine it moves by
        # several times between runs; the strict ratio takes the lower of the two.
        after, _ = await open_loop(client, usccs, capacity / 4, 2 * measure_s, "after")
        sent += after.sent
        lower = min(unloaded_p99, pct(after.accepted_ms, 99))
        f.update({
            "overload.unloaded_after_p99_ms": pct(after.accepted_ms, 99),
            "overload.unloaded_after_errors": after.errors,
            "overload.accepted_p99_ratio_strict": pct(run.accepted_ms, 99) / lower,
        })
    finally:
        client.close()
        hub.stop()  # drains, flushes the shed ledger, signs a last checkpoint
        sandbox.latency(True)
    f.update(hub_side(log_path))
    entries, aggregates, audited = await reconcile(_store_url(hub))
    f.update({"overload.requests_sent": sent, "overload.audit_entries": entries,
              "overload.audit_aggregates": aggregates, "overload.audit_requests": audited,
              "overload.audit_exact": audited == sent})
    return f


def hub_side(log_path: Path) -> dict[str, Any]:
    """Latencies as the hub measured them (its JSON log line per admitted request: admission
    to audit commit), by phase (the X-Request-Id prefix): free of the client's own delays on a
    shared machine, which the latencies above include."""
    by_phase: dict[str, list[float]] = {}
    for line in log_path.read_bytes().splitlines():
        try:
            entry = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if (isinstance(entry, dict) and entry.get("message") == "request"
                and entry.get("status") == 200 and entry.get("outcome") == "ALLOWED"):
            phase = str(entry.get("request_id", "")).split("-")[0]
            by_phase.setdefault(phase, []).append(float(entry["latency_ms"]))
    unloaded = min(pct(by_phase.get("unloaded", []), 99), pct(by_phase.get("after", []), 99))
    loaded = pct(by_phase.get("overload", []), 99)
    return {"overload.hub_unloaded_p50_ms": pct(by_phase.get("unloaded", []), 50),
            "overload.hub_unloaded_p99_ms": pct(by_phase.get("unloaded", []), 99),
            "overload.hub_after_p99_ms": pct(by_phase.get("after", []), 99),
            "overload.hub_accepted_p50_ms": pct(by_phase.get("overload", []), 50),
            "overload.hub_accepted_p99_ms": loaded,
            "overload.hub_p99_ratio_strict": loaded / unloaded,
            "overload.hub_logged": {k: len(v) for k, v in by_phase.items()}}


def _store_url(hub: HubProcess) -> str:
    from hub.config.settings import load_settings

    return load_settings(Path(hub.workdir / "hub.toml")).store_url
