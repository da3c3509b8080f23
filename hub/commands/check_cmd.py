"""`hub check ipo|bankruptcy USCC`: a lead department's one-shot check from the terminal."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import orjson

from connectors.identifiers import InvalidIdentifier, verify_uscc
from hub.client import ClientError, find_hub

__all__ = ["CHECK_QUERY", "KINDS", "register", "render_table", "run_check"]

KINDS = {"ipo": "IPO_COMPLIANCE", "bankruptcy": "BANKRUPTCY"}

CHECK_QUERY = """
query Check($kind: CheckKind!, $uscc: USCC!) {
  complianceCheck(kind: $kind, uscc: $uscc) {
    reportId kind verdict checkedAt signature keyId document
    subject { uscc }
    domains { domain title department source status detail latencyMs records { __typename } }
  }
}
"""


def register(sub: Any) -> None:
    p = sub.add_parser("check", help="run a compliance check against a running hub")
    p.add_argument("kind", choices=sorted(KINDS))
    p.add_argument("uscc")
    p.add_argument("--out", type=Path, help="write the signed report (JSON) here")
    p.add_argument("--url", help="the hub's GraphQL URL (else HUB_URL, else the demo)")
    p.add_argument("--api-key", help="the caller's API key (else HUB_API_KEY, else the demo)")
    p.add_argument("--home", type=Path, default=Path(".hub"))
    p.add_argument("--as", dest="caller", default="xzsp", help="demo caller (default xzsp)")
    p.add_argument("--case", help="case number for X-Hub-Case")
    p.set_defaults(run=run_check)


def run_check(args: argparse.Namespace) -> int:
    try:
        uscc = verify_uscc(args.uscc)
    except InvalidIdentifier as exc:
        print(f"hub check: {exc}", file=sys.stderr)
        return 2
    kind = KINDS[args.kind]
    headers = {"X-Hub-Purpose": kind}
    if args.case:
        headers["X-Hub-Case"] = args.case
    try:
        client = find_hub(args.url, args.api_key, args.home, args.caller)
        answer = client.query(CHECK_QUERY, {"kind": kind, "uscc": uscc}, headers)
    except ClientError as exc:
        print(f"hub check: {exc}", file=sys.stderr)
        return 2
    report = (answer.get("data") or {}).get("complianceCheck")
    if report is None:
        for error in answer.get("errors", []):
            code = error.get("extensions", {}).get("code", "?")
            print(f"hub check: {code}: {error.get('message')}", file=sys.stderr)
        return 1
    print(render_table(report))
    if args.out:
        signed = {"report": orjson.loads(report["document"]), "signature": report["signature"],
                  "keyId": report["keyId"]}
        args.out.write_bytes(orjson.dumps(signed, option=orjson.OPT_INDENT_2))
        print(f"signed report written to {args.out} (verify: hub report verify {args.out})")
    return 0


def _width(text: str) -> int:
    return sum(2 if ord(c) > 0x2E80 else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def render_table(report: dict[str, Any]) -> str:
    rows = [("domain", "title", "department", "status", "records", "ms", "detail")]
    for d in report["domains"]:
        ms = "" if d["latencyMs"] is None else f"{d['latencyMs']:.0f}"
        rows.append((d["domain"], d["title"], d["department"], d["status"],
                     str(len(d["records"])), ms, d["detail"] or ""))
    widths = [max(_width(r[i]) for r in rows) for i in range(6)]
    lines = [f"{report['kind']} check of {report['subject']['uscc']}  report {report['reportId']}",
             ""]
    for row in rows:
        lines.append("  ".join(_pad(c, w) for c, w in zip(row[:6], widths, strict=True))
                     + "  " + row[6])
    lines += ["", f"verdict: {report['verdict']}   checked at {report['checkedAt']}   "
              f"signed by key {report['keyId']}"]
    return "\n".join(lines)
