"""Entries for rule and statistics tests, built field by field (not by the code under test)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from hub.console.entries import Entry

SHANGHAI = ZoneInfo("Asia/Shanghai")
USCC = "91110000600037341L"


def person(n: int) -> str:
    return f"v1:{n:064x}"


def at(text: str) -> dt.datetime:
    """A Shanghai wall-clock time, e.g. "2026-11-27 10:00"."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).astimezone(dt.UTC)


def entry(seq: int, when: dt.datetime, **fields: Any) -> Entry:
    values: dict[str, Any] = {
        "seq": seq, "time": when, "request_id": f"r{seq}", "caller": "portal",
        "operator": "clerk-1", "case": None, "purpose": "SCHOOL_ENROLMENT", "outcome": "ALLOWED",
        "legal_basis": "CONSENT", "consents": (), "subjects": (), "categories": {},
        "released": (), "denied": (), "sources": (), "entry_hash": f"{seq:064x}",
        "prev_hash": f"{seq - 1:064x}", "query_hash": None, "requests": 1, "application": None,
        "job": None}
    values.update(fields)
    return Entry(**values)
