"""`hub demo` and `hub serve`: run the hub (the demo with its own sandbox departments)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import uvicorn

from hub.app import create_app
from hub.commands.sandbox_cmd import run_loop
from hub.config.errors import ConfigError
from hub.config.settings import load_settings
from hub.config.sources import parse_sources
from hub.demo import demo_settings, sandbox_services
from sandbox.config import render_config
from sandbox.faults import FaultError, parse_assignment
from sandbox.server import Sandbox
from signing.keys import init_keys

__all__ = ["register", "run_demo", "run_serve"]


def register(sub: Any) -> None:
    demo = sub.add_parser("demo", help="sandbox departments and the hub, one command")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--home", type=Path, default=Path(".hub"))
    demo.add_argument("--fault", action="append", default=[], metavar="SOURCE=MODE")
    demo.add_argument("--no-latency", action="store_true",
                      help="sandbox departments answer without simulated delays")
    demo.set_defaults(run=run_demo)

    serve = sub.add_parser("serve", help="production mode: everything from a config file")
    serve.add_argument("--config", type=Path, required=True)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(run=run_serve)


def run_demo(args: argparse.Namespace) -> int:
    try:
        faults = [parse_assignment(f) for f in args.fault]
    except FaultError as exc:
        print(f"hub demo: {exc}", file=sys.stderr)
        return 2
    home: Path = args.home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "keys" / "signing.pem").exists():
        init_keys(home / "keys")
    return run_loop(_demo(args, home, faults))


async def _demo(args: argparse.Namespace, home: Path, faults: list[Any]) -> int:
    sandbox = Sandbox(port=0, latency=not args.no_latency, data_dir=home / "sandbox")
    unknown = [n for n, _ in faults if not sandbox.knows(n)]
    if unknown:
        print(f"hub demo: --fault names no source {unknown[0]!r}", file=sys.stderr)
        return 2
    await sandbox.start()
    demo_file = home / "demo.json"
    try:
        for name, fault in faults:
            await sandbox.set_fault(name, fault)
        printed = tomllib.loads(render_config(sandbox))
        sources = parse_sources(printed["sources"])
        settings, api_keys = demo_settings(home, sources, host=args.host, port=args.port,
                                           **sandbox_services(printed, home))
        config = uvicorn.Config(create_app(settings), host=args.host, port=args.port,
                                log_level="warning", lifespan="on", timeout_keep_alive=75)
        server = _Server(config)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, server.request_exit)
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                await task
                print(f"hub demo: could not serve on {args.host}:{args.port}", file=sys.stderr)
                return 1
            await asyncio.sleep(0.05)
        graphql_url = f"http://{args.host}:{args.port}/graphql"
        sandbox_url = f"http://{sandbox.host}:{sandbox.port}"
        console_url = f"http://{args.host}:{args.port}/console/"
        info = {"graphql_url": graphql_url, "sandbox_url": sandbox_url,
                "console_url": console_url, "callers": api_keys}
        tmp = demo_file.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(orjson.dumps(info, option=orjson.OPT_INDENT_2))
        tmp.replace(demo_file)
        print(f"One-Thing Hub demo\n  GraphQL   {graphql_url}  (GraphiQL in a browser)\n"
              f"  console   {console_url}  (auditors: sign in with the auditor key)\n"
              f"  sandbox   {sandbox_url}/_sandbox/samples\n  demo.json {demo_file}\n"
              "  API keys:", flush=True)
        for name, key in api_keys.items():
            print(f"    {name:8} {key}", flush=True)
        print("Try: hub check ipo <USCC from the samples>    (Ctrl-C stops)", flush=True)
        await task
    finally:
        demo_file.unlink(missing_ok=True)
        await sandbox.stop()
    return 0


class _Server(uvicorn.Server):
    """uvicorn re-raises a captured signal after shutdown, which would skip the demo's cleanup;
    the demo handles SIGINT and SIGTERM itself and asks the server to exit."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    def request_exit(self) -> None:
        self.should_exit = True


def run_serve(args: argparse.Namespace) -> int:
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"hub serve: invalid configuration: {exc}", file=sys.stderr)
        return 2
    if args.workers < 1:
        print("hub serve: --workers must be at least 1", file=sys.stderr)
        return 2
    os.environ["HUB_CONFIG"] = str(args.config.resolve())
    # uvloop and httptools when installed (loop/http "auto"); a long keep-alive so that
    # department systems and load balancers reuse connections instead of racing a close.
    # No limit_concurrency: uvicorn's own 503 is plain text and leaves no audit entry; the
    # hub's admission control sheds overload itself, as GraphQL JSON, on the record.
    uvicorn.run("hub.asgi:app_from_env", factory=True, host=settings.host, port=settings.port,
                workers=args.workers, log_level="warning", timeout_keep_alive=75,
                access_log=False)
    return 0
