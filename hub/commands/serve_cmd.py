"""`hub demo` and `hub serve`: run the hub (the demo with its own sandbox departments)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.faults import Fault

__all__ = ["register", "run_demo", "run_serve"]

log = logging.getLogger("hub.serve")


def register(sub: Any) -> None:
    demo = sub.add_parser("demo", help="sandbox departments and the hub, one command",
                          description="Start the sandbox departments and the hub on 127.0.0.1 "
                          "with an embedded SQLite store and fresh keys under --home; print the "
                          "GraphQL URL and the demo callers' API keys; serve until Ctrl-C.")
    demo.add_argument("--port", type=int, default=8000,
                      help="the hub's port (default 8000); the departments take free ports")
    demo.add_argument("--host", default="127.0.0.1", help="address to listen on (default "
                      "127.0.0.1; the demo has no real secrets, keep it on loopback)")
    demo.add_argument("--home", type=Path, default=Path(".hub"),
                      help="where the demo keeps its keys, store, sandbox data and demo.json "
                      "(default .hub)")
    demo.add_argument("--fault", action="append", default=[], metavar="SOURCE=MODE",
                      help="start with a department source broken (repeatable); modes: down, "
                      "hang, slow:MS, error, garbage, wrong-subject, flaky:P, ok")
    demo.add_argument("--no-latency", action="store_true",
                      help="sandbox departments answer without simulated delays")
    demo.set_defaults(run=run_demo)

    serve = sub.add_parser("serve", help="production mode: everything from a config file",
                           description="Check keys, credentials, the store and its schema, "
                           "then serve. Any failure is one line naming the configuration key, "
                           "and a non-zero exit. SIGTERM drains in-flight requests and signs a "
                           "final audit checkpoint.")
    serve.add_argument("--config", type=Path, required=True,
                       help="the hub's TOML configuration file (paths in it are relative to it)")
    serve.add_argument("--workers", type=int, default=1,
                       help="worker processes sharing the port (default 1; about one per core)")
    serve.set_defaults(run=run_serve)


def run_demo(args: argparse.Namespace) -> int:
    """Make what the demo needs under its home (keys; the SQLite store is migrated in
    `_demo`), then run the sandbox departments and the hub in this process until SIGINT or
    SIGTERM, with `demo.json` (URLs and the callers' API keys) written while it serves."""
    from hub.commands.sandbox_cmd import run_loop
    from hub.demo import DEMO_LOG
    from hub.logs import configure_logging
    from sandbox.faults import FaultError, parse_assignment
    from signing.keys import init_keys

    try:
        faults = [parse_assignment(f) for f in args.fault]
    except FaultError as exc:
        print(f"hub demo: {exc}", file=sys.stderr)
        return 2
    configure_logging(DEMO_LOG)
    home: Path = args.home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "keys" / "signing.pem").exists():
        init_keys(home / "keys")
    return run_loop(_demo(home, args.host, args.port, faults, not args.no_latency))


def run_serve(args: argparse.Namespace) -> int:
    from hub.config.errors import ConfigError
    from hub.config.settings import load_settings

    if args.workers < 1:
        print("hub serve: --workers must be at least 1", file=sys.stderr)
        return 2
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"hub serve: invalid configuration: {exc}", file=sys.stderr)
        return 2

    import asyncio

    from hub.logs import configure_logging
    from hub.preflight import StartupError, listen, preflight, public_url

    configure_logging(settings.log)
    try:
        checked = asyncio.run(preflight(settings, f"hub db upgrade --config {args.config}"))
        sock = listen(settings.host, settings.port)
    except StartupError as exc:
        print(f"hub serve: {exc}", file=sys.stderr)
        return 1
    for warning in checked.warnings:
        log.warning(warning)

    import tempfile

    from hub.serving import run_server
    from hub.telemetry import prepare_multiprocess
    from hub.version import hub_version

    os.environ["HUB_CONFIG"] = str(args.config.resolve())
    # Every worker writes its metrics here and /metrics adds them up, whichever worker serves
    # the scrape (set before any worker imports prometheus_client).
    metrics_dir = Path(tempfile.mkdtemp(prefix="hub-metrics-"))
    prepare_multiprocess(metrics_dir)
    host, port = sock.getsockname()[:2]
    enabled = [s.name for s in settings.sources if s.enabled]
    address = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    log.info(f"hub listening on {address}", extra={
        "version": hub_version(), "listen": address, "store": public_url(settings.store_url),
        "sources": len(settings.sources), "sources_enabled": len(enabled),
        "sources_disabled": sorted({s.name for s in settings.sources} - set(enabled)),
        "workers": args.workers, "signing_key": checked.keys.signing_kid,
        "pseudonym_version": checked.keys.pseudonym_version, "pid": os.getpid()})
    try:
        status = run_server(settings, sock, args.workers)
    finally:
        import shutil

        shutil.rmtree(metrics_dir, ignore_errors=True)
    log.info("hub stopped", extra={"status": status})
    return status


async def _demo(home: Path, host: str, port: int, faults: Sequence[tuple[str, Fault]],
                latency: bool) -> int:
    import asyncio
    import dataclasses
    import signal
    import tomllib

    import orjson

    from hub.app import create_app
    from hub.config.sources import parse_sources
    from hub.demo import DEMO_LOG, demo_settings, sandbox_services
    from hub.migrate import upgrade_store
    from hub.serving import DrainingServer, uvicorn_config
    from sandbox.config import render_config
    from sandbox.server import Sandbox

    sandbox = Sandbox(port=0, latency=latency, data_dir=home / "sandbox")
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
        settings, api_keys = demo_settings(home, sources, host=host, port=port,
                                           **sandbox_services(printed, home))
        settings = dataclasses.replace(settings, log=DEMO_LOG)
        await upgrade_store(settings.store_url)
        server = DrainingServer(uvicorn_config(create_app(settings), settings))
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, server.request_exit)
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                await task
                print(f"hub demo: could not serve on {host}:{port}", file=sys.stderr)
                return 1
            await asyncio.sleep(0.05)
        graphql_url = f"http://{host}:{port}/graphql"
        sandbox_url = f"http://{sandbox.host}:{sandbox.port}"
        console_url = f"http://{host}:{port}/console/"
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
