"""`hub sandbox`: the simulated department services alone."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from sandbox.server import Sandbox

__all__ = ["register", "run_loop", "run_sandbox"]


T = TypeVar("T")


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run on uvloop where it is installed (less CPU per request), else on asyncio's loop."""
    import asyncio

    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def register(sub: Any) -> None:
    p = sub.add_parser("sandbox", help="serve the simulated department services",
                       description="The 40 simulated department sources over real HTTP (and "
                       "three SQL exchange databases), deterministic from --seed.")
    p.add_argument("--port", type=int, default=9100,
                   help="control port; sources listen on the ports after it (0: any free ports)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1)")
    p.add_argument("--advertise", default=None, metavar="HOST",
                   help="host name written into the printed configuration's URLs, when the hub "
                   "reaches the sandbox by another name (default: --host)")
    p.add_argument("--seed", type=int, default=20240601,
                   help="seed of the synthetic enterprises and persons (default 20240601)")
    p.add_argument("--no-latency", action="store_true",
                   help="answer without the departments' simulated delays")
    p.add_argument("--fault", action="append", default=[], metavar="SOURCE=MODE",
                   help="start with a source broken (repeatable); modes: down, hang, slow:MS, "
                   "error, garbage, wrong-subject, flaky:P, ok")
    p.add_argument("--data-dir", type=Path, default=None,
                   help="where the exchange databases (前置库) are written (default .hub/sandbox)")
    p.add_argument("--print-config", action="store_true",
                   help="print the [sources] configuration for this sandbox and exit")
    p.add_argument("--ready-file", type=Path, default=None,
                   help="write {control_url} as JSON here once serving")
    p.set_defaults(run=run_sandbox)


def run_sandbox(args: argparse.Namespace) -> int:
    from sandbox.config import render_config
    from sandbox.faults import FaultError, parse_assignment
    from sandbox.server import Sandbox

    try:
        faults = [parse_assignment(text) for text in args.fault]
    except FaultError as exc:
        print(f"hub sandbox: {exc}", file=sys.stderr)
        return 2
    data_dir = (args.data_dir or Path(".hub") / "sandbox").resolve()
    sandbox = Sandbox(seed=args.seed, host=args.host, port=args.port,
                      latency=not args.no_latency, data_dir=data_dir, advertise=args.advertise)
    unknown = [name for name, _ in faults if not sandbox.knows(name)]
    if unknown:
        print(f"hub sandbox: --fault names no source {unknown[0]!r}; "
              "see hub sandbox --print-config", file=sys.stderr)
        return 2
    if args.print_config:
        if args.port == 0:
            print("hub sandbox: --print-config needs a fixed --port", file=sys.stderr)
            return 2
        print(render_config(sandbox))
        return 0
    return run_loop(_serve(sandbox, faults, args.ready_file))


async def _serve(sandbox: Sandbox, faults: list[Any], ready_file: Path | None) -> int:
    import asyncio

    import orjson

    await sandbox.start()
    try:
        for name, fault in faults:
            await sandbox.set_fault(name, fault)
        control = f"http://{sandbox.host}:{sandbox.port}"
        print(f"sandbox departments: {len(sandbox.sources)} sources, control at {control}",
              flush=True)
        if ready_file is not None:
            tmp = ready_file.with_suffix(".tmp")
            tmp.write_bytes(orjson.dumps({"control_url": control}))
            tmp.replace(ready_file)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await stop.wait()
    finally:
        await sandbox.stop()
    return 0
