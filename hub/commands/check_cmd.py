"""`hub check ipo|bankruptcy USCC`: a lead department's one-shot check from the terminal.

Prints one row per domain and source, with the rows that make the verdict FINDINGS marked (and
coloured on a terminal) and their records summarised under them; headings in Chinese with
`--lang zh` (the default when `LANG` starts with zh) or English. The table is read from the
signed document itself, so what the clerk sees is what was signed. `--out` writes the signed
report, `--pdf` prints the 核查结果告知书. `--since`, `--until` and `--base-date` set the period and
the 受理日; `--case` and `--operator` travel as percent-encoded UTF-8 headers.

Exit status: 0 CLEAN, 10 FINDINGS, 11 INCOMPLETE, 12 SUBJECT_UNKNOWN; 1 the hub refused or
failed the check; 2 bad input or no hub to ask. `--file LIST` checks a list as a batch job
(`hub.commands.job_cmd`), exiting with its worst verdict.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any

from hub.headers import HeaderError, check_text, encode_text
from hub.report.labels import (
    KIND_TITLES,
    Lang,
    conclusion,
    domain_title,
    money,
    summarise,
    verdict_text,
    word,
)
from hub.report.view import DomainView, ReportInvalid, ReportView

__all__ = ["CHECK_QUERY", "DEFAULT_VERIFY_BASE", "EXIT_CODES", "KINDS", "default_lang", "register",
           "render_table", "run_check"]

KINDS = {"ipo": "IPO_COMPLIANCE", "bankruptcy": "BANKRUPTCY"}
EXIT_CODES = {"CLEAN": 0, "FINDINGS": 10, "INCOMPLETE": 11, "SUBJECT_UNKNOWN": 12}
DEFAULT_VERIFY_BASE = "http://127.0.0.1:8000"
_SHOWN = 5  # records summarised under a row; the rest are counted
_RED, _BOLD, _RESET = "\x1b[31m", "\x1b[1m", "\x1b[0m"

CHECK_QUERY = """
query Check($kind: CheckKind!, $uscc: USCC!, $since: Date, $until: Date, $baseDate: Date) {
  complianceCheck(kind: $kind, uscc: $uscc, since: $since, until: $until, baseDate: $baseDate) {
    reportNo verdict signature keyId document
  }
}
"""


def default_lang(environ: dict[str, str] | None = None) -> Lang:
    env = os.environ if environ is None else environ
    value = env.get("LC_ALL") or env.get("LC_MESSAGES") or env.get("LANG") or ""
    return "zh" if value.lower().startswith("zh") else "en"


def register(sub: Any) -> None:
    p = sub.add_parser("check", help="run a compliance check against a running hub",
                       description="Run one IPO compliance or bankruptcy check of an enterprise "
                       "against a running hub and print a table per domain. Exit status: 0 "
                       "CLEAN, 10 FINDINGS, 11 INCOMPLETE, 12 SUBJECT_UNKNOWN, 1-2 errors.")
    p.add_argument("kind", choices=sorted(KINDS),
                   help="ipo: IPO compliance (17 domains); bankruptcy: bankruptcy information")
    p.add_argument("uscc", nargs="?",
                   help="the enterprise's unified social credit code (18 characters)")
    p.add_argument("--file", type=Path,
                   help="check a list instead (CSV or XLSX, one USCC a row): submitted as a "
                   "batch job, followed with a progress bar; Ctrl-C leaves the job running")
    p.add_argument("--skip-invalid", action="store_true",
                   help="with --file: leave invalid lines out (and list them) instead of "
                   "refusing the list")
    p.add_argument("--out", type=Path, help="write the signed report (JSON) here; with "
                   "--file, the results (.xlsx or .csv)")
    p.add_argument("--pdf", type=Path, help="print the 核查结果告知书 (PDF) here")
    p.add_argument("--lang", choices=("zh", "en"), default=None,
                   help="language of the table (default: zh when LANG starts with zh)")
    p.add_argument("--verify-base", default=os.environ.get("HUB_PUBLIC_URL", DEFAULT_VERIFY_BASE),
                   help="public base URL the QR code points /verify at (else HUB_PUBLIC_URL)")
    p.add_argument("--url", help="the hub's GraphQL URL (else HUB_URL, else the demo)")
    p.add_argument("--api-key", help="the caller's API key (else HUB_API_KEY, else the demo)")
    p.add_argument("--home", type=Path, default=Path(".hub"),
                   help="the running demo's home, where demo.json is (default .hub)")
    p.add_argument("--as", dest="caller", default="xzsp", help="demo caller (default xzsp)")
    p.add_argument("--case", help="case number for X-Hub-Case, e.g. (2026)豫07破1号 "
                   "(sent as percent-encoded UTF-8)")
    p.add_argument("--operator", help="the operator (经办人) for X-Hub-Operator, e.g. 张三")
    p.add_argument("--since", type=_day, help="first day covered, YYYY-MM-DD (IPO default: "
                   "36 months ago)")
    p.add_argument("--until", type=_day, help="last day covered, YYYY-MM-DD (default today)")
    p.add_argument("--base-date", type=_day, help="受理日 of a bankruptcy case, YYYY-MM-DD")
    p.set_defaults(run=run_check)


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def run_check(args: argparse.Namespace) -> int:
    import orjson

    from connectors.identifiers import InvalidIdentifier, verify_uscc
    from hub.client import ClientError, busy_notice, find_hub

    lang: Lang = args.lang or default_lang()
    if args.file is not None:
        if args.uscc is not None or args.pdf is not None or args.base_date is not None:
            print("hub check: --file checks a list; give no USCC, --pdf or --base-date with it",
                  file=sys.stderr)
            return 2
        from hub.commands.job_cmd import run_file

        return run_file(args)
    if args.uscc is None:
        print("hub check: give a USCC, or --file LIST for a list", file=sys.stderr)
        return 2
    try:
        uscc = verify_uscc(args.uscc)
    except InvalidIdentifier as exc:
        print(f"hub check: {exc.text(lang)}", file=sys.stderr)
        return 2
    kind = KINDS[args.kind]
    headers = {"X-Hub-Purpose": kind}
    # Header values are ASCII: the case number and operator travel as percent-encoded UTF-8.
    for option, header, value in (("--case", "X-Hub-Case", args.case),
                                  ("--operator", "X-Hub-Operator", args.operator)):
        if value is None:
            continue
        try:
            headers[header] = encode_text(check_text(option, value))
        except HeaderError as exc:
            print(f"hub check: {exc}", file=sys.stderr)
            return 2
    variables: dict[str, Any] = {"kind": kind, "uscc": uscc}
    for name, value in (("since", args.since), ("until", args.until),
                        ("baseDate", args.base_date)):
        if value is not None:
            variables[name] = value.isoformat()
    try:
        client = find_hub(args.url, args.api_key, args.home, args.caller,
                          busy_notice("hub check", lang))
        answer = client.query(CHECK_QUERY, variables, headers)
    except ClientError as exc:
        print(f"hub check: {exc}", file=sys.stderr)
        return 2
    report = (answer.get("data") or {}).get("complianceCheck")
    if report is None:
        codes = []
        for error in answer.get("errors", []):
            code = error.get("extensions", {}).get("code", "?")
            codes.append(code)
            print(f"hub check: {code}: {error.get('message')}", file=sys.stderr)
        return 2 if codes and set(codes) <= {"BAD_USER_INPUT"} else 1
    try:
        signed = {"report": orjson.loads(report["document"]), "signature": report["signature"],
                  "keyId": report["keyId"]}
        view = ReportView.from_signed(signed)
    except (orjson.JSONDecodeError, KeyError, TypeError, ReportInvalid) as exc:
        print(f"hub check: the hub's report cannot be read ({exc})", file=sys.stderr)
        return 1
    print(render_table(view, lang, colour=sys.stdout.isatty()))
    if args.out:
        args.out.write_bytes(orjson.dumps(signed, option=orjson.OPT_INDENT_2))
        print(("签名报告已写入" if lang == "zh" else "signed report written to")
              + f" {args.out} (hub report verify {args.out})")
    if args.pdf:
        from hub.report.pdf import render_pdf

        args.pdf.write_bytes(render_pdf(view, verify_base=args.verify_base))
        print(("告知书已写入" if lang == "zh" else "告知书 (PDF) written to") + f" {args.pdf}")
    return EXIT_CODES.get(view.verdict, 1)


def _width(text: str) -> int:
    return sum(2 if ord(c) > 0x2E80 else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _causes_findings(d: DomainView) -> bool:
    return d.status == "OK" and bool(d.findings)


def render_table(view: ReportView, lang: Lang = "en", *, colour: bool = False) -> str:
    """The check as a table; rows that cause FINDINGS start with '!' and list their records."""
    zh = lang == "zh"
    head = ("", word("domain", lang), word("department", lang), word("conclusion", lang),
            word("records", lang), word("as_of", lang))
    rows = [head]
    for d in view.domains:
        mark = "!" if _causes_findings(d) else ""
        disputed = d.marks if zh else " (disputed)" if d.disputed else ""
        rows.append((mark, domain_title(view.kind, d, lang), d.department,
                     conclusion(d, lang) + disputed, str(len(d.records)),
                     d.as_of[:16].replace("T", " ")))
    widths = [max(_width(r[i]) for r in rows) for i in range(len(head))]
    kind = KIND_TITLES.get(view.kind, {}).get(lang, view.kind)
    subject = " ".join(p for p in (view.name, view.uscc, view.status) if p)
    lines = [f"{kind}: {subject}  {word('report', lang)} {view.report_no}"]
    if view.since or view.until:
        lines.append(f"{word('period', lang)}: {view.since or '…'} – {view.until}"
                     + (f"   {word('base_date', lang)} {view.base_date}" if view.base_date else ""))
    if view.detail:
        lines.append(f"{_BOLD}{_RED}{view.detail}{_RESET}" if colour and view.verdict != "CLEAN"
                     else view.detail)
    lines.append("")
    for row, dom in zip(rows, [None, *view.domains], strict=True):
        line = "  ".join(_pad(c, w) for c, w in zip(row, widths, strict=True)).rstrip()
        highlight = dom is not None and _causes_findings(dom)
        lines.append(f"{_BOLD}{_RED}{line}{_RESET}" if highlight and colour else line)
        if dom is None:
            continue
        shown = dom.findings if highlight else ()
        indent = " " * (widths[0] + 2)
        lines += [f"{indent}- {summarise(r)}" for r in shown[:_SHOWN]]
        if len(shown) > _SHOWN:
            more = len(shown) - _SHOWN
            lines.append(f"{indent}  … {more} " + ("条未列出" if zh else "more"))
        if dom.status in ("UNAVAILABLE", "INVALID", "STALE") and dom.detail:
            lines.append(f"{indent}  {word('detail', lang)}: {dom.detail}")
    lines += _inventory_lines(view, lang)
    lines += ["", f"{word('verdict', lang)}: {view.verdict} ({verdict_text(view.verdict, lang)})"
              f"   {word('checked_at', lang)} {view.checked_at}   "
              f"{word('signed_by', lang)} {view.key_id}"]
    return "\n".join(lines)


def _inventory_lines(view: ReportView, lang: Lang) -> list[str]:
    """A bankruptcy check's totals by creditor class (fen shown as yuan)."""
    inventory = view.inventory
    classes = inventory.get("classes") if inventory else None
    if inventory is None or not isinstance(classes, list):
        return []
    zh = lang == "zh"
    lines = ["", "债务清单（按《企业破产法》第一百一十三条顺序）" if zh else
             "liabilities by creditor class (Enterprise Bankruptcy Law art. 109, 113)"]
    for c in classes:
        if isinstance(c, dict):
            lines.append(f"  {c.get('title') if zh else c.get('code')}: {money(c.get('total'))}")
    lines.append(("  合计（不含有财产担保的债权）" if zh else "  total (secured claims apart)")
                 + f": {money(inventory.get('total'))}")
    for r in inventory.get("reconciliations") or []:
        if isinstance(r, dict) and r.get("disputed"):
            lines.append(f"  ! {r.get('reason')}")
    return lines
