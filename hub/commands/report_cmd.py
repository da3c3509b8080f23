"""`hub report verify report.json`: check a signed report offline, with only the public key."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import orjson

from signing.canonical import CanonicalError, canonical
from signing.keys import KeysError, SignatureInvalid, load_public_keys, verify_signature

__all__ = ["ReportInvalid", "register", "run_verify", "verify_report_file"]


def register(sub: Any) -> None:
    report = sub.add_parser("report", help="signed reports")
    verbs = report.add_subparsers(dest="verb", required=True, metavar="VERB")
    verify = verbs.add_parser("verify", help="verify a signed report offline")
    verify.add_argument("file", type=Path)
    verify.add_argument("--keys", type=Path, default=None,
                        help="the hub's public keys (hub-keys.json, as served at "
                        "/.well-known/hub-keys); default <home>/keys/hub-keys.json")
    verify.add_argument("--home", type=Path, default=Path(".hub"))
    verify.set_defaults(run=run_verify)


class ReportInvalid(Exception):
    """The report file is not a signed report, or its signature does not verify."""


def verify_report_file(path: Path, keys_path: Path) -> dict[str, Any]:
    """Return the verified report, or raise `ReportInvalid` saying why."""
    try:
        signed = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise ReportInvalid(f"{path}: no such file") from None
    except orjson.JSONDecodeError:
        raise ReportInvalid(f"{path} is not JSON (was it changed?)") from None
    if not isinstance(signed, dict) or set(signed) != {"report", "signature", "keyId"}:
        raise ReportInvalid(f"{path} is not a signed report (report, signature, keyId)")
    report, signature, kid = signed["report"], signed["signature"], signed["keyId"]
    if not isinstance(report, dict) or not isinstance(signature, str) or not isinstance(kid, str):
        raise ReportInvalid(f"{path} is not a signed report")
    try:
        verify_signature(load_public_keys(keys_path), kid, canonical(report), signature)
    except (SignatureInvalid, CanonicalError, KeysError) as exc:
        raise ReportInvalid(str(exc)) from None
    return report


def run_verify(args: argparse.Namespace) -> int:
    keys = args.keys or args.home / "keys" / "hub-keys.json"
    try:
        report = verify_report_file(args.file, keys)
    except ReportInvalid as exc:
        print(f"INVALID: {exc}", file=sys.stderr)
        return 1
    print(f"valid: report {report.get('reportId')} ({report.get('kind')} of "
          f"{report.get('subject', {}).get('uscc')}, verdict {report.get('verdict')}, "
          f"checked at {report.get('checkedAt')})")
    return 0
