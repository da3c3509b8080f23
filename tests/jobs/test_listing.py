"""Reading enterprise lists as people keep them: headings, blank lines, duplicates, lower-case
and full-width codes, invalid codes (with their line numbers and reasons), workbooks with more
than one sheet, and files too large to be a list. Valid codes come from an independent oracle
(`tests.identifier_oracle`), not from the code under test."""

from __future__ import annotations

import io
import unicodedata

import pytest
from openpyxl import Workbook

from jobs.errors import ListInvalid
from jobs.listing import MAX_LIST_BYTES, parse_codes, read_list
from tests.identifier_oracle import unknown_uscc

CODES = [unknown_uscc("410700", n) for n in range(1, 6)]
WIDE = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


def xlsx(*sheets: list[list[object]]) -> bytes:
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for i, rows in enumerate(sheets):
        sheet = book.create_sheet(f"表{i + 1}")
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_heading_blank_lines_duplicates_and_sloppy_codes_are_taken_in_their_stride() -> None:
    lower, wide = CODES[1].lower(), CODES[2].translate(WIDE)
    assert unicodedata.normalize("NFKC", wide) == CODES[2]
    text = f"统一社会信用代码,企业名称\n{CODES[0]},甲\n\n {lower} ,乙\n{wide},丙\n{CODES[0]},甲\n"
    listed = read_list(text.encode(), "list.csv")
    assert listed.header and listed.usccs == tuple(CODES[:3])
    assert listed.duplicates == 1 and listed.bad == ()


def test_the_code_column_is_found_by_its_heading() -> None:
    text = f"序号,名称,统一社会信用代码\n1,甲,{CODES[0]}\n2,乙,{CODES[1]}\n"
    assert read_list(text.encode("gb18030"), "list.csv").usccs == tuple(CODES[:2])


def test_invalid_codes_are_listed_with_their_line_and_reason_and_refuse_the_list() -> None:
    typo = CODES[3][:17] + ("0" if CODES[3][17] != "0" else "1")
    text = f"{CODES[0]}\n{typo}\nnot-a-code\n{CODES[1]}\n"
    listed = read_list(text.encode(), "list.csv")
    assert [(b.line, b.text) for b in listed.bad] == [(2, typo), (3, "not-a-code")]
    assert "校验码不符" in listed.bad[0].reason and "应为 18 位" in listed.bad[1].reason
    with pytest.raises(ListInvalid) as refused:
        listed.checked(skip_invalid=False)
    assert "第 2 行" in refused.value.message and "第 3 行" in refused.value.message
    assert len(refused.value.bad) == 2
    assert listed.checked(skip_invalid=True).usccs == (CODES[0], CODES[1])


def test_a_list_without_any_valid_code_is_refused() -> None:
    with pytest.raises(ListInvalid, match="没有有效"):
        read_list("统一社会信用代码\n\n".encode(), "list.csv").checked(skip_invalid=True)


def test_an_xlsx_with_one_sheet_of_data_and_empty_others_is_read() -> None:
    data = xlsx([["USCC"], [CODES[0]], [None], [CODES[1].lower()]], [])
    assert read_list(data, "list.xlsx").usccs == (CODES[0], CODES[1])


def test_an_xlsx_with_data_on_two_sheets_is_refused_naming_them() -> None:
    data = xlsx([[CODES[0]]], [[CODES[1]]])
    with pytest.raises(ListInvalid, match="2 个工作表含有数据（表1、表2）"):
        read_list(data, "list.xlsx")


def test_a_file_that_is_not_an_xlsx_is_refused_clearly() -> None:
    with pytest.raises(ListInvalid, match="无法读取 XLSX"):
        read_list(b"PK\x03\x04 this is no workbook", "list.xlsx")
    with pytest.raises(ListInvalid, match="只接受 CSV 或 XLSX"):
        read_list(b"%PDF-1.7", "list.pdf")


def test_a_50_mb_file_is_refused_before_it_is_parsed() -> None:
    big = (CODES[0] + "\n").encode() * (50 * 1024 * 1024 // 19)
    assert len(big) > MAX_LIST_BYTES
    with pytest.raises(ListInvalid, match="超过上限 8 MB"):
        read_list(big, "big.csv")


def test_rows_are_numbered_as_the_file_numbers_them() -> None:
    listed = parse_codes([(1, ["代码"]), (7, ["bad"]), (9, [CODES[0]])])
    assert listed.header and [b.line for b in listed.bad] == [7]
