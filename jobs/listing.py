"""Enterprise lists as people keep them: a CSV or XLSX file of unified social credit codes.

One code per row, in the first column or in the column whose heading names it (统一社会信用代码,
信用代码, USCC). A heading row, blank rows, surrounding spaces, lower-case letters and
full-width characters are taken in their stride; a code that appears twice is checked once. A
row that is not a valid code is a `BadLine` with its row number and the reason; the caller
decides whether that refuses the list (the default) or is reported and skipped. A workbook may
have several sheets, but only one with data: which list was meant is never guessed. Files
larger than `MAX_LIST_BYTES` are refused before they are parsed.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from connectors.identifiers import InvalidIdentifier, normalise, verify_uscc
from jobs.errors import BadLine, ListInvalid, ListTooLarge

__all__ = ["MAX_JOB_ITEMS", "MAX_LIST_BYTES", "ListFormat", "ParsedList", "list_format",
           "parse_codes", "read_list"]

MAX_LIST_BYTES = 8 * 1024 * 1024  # 100,000 codes take about 2 MB as CSV
MAX_JOB_ITEMS = 100_000
ListFormat = Literal["csv", "xlsx"]
_HEADINGS = ("统一社会信用代码", "社会信用代码", "信用代码", "USCC")
_DIGITS = re.compile(r"\d{6,}")
_XLSX_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True, slots=True)
class ParsedList:
    usccs: tuple[str, ...]  # valid, canonical, first occurrence order, no duplicates
    bad: tuple[BadLine, ...]
    duplicates: int
    header: bool

    def checked(self, skip_invalid: bool) -> ParsedList:
        """This list, or raise `ListInvalid` naming its bad lines (unless they are skipped)."""
        if self.bad and not skip_invalid:
            shown = "; ".join(f"第 {b.line} 行 {b.text!r}: {b.reason}" for b in self.bad[:20])
            more = f"（另有 {len(self.bad) - 20} 行）" if len(self.bad) > 20 else ""
            raise ListInvalid(f"名单中有 {len(self.bad)} 行不是有效的统一社会信用代码，未提交："
                              f"{shown}{more}。请改正后重新提交，或选择跳过无效行"
                              "（--skip-invalid / skipInvalid）", self.bad)
        if not self.usccs:
            raise ListInvalid("名单中没有有效的统一社会信用代码")
        if len(self.usccs) > MAX_JOB_ITEMS:
            raise ListInvalid(f"一个任务最多 {MAX_JOB_ITEMS:,} 家企业，名单中有 "
                              f"{len(self.usccs):,} 家；请拆分后分别提交")
        return self


def list_format(filename: str, data: bytes) -> ListFormat:
    """CSV or XLSX, by the file's name and its first bytes; raise `ListInvalid` otherwise."""
    lower = filename.lower()
    if lower.endswith(".xlsx") or data.startswith(_XLSX_MAGIC):
        return "xlsx"
    if lower.endswith((".csv", ".txt")) or not lower:
        return "csv"
    raise ListInvalid(f"{filename}: 只接受 CSV 或 XLSX 文件（.csv / .xlsx）")


def read_list(data: bytes, filename: str = "") -> ParsedList:
    """Read an uploaded list; raise `ListInvalid` if the file itself cannot be used."""
    if len(data) > MAX_LIST_BYTES:
        raise ListTooLarge(f"文件大小 {len(data) / 1024 / 1024:.1f} MB，超过上限 "
                          f"{MAX_LIST_BYTES // 1024 // 1024} MB；一个任务最多 "
                          f"{MAX_JOB_ITEMS:,} 家企业，请只保留信用代码一列或拆分名单")
    if list_format(filename, data) == "xlsx":
        return parse_codes(_xlsx_rows(data))
    return parse_codes(_csv_rows(data))


def _csv_rows(data: bytes) -> list[tuple[int, list[str]]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ListInvalid("文件不是 UTF-8 或 GB18030 编码的文本；请另存为 CSV (UTF-8)")
    if "\0" in text:
        raise ListInvalid("文件含有二进制内容，不是 CSV；请另存为 CSV (UTF-8) 或 XLSX")
    return [(n, row) for n, row in enumerate(csv.reader(io.StringIO(text)), start=1)]


def _xlsx_rows(data: bytes) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ListInvalid(f"无法读取 XLSX 文件（{type(exc).__name__}）；请用 Excel 另存为 .xlsx "
                          "或 CSV") from None
    try:
        sheets = []
        for sheet in book.worksheets:
            rows = [(n, ["" if v is None else str(v) for v in row])
                    for n, row in enumerate(sheet.iter_rows(values_only=True), start=1)]
            rows = [(n, r) for n, r in rows if any(c.strip() for c in r)]
            if rows:
                sheets.append((sheet.title, rows))
    finally:
        book.close()
    if len(sheets) > 1:
        names = "、".join(name for name, _ in sheets)
        raise ListInvalid(f"工作簿中有 {len(sheets)} 个工作表含有数据（{names}）；请把名单放在"
                          "一个工作表中，删除或清空其他工作表")
    return sheets[0][1] if sheets else []


def _is_heading(cells: Sequence[str]) -> bool:
    return not any(_DIGITS.search(normalise(c)) for c in cells)


def _column(cells: Sequence[str]) -> int:
    for i, cell in enumerate(cells):
        if any(h.lower() in cell.strip().lower() for h in _HEADINGS):
            return i
    return 0


def parse_codes(rows: Iterable[tuple[int, list[str]]]) -> ParsedList:
    """The codes of numbered rows: a first row without any code-like cell is a heading."""
    usccs: dict[str, None] = {}
    bad: list[BadLine] = []
    duplicates = 0
    column = 0
    header = False
    first = True
    for line, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        if first:
            first = False
            if _is_heading(cells):
                header, column = True, _column(cells)
                continue
        text = cells[column].strip() if column < len(cells) else ""
        try:
            code = verify_uscc(text)
        except InvalidIdentifier as exc:
            bad.append(BadLine(line, text[:64], "空白" if not text else exc.zh))
            continue
        if code in usccs:
            duplicates += 1
        else:
            usccs[code] = None
    return ParsedList(tuple(usccs), tuple(bad), duplicates, header)
