"""`hub audit verify | export | verify-export`: the audit log from the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from audit.log import AuditLog

__all__ = ["register", "run_export", "run_verify", "run_verify_export"]


def register(sub: Any) -> None:
    audit = sub.add_parser("audit", help="verify and export the audit log")
    verbs = audit.add_subparsers(dest="verb", required=True, metavar="VERB")
    verify = verbs.add_parser("verify", help="re-check the chain and its signed checkpoints",
                              description="Re-check every entry's hash chain and every signed "
                              "checkpoint; exit 1 naming the first bad seq on any tampering.")
    _where(verify)
    verify.add_argument("--witness", type=Path, default=None,
                        help="a witness file of checkpoints kept outside the store (default: "
                        "the config's hub.audit_witness)")
    verify.set_defaults(run=run_verify)
    export = verbs.add_parser("export", help="export entries as JSON Lines with proofs",
                              description="Write entries as JSON Lines with the signed "
                              "checkpoint that covers them and their inclusion proofs.")
    _where(export)
    export.add_argument("--since", default=None,
                        help="export entries from this ISO 8601 time on, e.g. "
                        "2026-11-01T00:00+08:00 (default: everything)")
    export.add_argument("--out", type=Path, required=True, help="the JSON Lines file to write")
    export.set_defaults(run=run_export)
    offline = verbs.add_parser("verify-export", help="check an export with the public key only",
                               description="Check an export offline: chain, proofs and the "
                               "checkpoint's signature, with nothing but the public keys.")
    offline.add_argument("file", type=Path, help="the export (JSON Lines) to check")
    offline.add_argument("--keys", type=Path, default=None,
                         help="hub-keys.json (as served at /.well-known/hub-keys); default "
                         "<home>/keys/hub-keys.json")
    offline.add_argument("--home", type=Path, default=Path(".hub"),
                         help="a demo's home, for its keys when --keys is not given "
                         "(default .hub)")
    offline.set_defaults(run=run_verify_export)


def _where(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("--config", type=Path,
                       help="the hub's configuration file (its hub.store and hub.keys_dir)")
    group.add_argument("--home", type=Path, default=Path(".hub"),
                       help="a demo's home: HOME/hub.sqlite and HOME/keys (the default, .hub)")


def _locate(args: argparse.Namespace) -> tuple[str, Path, Path | None]:
    """The store's URL, the keys directory and the configured witness file."""
    from hub.config.errors import ConfigError
    from hub.config.settings import load_settings

    if args.config is not None:
        settings = load_settings(args.config)
        return settings.store_url, settings.keys_dir, settings.audit_witness
    home: Path = args.home.resolve()
    store = home / "hub.sqlite"
    if not store.exists():
        raise ConfigError(f"no audit store at {store}; pass --config or --home")
    return f"sqlite+aiosqlite:///{store}", home / "keys", None


async def _open(url: str, signer: Any) -> AuditLog:
    """The audit log at `url`, once the store is known to be at this hub's revision."""
    from audit.log import AuditLog
    from hub.preflight import reach
    from hub.store import verify_store

    await reach(verify_store(url), url)
    return await AuditLog.open(url, signer)


def run_verify(args: argparse.Namespace) -> int:
    import asyncio

    from audit.log import verify_log
    from audit.verify import uncovered_note
    from hub.config.errors import ConfigError
    from hub.migrate import SchemaOutOfDate
    from hub.preflight import StoreUnreachable
    from signing.keys import KeysError, load_public_keys

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
        try:
            log = await _open(url, None)
        except (StoreUnreachable, SchemaOutOfDate) as exc:
            print(f"hub audit verify: {exc}", file=sys.stderr)
            return 2
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
    import asyncio
    import datetime as dt

    import orjson

    from audit.entry import format_time
    from audit.export import export_lines
    from hub.config.errors import ConfigError
    from hub.migrate import SchemaOutOfDate
    from hub.preflight import StoreUnreachable
    from signing.keys import KeyRing, KeysError

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
        log = await _open(url, ring)
        try:
            return await export_lines(log, ring, since)
        finally:
            await log.close()

    try:
        lines = asyncio.run(run())
    except (StoreUnreachable, SchemaOutOfDate) as exc:
        print(f"hub audit export: {exc}", file=sys.stderr)
        return 2
    args.out.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    entries = sum(1 for line in lines if line["type"] == "entry")
    print(f"exported {entries} entries with their proofs to {args.out}")
    return 0


def run_verify_export(args: argparse.Namespace) -> int:
    import orjson

    from audit.errors import ExportInvalid
    from audit.verify import verify_export
    from signing.keys import KeysError, load_public_keys

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
