"""`hub report verify|pdf|html report.json`: check a signed report offline, or print its 告知书.

`verify` checks the signature with nothing but the hub's public key, and with `--proof` that
the report is part of a batch check job (its inclusion proof in the job's signed manifest). `pdf` and `html` render the
核查结果告知书 (A4, Chinese) of a report that verifies; `--unverified` renders one whose key is
not at hand, and says so on the terminal.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from hub.report.view import ReportInvalid as ReportUnreadable
from hub.report.view import ReportView

__all__ = ["ReportInvalid", "register", "run_print", "run_verify", "verify_proof_file",
           "verify_report_file"]


def register(sub: Any) -> None:
    report = sub.add_parser("report", help="signed reports")
    verbs = report.add_subparsers(dest="verb", required=True, metavar="VERB")
    verify = verbs.add_parser("verify", help="verify a signed report offline",
                              description="Check a signed report (hub check --out) with only "
                              "the hub's public keys; one changed byte fails it.")
    verify.add_argument("file", type=Path, help="the signed report (JSON) to verify")
    verify.add_argument("--proof", type=Path, default=None,
                        help="also check that the report is part of a batch check job: its "
                        "inclusion proof (GET /jobs/ID/proofs/REPORT_NO.json), which carries "
                        "the job's signed manifest")
    verify.add_argument("--keys", type=Path, default=None,
                        help="the hub's public keys (hub-keys.json, as served at "
                        "/.well-known/hub-keys); default <home>/keys/hub-keys.json")
    verify.add_argument("--home", type=Path, default=Path(".hub"),
                        help="a demo's home, for its keys when --keys is not given (default .hub)")
    verify.set_defaults(run=run_verify)
    for verb, what in (("pdf", "PDF"), ("html", "HTML")):
        printer = verbs.add_parser(verb, help=f"print the 核查结果告知书 of a signed report as {what}")
        printer.add_argument("file", type=Path, help="the signed report (JSON) to print")
        printer.add_argument("--out", type=Path, required=True, help=f"the {what} file to write")
        printer.add_argument("--keys", type=Path, default=None,
                             help="the hub's public keys; default <home>/keys/hub-keys.json")
        printer.add_argument("--home", type=Path, default=Path(".hub"),
                             help="a demo's home, for its keys when --keys is not given "
                             "(default .hub)")
        printer.add_argument("--unverified", action="store_true",
                             help="render even without the public key to verify it")
        printer.add_argument("--verify-base",
                             default=os.environ.get("HUB_PUBLIC_URL", "http://127.0.0.1:8000"),
                             help="public base URL the QR code points /verify at")
        printer.set_defaults(run=run_print, format=verb)


class ReportInvalid(Exception):
    """The report file is not a signed report, or its signature does not verify."""


def verify_report_file(path: Path, keys_path: Path) -> dict[str, Any]:
    """Return the verified report, or raise `ReportInvalid` saying why."""
    import orjson

    from signing.canonical import CanonicalError, canonical
    from signing.keys import KeysError, SignatureInvalid, load_public_keys, verify_signature

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


def verify_proof_file(report: dict[str, Any], path: Path, keys_path: Path) -> dict[str, Any]:
    """Return the job manifest the report is proven part of, or raise `ReportInvalid`."""
    import orjson

    from jobs.manifest import ProofInvalid, verify_report_in_job
    from signing.keys import KeysError, SignatureInvalid, load_public_keys

    try:
        proof = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise ReportInvalid(f"{path}: no such file") from None
    except orjson.JSONDecodeError:
        raise ReportInvalid(f"{path} is not JSON (was it changed?)") from None
    if not isinstance(proof, dict):
        raise ReportInvalid(f"{path} is not an inclusion proof")
    try:
        return verify_report_in_job(report, proof, load_public_keys(keys_path))
    except (ProofInvalid, SignatureInvalid, KeysError) as exc:
        raise ReportInvalid(f"{path}: {exc}") from None


def run_verify(args: argparse.Namespace) -> int:
    keys = args.keys or args.home / "keys" / "hub-keys.json"
    try:
        report = verify_report_file(args.file, keys)
        manifest = None if args.proof is None else verify_proof_file(report, args.proof, keys)
    except ReportInvalid as exc:
        print(f"INVALID: {exc}", file=sys.stderr)
        return 1
    subject = report.get("subject")
    subject = subject if isinstance(subject, dict) else {}
    name = f" {subject['name']}" if subject.get("name") else ""
    print(f"valid: report {report.get('reportNo') or report.get('reportId')} "
          f"({report.get('kind')} of {subject.get('uscc')}{name}, verdict "
          f"{report.get('verdict')}, checked at {report.get('checkedAt')})")
    if manifest is not None:
        print(f"valid: part of job {manifest.get('jobId')} (report "
              f"{report.get('reportNo')} of {manifest.get('reports')}, signed tree root "
              f"{manifest.get('treeRoot')})")
    return 0


def run_print(args: argparse.Namespace) -> int:
    import orjson

    keys = args.keys or args.home / "keys" / "hub-keys.json"
    try:
        if args.unverified and not keys.exists():
            print(f"hub report: {keys} not found; rendering WITHOUT verifying the signature",
                  file=sys.stderr)
            signed = orjson.loads(args.file.read_bytes())
        else:
            verify_report_file(args.file, keys)
            signed = orjson.loads(args.file.read_bytes())
        view = ReportView.from_signed(signed)
    except ReportInvalid as exc:
        print(f"hub report: INVALID: {exc}", file=sys.stderr)
        return 1
    except (OSError, orjson.JSONDecodeError, ReportUnreadable) as exc:
        print(f"hub report: {args.file}: {exc}", file=sys.stderr)
        return 2
    if args.format == "pdf":
        from hub.report.pdf import render_pdf

        args.out.write_bytes(render_pdf(view, verify_base=args.verify_base))
    else:
        from hub.report.html import render_html

        args.out.write_text(render_html(view, verify_base=args.verify_base), encoding="utf-8")
    print(f"{args.out}: 核查结果告知书 {view.report_no}, verification code {view.code}")
    return 0
