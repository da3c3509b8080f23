"""`hub operations add FILE… | list`: the trusted documents a hub in `only` mode runs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from hub.commands.db_cmd import locate_store, store_arguments

__all__ = ["register", "run_add", "run_list"]


def register(sub: Any) -> None:
    ops = sub.add_parser(
        "operations", help="register the GraphQL operations the hub may run by hash",
        description="Trusted documents ([hub] trusted_documents = \"only\"): the hub runs only "
        "operations registered here, named by the SHA-256 of their text "
        "(extensions.persistedQuery.sha256Hash).")
    verbs = ops.add_subparsers(dest="verb", required=True, metavar="VERB")
    add = verbs.add_parser("add", help="check documents against the schema and register them",
                           description="Each FILE is one GraphQL document (one or more named "
                           "operations and their fragments), registered by the SHA-256 of its "
                           "exact text. A document that does not validate is refused.")
    add.add_argument("files", nargs="+", type=Path, metavar="FILE",
                     help="a .graphql file to register")
    store_arguments(add)
    add.set_defaults(run=run_add)
    listing = verbs.add_parser("list", help="the registered documents: hash, names, when")
    store_arguments(listing)
    listing.set_defaults(run=run_list)


def _names(document: Any) -> str:
    from graphql import OperationDefinitionNode

    names = [d.name.value if d.name else "(anonymous)" for d in document.definitions
             if isinstance(d, OperationDefinitionNode)]
    return ", ".join(names)


def _checked(paths: list[Path]) -> list[tuple[Path, str, str]] | str:
    """(path, text, operation names) of every file, or the first problem in words."""
    from schema.build import build_schema
    from schema.execute import Executor
    from schema.limits import Limits

    executor = Executor(build_schema(), Limits(), introspection=False)
    out = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return f"{path}: cannot read it ({exc})"
        prepared = executor.prepare(text)
        if prepared.errors or prepared.document is None:
            first = prepared.errors[0].message if prepared.errors else "not a document"
            return f"{path}: not a valid operation of this hub's schema: {first}"
        out.append((path, text, _names(prepared.document)))
    return out


def run_add(args: argparse.Namespace) -> int:
    import asyncio
    import datetime as dt

    from hub.config.errors import ConfigError

    try:
        url = locate_store(args)
    except ConfigError as exc:
        print(f"hub operations add: invalid configuration: {exc}", file=sys.stderr)
        return 2
    checked = _checked(list(args.files))
    if isinstance(checked, str):
        print(f"hub operations add: {checked}", file=sys.stderr)
        return 1

    async def add() -> list[tuple[Path, str, str, bool]]:
        from hub.store import open_store
        from hub.trusted import TrustedDocuments

        store = await open_store(url)
        try:
            trusted = TrustedDocuments("only", store.engine, store.trusted)
            now = dt.datetime.now(dt.UTC)
            return [(path, names, *await trusted.add(text, names, now))
                    for path, text, names in checked]
        finally:
            await store.close()

    from hub.migrate import SchemaOutOfDate

    try:
        added = asyncio.run(add())
    except SchemaOutOfDate as exc:
        print(f"hub operations add: {exc}", file=sys.stderr)
        return 1
    for path, names, digest, new in added:
        print(f"{digest}  {names}  ({path}; {'registered' if new else 'already registered'})")
    return 0


def run_list(args: argparse.Namespace) -> int:
    import asyncio

    from hub.config.errors import ConfigError

    try:
        url = locate_store(args)
    except ConfigError as exc:
        print(f"hub operations list: invalid configuration: {exc}", file=sys.stderr)
        return 2

    async def read() -> list[Any]:
        from hub.store import open_store
        from hub.trusted import TrustedDocuments

        store = await open_store(url)
        try:
            return await TrustedDocuments("only", store.engine, store.trusted).registered()
        finally:
            await store.close()

    for doc in asyncio.run(read()):
        print(f"{doc.sha256}  {doc.name}  (added {doc.added_at.isoformat()})")
    return 0
