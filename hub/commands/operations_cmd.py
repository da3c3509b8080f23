"""`hub operations add FILE… | list`: the trusted documents a hub in `only` mode runs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from hub.commands.db_cmd import on_store, store_arguments

__all__ = ["cli_documents", "register", "run_add", "run_list"]


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
    add.add_argument("files", nargs="*", type=Path, metavar="FILE",
                     help="a .graphql file to register")
    add.add_argument("--cli", action="store_true",
                     help="also register the operations this hub's own command line sends "
                     "(hub check, hub job), so that it works against a hub in 'only' mode")
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


def cli_documents() -> dict[str, str]:
    """The documents the command line sends, by a name to show for their origin."""
    from hub.commands.check_cmd import CHECK_QUERY
    from hub.commands.job_cmd import CANCEL_QUERY, JOB_QUERY

    return {"hub check": CHECK_QUERY, "hub job status|wait": JOB_QUERY,
            "hub job cancel": CANCEL_QUERY}


def _checked(paths: list[Path], builtin: dict[str, str]
             ) -> list[tuple[Path | str, str, str]] | str:
    """(origin, text, operation names) of every file and built-in document, or the first
    problem in words."""
    from schema.build import build_schema
    from schema.execute import Executor
    from schema.limits import Limits

    executor = Executor(build_schema(), Limits(), introspection=False)
    texts: list[tuple[Path | str, str]] = list(builtin.items())
    for file in paths:
        try:
            texts.append((file, file.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            return f"{file}: cannot read it ({exc})"
    out: list[tuple[Path | str, str, str]] = []
    for origin, text in texts:
        prepared = executor.prepare(text)
        if prepared.errors or prepared.document is None:
            first = prepared.errors[0].message if prepared.errors else "not a document"
            return f"{origin}: not a valid operation of this hub's schema: {first}"
        out.append((origin, text, _names(prepared.document)))
    return out


def run_add(args: argparse.Namespace) -> int:
    import datetime as dt

    if not args.files and not args.cli:
        print("hub operations add: name a .graphql FILE to register, or --cli", file=sys.stderr)
        return 2
    checked = _checked(list(args.files), cli_documents() if args.cli else {})
    if isinstance(checked, str):
        print(f"hub operations add: {checked}", file=sys.stderr)
        return 1

    async def add(store: Any) -> list[tuple[Path | str, str, str, bool]]:
        from hub.trusted import TrustedDocuments

        trusted = TrustedDocuments("only", store.engine, store.trusted)
        now = dt.datetime.now(dt.UTC)
        return [(path, names, *await trusted.add(text, names, now))
                for path, text, names in checked]

    status, added = on_store(args, "hub operations add", add)
    for path, names, digest, new in added or []:
        print(f"{digest}  {names}  ({path}; {'registered' if new else 'already registered'})")
    return status


def run_list(args: argparse.Namespace) -> int:
    async def read(store: Any) -> list[Any]:
        from hub.trusted import TrustedDocuments

        return await TrustedDocuments("only", store.engine, store.trusted).registered()

    status, docs = on_store(args, "hub operations list", read)
    for doc in docs or []:
        print(f"{doc.sha256}  {doc.name}  (added {doc.added_at.isoformat()})")
    return status
