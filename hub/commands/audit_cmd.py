"""`hub audit verify | export | verify-export`: the audit log from the command line."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from pathlib import Path
from typing import Any

import orjson

from audit.entry import format_time
from audit.errors import ExportInvalid
from audit.export import export_lines
from audit.log import AuditLog, verify_log
from audit.verify import uncovered_note, verify_export
from hub.config.errors import ConfigError
from hub.config.settings import load_settings
from signing.keys import KeyRing, KeysError, load_public_keys

__all__ = ["register", "run_export", "run_verify", "run_verify_export"]


def register(sub: Any) -> None:
    audit = sub.add_parser("audit", help="verify and export the audit log")
    verbs = audit.add_subparsers(dest="verb", required=True, metavar="VERB")
    verify = verbs.add_parser("verify", help="re-check the chain and its signed checkpoints")
    _where(verify)
    verify.add_argument("--witness", type=Path, default=None,
                        help="a witness file of checkpoints kept outside the store (default: "
                        "the config's hub.audit_witness)")
    verify.set_defaults(run=run_verify)
    export = verbs.add_parser("export", help="export entries as JSON Lines with proofs")
    _where(export)
    export.add_argument("--since", default=None, help="ISO 8601 time; default: everything")
    export.add_argument("--out", type=Path, required=True)
    export.set_defaults(run=run_export)
    offline = verbs.add_parser("verify-export", help="check an export with the public key only")
    offline.add_argument("file", type=Path)
    offline.add_argument("--keys", type=Path, default=None,
                         help="hub-keys.json (as served at /.well-known/hub-keys); default "
                         "<home>/keys/hub-keys.json")
    offline.add_argument("--home", type=Path, default=Path(".hub"))
    offline.set_defaults(run=run_verify_export)


def _where(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("--config", type=Path, help="the hub's configuration file")
    group.add_argument("--home", type=Path, default=Path(".hub"), help="a demo's home")


def _locate(args: argparse.Namespace) -> tuple[str, Path, Path | None]:
    """The store's URL, the keys directory and the configured witness file."""
    if args.config is not None:
        settings = load_settings(args.config)
        return settings.store_url, settings.keys_dir, settings.audit_witness
    home: Path = args.home.resolve()
    store = home / "hub.sqlite"
    if not store.exists():
        raise ConfigError(f"no audit store at {store}; pass --config or --home")
    return f"sqlite+aiosqlite:///{store}", home / "keys", None


def run_verify(args: argparse.Namespace) -> int:
    try:
        url, keys, witness = _locate(args)
        public = load_public_keys(keys / "hub-keys.json")
    except (ConfigError, KeysError) as exc:
        print(f"hub audit verify: {exc}", file=sys.stderr)
        return 2
    witness = args.witness or witness
    if witness is not None and not witness.exists():
        print(f"hub audit verify: no witness file at {witness}", file=sys.stderr)
        return 2

    async def check() -> int:
        log = await AuditLog.open(url, None)
        try:
            result = await verify_log(log, public, witness)
        finally:
            await log.close()
        if result.ok:
            cp = result.checkpoint
            covered = f"; last signed checkpoint at size {cp.size} ({cp.time})" if cp else \
                "; no checkpoint signed yet"
            print(f"ok: {result.size} entries, head {result.head_hash}{covered}")
            if witness is not None:
                print(f"the log reaches every checkpoint kept by the witness {witness}")
            if result.uncovered:
                print(f"note: {uncovered_note(result.uncovered)}")
            return 0
        print(f"TAMPERED: first bad seq {result.first_bad_seq}: {result.detail}",
              file=sys.stderr)
        return 1

    return asyncio.run(check())


def run_export(args: argparse.Namespace) -> int:
    since = None
    if args.since:
        try:
            moment = dt.datetime.fromisoformat(args.since)
        except ValueError:
            print("hub audit export: --since takes an ISO 8601 time, e.g. 2026-11-01T00:00+08:00",
                  file=sys.stderr)
            return 2
        since = format_time(moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC))
    try:
        url, keys, _ = _locate(args)
        ring = KeyRing.load(keys)
    except (ConfigError, KeysError) as exc:
        print(f"hub audit export: {exc}", file=sys.stderr)
        return 2

    async def run() -> list[dict[str, Any]]:
        log = await AuditLog.open(url, ring)
        try:
            return await export_lines(log, ring, since)
        finally:
            await log.close()

    lines = asyncio.run(run())
    args.out.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    entries = sum(1 for line in lines if line["type"] == "entry")
    print(f"exported {entries} entries with their proofs to {args.out}")
    return 0


def run_verify_export(args: argparse.Namespace) -> int:
    keys = args.keys or args.home / "keys" / "hub-keys.json"
    try:
        public = load_public_keys(keys)
        summary = verify_export(args.file.read_bytes().splitlines(), public)
    except (KeysError, ExportInvalid, OSError) as exc:
        print(f"INVALID: {exc}", file=sys.stderr)
        return 1
    print(f"valid: {summary.entries} entries (seq {summary.first_seq}..{summary.last_seq}) "
          f"in a log of {summary.checkpoint_size} signed by the hub")
    if summary.selection is not None:
        print("a selection, chosen by the filter "
              + orjson.dumps(summary.selection, option=orjson.OPT_SORT_KEYS).decode())
    return 0
