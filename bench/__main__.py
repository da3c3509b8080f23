"""`python -m bench [--quick]`: run every scenario against real processes, print one table,
write bench/results/latest.json. See bench/README.md for what each figure means."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from bench import scenarios
from bench.clients import compare_clients
from bench.fanout import coalesce
from bench.overload import overload
from bench.procs import HubProcess, SandboxProc
from hub.commands.sandbox_cmd import run_loop
from sandbox.data import World

RESULTS = Path(__file__).parent / "results" / "latest.json"
CLIENT_PROBE = "yjj_penalties"  # a GET source with an app key header: no per-call signing

# (key, target, how it is compared, label)
TARGETS: list[tuple[str, float, str, str]] = [
    ("single.overhead_p50_ms", 3.0, "<=", "single check: p50 overhead (ms)"),
    ("single.overhead_p99_ms", 10.0, "<=", "single check: p99 overhead (ms)"),
    ("single.per_extra_source_ms", 0.15, "<=", "overhead per extra source (ms)"),
    ("cpu.ratio", 1.3, "<=", "hub CPU per check / direct-gather CPU"),
    ("cpu.checks_per_core_s", 250.0, ">=", "checks per core-second"),
    ("cpu.hub_ms_per_check", 4.0, "<=", "hub CPU per check (ms)"),
    ("cpu.hub_over_floor", 4.0, "<=", "hub CPU per check / raw-client floor"),
    ("batch.1000.over_schedule_ms", 150.0, "<=", "batch 1000: wall - 1.1 x schedule floor (ms)"),
    ("batch.1000.margin_ms", 150.0, "<=", "batch 1000: wall - slowest source (ms)"),
    ("batch.1000.speedup", 15.0, ">=", "batch 1000: speed-up over per-item calls"),
    ("batch.kb_per_enterprise", 20.0, "<=", "batch memory per enterprise (KB)"),
    ("audit.on_off_ratio", 0.9, ">=", "throughput with auditing / without"),
    ("job.wall_over_floor", 1.2, "<=", "10k job: wall / schedule floor"),
    ("job.incomplete", 0.0, "<=", "10k job: INCOMPLETE enterprises"),
    ("job.peak_rss_mb", 200.0, "<=", "10k job: hub peak RSS (MB)"),
    ("job.interactive_p99_ratio", 1.5, "<=", "interactive p99 during job / without"),
    ("overload.excess_shed_fast_share", 0.95, ">=", "4x capacity: excess shed within 50 ms"),
    ("overload.accepted_p99_ratio", 2.0, "<=", "4x capacity: accepted p99 / unloaded p99"),
    ("overload.accepted_p99_ratio_strict", 2.0, "<=", "  the same / the lower of two unloaded"),
    ("overload.hub_p99_ratio_strict", 2.0, "<=", "  as the hub measured it (its log)"),
    ("overload.other_errors", 0.0, "<=", "4x capacity: errors of other kinds"),
    ("overload.audit_exact", 1.0, ">=", "audit: entries + aggregate counts == requests"),
]


OVERLOAD_KEYS = ("overload.capacity_per_s", "overload.target_per_s", "overload.offered_per_s",
                 "overload.send_late_p99_ms", "overload.offered", "overload.accepted",
                 "overload.shed", "overload.excess", "overload.shed_fast",
                 "overload.refused_fast_share",
                 "overload.shed_p50_ms", "overload.shed_p99_ms", "overload.unloaded_p99_ms",
                 "overload.unloaded_after_p99_ms", "overload.hub_unloaded_p99_ms",
                 "overload.hub_after_p99_ms", "overload.hub_accepted_p99_ms",
                 "overload.accepted_p50_ms", "overload.accepted_p99_ms", "overload.settled_p99_ms",
                 "overload.error_kinds",
                 "overload.requests_sent", "overload.audit_requests",
                 "overload.audit_aggregates", "overload.audit_exact")


def nest(flat: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in flat.items():
        node = out
        *parents, leaf = key.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return out


def table(figures: dict[str, Any]) -> str:
    lines = [f"{'figure':48} {'measured':>12} {'target':>10}  ok", "-" * 78]
    for key, target, op, label in TARGETS:
        value = figures.get(key)
        if value is None:
            lines.append(f"{label:48} {'n/a':>12} {op}{target:>8g}  -")
            continue
        ok = value <= target if op == "<=" else value >= target
        lines.append(f"{label:48} {value:12.3f} {op}{target:>8g}  {'yes' if ok else 'NO'}")
    lines += ["-" * 78]
    for key in ("single.hub_p50_ms", "single.limit_p50_ms", "single.naive_p50_ms",
                "single.limit_overhead_p50_ms", "single.hub_minus_limit_p50_ms",
                "single_bankruptcy.overhead_p50_ms", "cpu.hub_ms_per_check",
                "cpu.limit_ms_per_check", "cpu.floor_ms_per_check", "cpu.hub_http_calls_per_check",
                "coalesce.calls_per_check", "coalesce.off.calls_per_check",
                "coalesce.ideal_calls_per_check", "coalesce.p50_ms", "coalesce.off.p50_ms",
                "coalesce.p99_ms", "coalesce.off.p99_ms", "coalesce.hub_cpu_ms_per_check",
                "coalesce.off.hub_cpu_ms_per_check", "clients.aiohttp_us_per_call",
                "clients.pyreqwest_us_per_call", "clients.hub_httptools_us_per_call",
                "clients.floor_streams_us_per_call", "clients.hub_connector_us_per_call",
                "throughput.max_checks_per_s", "throughput.collapsed",
                "faults.p50_ms", "faults.max_ms", "faults.others_unaffected",
                "audit.on_checks_per_s", "audit.off_checks_per_s",
                "batch.1000.schedule_floor_s", *OVERLOAD_KEYS):
        lines.append(f"{key:48} {figures.get(key)!s:>12}")
    for n in (1, 10, 100, 1000):
        if f"batch.{n}.wall_s" in figures:
            lines.append(
                f"batch {n:>4}: wall {figures[f'batch.{n}.wall_s']:.3f} s, limit "
                f"{figures[f'batch.{n}.limit_s']:.3f} s, incomplete "
                f"{figures[f'batch.{n}.incomplete']}, per-item "
                f"{figures[f'batch.{n}.per_item_wall_s']:.3f} s, calls "
                f"{figures[f'batch.{n}.source_calls']}/{figures[f'batch.{n}.ideal_calls']} ideal, "
                f"peak RSS {figures[f'batch.{n}.peak_rss_mb']:.0f} MiB")
    for key, value in figures.items():
        if key.startswith("throughput.") and isinstance(value, dict):
            lines.append(f"{key:28} offered {value['offered']:>5.0f}/s done "
                         f"{value['completed_per_s']:7.1f}/s p50 {value['p50_ms']:8.1f} ms "
                         f"p99 {value['p99_ms']:8.1f} ms shed {value['rate_limited']:>5} "
                         f"errors {value['errors']}")
    return "\n".join(lines)


async def run(quick: bool) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    usccs = World().usccs[:1000]
    sandbox = SandboxProc(workdir)
    figures: dict[str, Any] = {"mode": "quick" if quick else "full",
                               "when": dt.datetime.now(dt.UTC).isoformat(),
                               "machine": f"{platform.machine()} {os.cpu_count()} cores"}
    try:
        hub = HubProcess(sandbox)
        try:
            steps = [
                ("single", scenarios.single(hub, sandbox, usccs[:200], 20 if quick else 300,
                                            2 if quick else 20)),
                ("cpu", scenarios.cpu(hub, sandbox, usccs, 200 if quick else 2000)),
                ("batch", scenarios.batch(hub, sandbox, usccs, (1, 10, 100, 1000))),
                ("throughput", scenarios.throughput(
                    hub, sandbox, usccs, (50, 200, 400) if quick else
                    (50, 100, 150, 200, 250, 300, 400), 2.0 if quick else 20.0)),
            ]
            for name, coroutine in steps:
                started = time.perf_counter()
                figures.update(await coroutine)
                print(f"  {name} done in {time.perf_counter() - started:.0f} s", flush=True)
        finally:
            hub.stop()
        started = time.perf_counter()
        figures.update(await scenarios.faults(sandbox, usccs, 5 if quick else 50))
        figures.update(await scenarios.audit_cost(sandbox, usccs, 2.5 if quick else 20.0))
        print(f"  faults and audit done in {time.perf_counter() - started:.0f} s", flush=True)
        started = time.perf_counter()
        figures.update(await coalesce(sandbox, usccs, 320 if quick else 1280))
        sandbox.latency(False)
        (probe,) = [c for c in scenarios.ipo_configs(sandbox) if c.name == CLIENT_PROBE]
        figures.update(await compare_clients(probe, usccs[0], 2000 if quick else 8000))
        sandbox.latency(True)
        figures.update(await overload(sandbox, usccs, seconds=5.0 if quick else 20.0))
        print(f"  coalescing, clients and overload done in {time.perf_counter() - started:.0f} s",
              flush=True)
    finally:
        sandbox.stop()
    # The slowest source of a batch is the longest fetch the same calls take without the hub:
    # the direct gather of every source over the same 1000 keys.
    figures["batch.1000.margin_ms"] = (figures["batch.1000.wall_s"]
                                       - figures["batch.1000.limit_s"]) * 1000
    return figures


async def run_fanout(quick: bool) -> dict[str, Any]:
    """Only the fan-out figures (cpu, coalesce, clients), each scenario whole, in one run."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    usccs = World().usccs[:1000]
    sandbox = SandboxProc(workdir)
    figures: dict[str, Any] = {"fanout_when": dt.datetime.now(dt.UTC).isoformat()}
    try:
        hub = HubProcess(sandbox)
        try:
            figures.update(await scenarios.cpu(hub, sandbox, usccs, 200 if quick else 2000))
        finally:
            hub.stop()
        figures.update(await coalesce(sandbox, usccs, 320 if quick else 1280))
        sandbox.latency(False)
        (probe,) = [c for c in scenarios.ipo_configs(sandbox) if c.name == CLIENT_PROBE]
        figures.update(await compare_clients(probe, usccs[0], 2000 if quick else 8000))
    finally:
        sandbox.stop()
    return figures


async def run_batch(quick: bool) -> dict[str, Any]:
    """Only the batch scenario (`batch.*`), against a hub first warmed up with the checks the
    single and cpu scenarios send before it in a full run."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    usccs = World().usccs[:1000]
    sandbox = SandboxProc(workdir)
    figures: dict[str, Any] = {"batch_when": dt.datetime.now(dt.UTC).isoformat()}
    try:
        hub = HubProcess(sandbox)
        try:
            await scenarios.warm_up(hub, sandbox, usccs, 200 if quick else 1000)
            figures.update(await scenarios.batch(hub, sandbox, usccs, (1, 10, 100, 1000)))
        finally:
            hub.stop()
    finally:
        sandbox.stop()
    figures["batch.1000.margin_ms"] = (figures["batch.1000.wall_s"]
                                       - figures["batch.1000.limit_s"]) * 1000
    return figures


async def run_jobs(quick: bool) -> dict[str, Any]:
    """Only the batch job figures (`job.*`)."""
    from bench.jobs import jobs

    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    world = World()
    sandbox = SandboxProc(workdir)
    try:
        n = 1000 if quick else 10_000
        return await jobs(sandbox, world.usccs[:n], [e["uscc"] for e in sandbox.samples[
            "enterprises"]], idle_s=5.0 if quick else 20.0)
    finally:
        sandbox.stop()


async def run_overload(seconds: float, rate: float | None = None) -> dict[str, Any]:
    """Only the overload scenario (issue 15), against its own hub; `rate`: arrivals per
    second instead of 4x the measured capacity."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    usccs = World().usccs[:1000]
    sandbox = SandboxProc(workdir)
    try:
        return {"overload_when": dt.datetime.now(dt.UTC).isoformat(),
                **await overload(sandbox, usccs, seconds=seconds, rate=rate)}
    finally:
        sandbox.stop()


def flatten(nested: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in nested.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and not {"offered", "completed_per_s"} <= set(value):
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="a short run (under 2 minutes)")
    parser.add_argument("--fanout", action="store_true",
                        help="only the cpu, coalesce and clients scenarios, their figures "
                             "replacing those in --out")
    parser.add_argument("--batch", action="store_true",
                        help="only the batch scenario (complianceChecks of 1 to 1000 "
                             "enterprises, memory per enterprise), its batch.* figures "
                             "replacing those in --out")
    parser.add_argument("--jobs", action="store_true",
                        help="only the 10,000-enterprise batch job scenario, its job.* figures "
                             "replacing those in --out")
    parser.add_argument("--overload", action="store_true",
                        help="only the overload scenario (4x capacity; 20 s, 5 s with "
                             "--quick), its figures replacing those in --out")
    parser.add_argument("--overload-rate", type=float, metavar="PER_S",
                        help="with --overload: offer this many checks per second instead of "
                             "4x the capacity measured in the same run (the capacity measured "
                             "depends on what the admission limit lets through, so a fixed "
                             "rate compares two versions of the hub at the same flood)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    started = time.perf_counter()
    if args.overload:
        figures = flatten(orjson.loads(args.out.read_bytes())) if args.out.exists() else {}
        figures = {k: v for k, v in figures.items() if not k.startswith("overload.")}
        figures.update(run_loop(run_overload(5.0 if args.quick else 20.0,
                                             args.overload_rate)))
    elif args.batch:
        figures = flatten(orjson.loads(args.out.read_bytes())) if args.out.exists() else {}
        figures = {k: v for k, v in figures.items() if not k.startswith("batch.")}
        figures.update(run_loop(run_batch(args.quick)))
    elif args.jobs:
        figures = flatten(orjson.loads(args.out.read_bytes())) if args.out.exists() else {}
        figures = {k: v for k, v in figures.items() if not k.startswith("job.")}
        figures.update(run_loop(run_jobs(args.quick)))
    elif args.fanout:
        figures = flatten(orjson.loads(args.out.read_bytes())) if args.out.exists() else {}
        figures = {k: v for k, v in figures.items()
                   if not k.startswith(("cpu.", "coalesce.", "clients."))}
        figures.update(run_loop(run_fanout(args.quick)))
    else:
        figures = run_loop(run(args.quick))
    figures["duration_s"] = round(time.perf_counter() - started, 1)
    print(table(figures))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(orjson.dumps(nest(figures), option=orjson.OPT_INDENT_2
                                      | orjson.OPT_SERIALIZE_NUMPY))
    print(f"written {args.out} ({figures['duration_s']} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
