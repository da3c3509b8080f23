"""`python -m bench.profile`: where the hub's CPU goes in the cpu scenario, by py-spy.

Starts the sandbox and the hub as `python -m bench` does, drives IPO checks from 8 clients at
zero sandbox latency, records the hub process with py-spy (`pip install py-spy`; raw collapsed
stacks, 200 Hz, every thread) and prints the hub's CPU per check and the samples' shares by
what they were doing — the deepest frame of the hub's own code (or of the library under it)
decides — and the top own frames. With `--gil` only the thread holding the GIL is sampled.

Read the shares as rough: on a shared 2-core machine a thread waiting for the GIL is sampled
where it stands, and samples of idle pool threads (waiting for work in `queue.get`) are
dropped because py-spy cannot tell them apart from running ones.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from bench.procs import HubProcess, SandboxProc
from bench.scenarios import CHECK, Client
from hub.commands.sandbox_cmd import run_loop
from sandbox.data import World

__all__ = ["CATEGORIES", "categorise", "main"]

# (label, pattern on one frame); the deepest frame matching any pattern decides.
CATEGORIES: list[tuple[str, str]] = [
    ("report register and filing (reports/)", r"\(reports/"),
    ("open objections (objection/)", r"\(objection/"),
    ("audit writer (audit/, its thread)", r"\(audit/"),
    ("SQL 前置库 sources (connectors/sql, lane)", r"\(connectors/(sql|lane)\.py"),
    ("outbound REST (connectors/rest, http, coalesce, parse)", r"\(connectors/"),
    ("signing and canonical JSON (signing/)", r"\(signing/"),
    ("gateway, plans, report documents (schema/)",
     r"\(schema/(gateway|report|checks|facts|types|period|sources|citations|wording)"),
    ("GraphQL execution (graphql-core, strawberry)", r"\(schema/execute|graphql/|strawberry/"),
    ("telemetry (opentelemetry, prometheus)", r"\(hub/telemetry|opentelemetry|prometheus_client"),
    ("HTTP layer (hub/graphql_http, starlette, uvicorn)", r"\(hub/|starlette/|httptools_impl"),
    ("aiosqlite (a thread hop per statement)", r"aiosqlite/"),
    ("event loop itself (uvloop, C callbacks)", r"run_server|Runner\.run"),
]
# A pool thread's own frame as the leaf: it is in its queue's `get` (the aiosqlite line is that
# of aiosqlite 0.20's `tx.get()`; its other leaf lines run a statement).
_IDLE = re.compile(r"_worker \(concurrent/futures/thread\.py:\d+\)$"
                   r"|_connection_worker_thread \(aiosqlite/core\.py:59\)$")
_OWN = re.compile(r"\((hub|schema|connectors|audit|reports|signing|consent|objection)/")


def categorise(raw: str) -> tuple[int, collections.Counter[str], collections.Counter[str]]:
    """py-spy raw output → (samples kept, samples by category, samples by deepest own frame)."""
    by_category: collections.Counter[str] = collections.Counter()
    by_frame: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        if _IDLE.match(frames[-1]):
            continue  # a pool thread waiting for work
        n = int(count)
        total += n
        by_category[_category(frames)] += n
        own = [f for f in frames if _OWN.search(f)]
        by_frame[re.sub(r":\d+\)", ")", own[-1] if own else "(library) " + frames[-1])] += n
    return total, by_category, by_frame


def _category(frames: list[str]) -> str:
    for frame in reversed(frames):
        for label, pattern in CATEGORIES:
            if re.search(pattern, frame):
                return label
    return "other"


async def _profile(checks: int, gil: bool, out: Path) -> float:
    usccs = World().usccs[:1000]
    sandbox = SandboxProc(Path(tempfile.mkdtemp(prefix="bench-")))
    try:
        hub = HubProcess(sandbox)
        client = Client(hub)
        sandbox.latency(False)

        async def run(n: int) -> None:
            queue = list(range(n))

            async def worker() -> None:
                while queue:
                    i = queue.pop()
                    await client.check_until_done(CHECK % "IPO_COMPLIANCE",
                                                  {"u": usccs[i % len(usccs)]})

            await asyncio.gather(*(worker() for _ in range(8)))

        try:
            await run(400)  # warm-up: connections, caches
            spy = subprocess.Popen(
                ["py-spy", "record", "-p", str(hub.proc.pid), "-o", str(out), "-f", "raw",
                 "-r", "200", "--nonblocking", *(["--gil"] if gil else [])],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1.0)  # py-spy attaches
            before = hub.cpu_seconds()
            await run(checks)
            ms = (hub.cpu_seconds() - before) * 1000 / checks
            spy.send_signal(signal.SIGINT)
            spy.wait(60)
        finally:
            await client.close()
            hub.stop()
    finally:
        sandbox.stop()
    return ms


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("--checks", type=int, default=2000)
    parser.add_argument("--gil", action="store_true", help="sample only the GIL holder")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "hub.pyspy")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    if shutil.which("py-spy") is None:
        print("py-spy is not installed: pip install py-spy")
        return 2
    ms = run_loop(_profile(args.checks, args.gil, args.out))
    total, by_category, by_frame = categorise(args.out.read_text())
    print(f"hub CPU per check while sampled: {ms:.2f} ms ({total} samples, {args.out})")
    for label, n in by_category.most_common():
        print(f"{100 * n / total:5.1f}%  {label}")
    print("-- deepest own frame")
    for frame, n in by_frame.most_common(args.top):
        print(f"{100 * n / total:5.1f}%  {frame}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
