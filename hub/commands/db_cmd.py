"""`hub db upgrade | status`: the store's schema, migrated by Alembic (`hub.migrate`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["locate_store", "on_store", "register", "run_status", "run_upgrade",
           "store_arguments"]

T = TypeVar("T")


def register(sub: Any) -> None:
    db = sub.add_parser("db", help="migrate the store's schema",
                        description="The hub's store (SQLite or PostgreSQL) is created and "
                        "changed only by migrations; hub serve refuses a store that is not at "
                        "this hub's revision.")
    verbs = db.add_subparsers(dest="verb", required=True, metavar="VERB")
    upgrade = verbs.add_parser("upgrade", help="migrate the store to this hub's revision",
                               description="Create or change the store's tables to this hub's "
                               "revision, in one transaction (PostgreSQL holds a lock, so two "
                               "upgrades never interleave). Safe to run again.")
    store_arguments(upgrade)
    upgrade.add_argument("--sql", action="store_true",
                         help="print the SQL of a full upgrade for the store's database instead "
                         "of running it (for an administrator who applies DDL by hand)")
    upgrade.set_defaults(run=run_upgrade)
    status = verbs.add_parser("status", help="say whether the store is at this hub's revision",
                              description="Print the store's revision and the one this hub "
                              "needs; exit 0 when they match, 1 when not.")
    store_arguments(status)
    status.set_defaults(run=run_status)


def store_arguments(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("--config", type=Path,
                       help="the hub's configuration file (its hub.store)")
    group.add_argument("--home", type=Path, default=Path(".hub"),
                       help="a demo's home: the store HOME/hub.sqlite (the default, .hub)")


def locate_store(args: argparse.Namespace) -> str:
    """The store URL named by --config (its `hub.store`) or by --home. Raises ConfigError."""
    if args.config is not None:
        from hub.config.settings import load_settings

        return load_settings(args.config).store_url
    home: Path = args.home.resolve()
    return f"sqlite+aiosqlite:///{home / 'hub.sqlite'}"


def on_store(args: argparse.Namespace, command: str,
             work: Callable[[Any], Awaitable[T]]) -> tuple[int, T | None]:
    """Run `work(store)` on the migrated store named by --config or --home: (0, its result),
    or an exit status with the problem said in one line on stderr (2: the configuration;
    1: the store cannot be reached or is not at this hub's revision)."""
    import asyncio

    from hub.config.errors import ConfigError
    from hub.migrate import SchemaOutOfDate
    from hub.preflight import StoreUnreachable, reach
    from hub.store import open_store

    try:
        url = locate_store(args)
    except ConfigError as exc:
        print(f"{command}: invalid configuration: {exc}", file=sys.stderr)
        return 2, None

    async def run() -> T:
        store = await open_store(url)
        try:
            return await work(store)
        finally:
            await store.close()

    try:
        return 0, asyncio.run(reach(run(), url))
    except (StoreUnreachable, SchemaOutOfDate) as exc:
        print(f"{command}: {exc} (hub.store)", file=sys.stderr)
        return 1, None


def run_upgrade(args: argparse.Namespace) -> int:
    import asyncio

    from hub.config.errors import ConfigError
    from hub.migrate import SchemaOutOfDate, upgrade_sql, upgrade_store
    from hub.preflight import StoreUnreachable, public_url, reach

    try:
        url = locate_store(args)
    except ConfigError as exc:
        print(f"hub db upgrade: invalid configuration: {exc}", file=sys.stderr)
        return 2
    if args.sql:
        print(upgrade_sql(url), end="")
        return 0
    if args.config is None:
        args.home.mkdir(parents=True, exist_ok=True)
    try:
        before, after = asyncio.run(reach(upgrade_store(url), url))
    except (StoreUnreachable, SchemaOutOfDate) as exc:
        print(f"hub db upgrade: {exc} (hub.store)", file=sys.stderr)
        return 1
    where = public_url(url)
    if before.current == after.current:
        print(f"{where}: already at revision {', '.join(after.current)}")
    else:
        print(f"{where}: upgraded from revision {', '.join(before.current) or '(none)'} to "
              f"{', '.join(after.current)}")
    return 0


def run_status(args: argparse.Namespace) -> int:
    import asyncio

    from hub.config.errors import ConfigError
    from hub.migrate import SchemaStatus, schema_status
    from hub.preflight import StoreUnreachable, public_url, reach
    from hub.store import store_engine

    try:
        url = locate_store(args)
    except ConfigError as exc:
        print(f"hub db status: invalid configuration: {exc}", file=sys.stderr)
        return 2

    async def status() -> SchemaStatus:
        engine = store_engine(url)
        try:
            return await schema_status(engine)
        finally:
            await engine.dispose()

    try:
        result = asyncio.run(reach(status(), url))
    except StoreUnreachable as exc:
        print(f"hub db status: {exc} (hub.store)", file=sys.stderr)
        return 1
    print(f"{public_url(url)}: {result.describe()}")
    return 0 if result.up_to_date else 1
