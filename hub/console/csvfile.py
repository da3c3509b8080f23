"""Entries as CSV for spreadsheets: UTF-8 with a byte-order mark (so Excel reads Chinese), one
row per entry, lists joined with `; `, and any cell that a spreadsheet would run as a formula
(`=`, `+`, `-`, `@`, tab, carriage return) prefixed with `'` (OWASP, CSV injection)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from zoneinfo import ZoneInfo

from hub.console.entries import Entry

__all__ = ["COLUMNS", "entries_csv", "safe_cell"]

COLUMNS = ("seq", "time", "request_id", "caller", "caller_name", "operator", "case", "purpose",
           "legal_basis", "outcome", "consents", "subjects", "released", "denied", "sources",
           "entry_hash")


def safe_cell(value: str) -> str:
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def entries_csv(entries: Iterable[Entry], zone: ZoneInfo, names: Mapping[str, str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for e in entries:
        row = [str(e.seq), e.time.astimezone(zone).isoformat(), e.request_id, e.caller or "",
               names.get(e.caller or "", ""), e.operator or "", e.case or "", e.purpose or "",
               e.legal_basis or "", e.outcome, "; ".join(e.consents), "; ".join(e.subjects),
               "; ".join(e.released), "; ".join(f"{p}: {c}" for p, c in e.denied),
               "; ".join(f"{s} {st} {ms:g}ms" for s, st, ms, _ in e.sources), e.entry_hash]
        writer.writerow([safe_cell(v) for v in row])
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")
