"""CSV evidence: readable by a spreadsheet in Chinese, one row per entry, and no cell a
spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io

import pytest

from hub.console.csvfile import COLUMNS, entries_csv, safe_cell
from tests.console.entries import SHANGHAI, at, entry, person


@pytest.mark.parametrize(("value", "safe"), [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+1", "'+1"), ("-2", "'-2"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("(2026)豫07破1号", "(2026)豫07破1号"), ("", "")])
def test_formula_cells_are_defused(value: str, safe: str) -> None:
    assert safe_cell(value) == safe


def test_rows_hold_each_entry() -> None:
    entries = [
        entry(7, at("2026-11-27 10:00"), case="=cmd|' /C calc'!A0", consents=("cst_1",),
              subjects=(person(1),), released=("person.household",),
              denied=(("person.property", "CONSENT_REQUIRED"),),
              sources=(("gaj_household", "OK", 12.5, 1),)),
        entry(8, at("2026-11-27 10:01"), caller="fgw", operator=None),
    ]
    data = entries_csv(entries, SHANGHAI, {"portal": "一体化政务服务平台"})
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert tuple(rows[0]) == COLUMNS and len(rows) == 2
    first = rows[0]
    assert first["seq"] == "7" and first["time"] == "2026-11-27T10:00:00+08:00"
    assert first["caller_name"] == "一体化政务服务平台" and first["case"].startswith("'=")
    assert first["denied"] == "person.property: CONSENT_REQUIRED"
    assert first["sources"] == "gaj_household OK 12.5ms"
    assert first["subjects"] == person(1) and first["entry_hash"] == f"{7:064x}"
    assert rows[1]["operator"] == "" and rows[1]["caller_name"] == ""
