"""USCC and resident ID normalisation and verification."""

from __future__ import annotations

import datetime as dt

import pytest

from connectors.identifiers import (
    InvalidIdentifier,
    make_resident_id,
    make_uscc,
    verify_resident_id,
    verify_uscc,
)

TODAY = dt.date(2026, 11, 28)
USCC = "91110000600037341L"  # stdnum's documented example


def test_uscc_normalises_whitespace_case_and_full_width() -> None:
    assert verify_uscc(" 9111 0000-600037341l ") == USCC
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in USCC)
    assert verify_uscc(full_width) == USCC


@pytest.mark.parametrize(("bad", "says"), [
    ("91110000600037341", "18 characters"),
    ("91110000600037341M", "check character"),
    ("9111000060003734IL", "not allowed"),
    ("A1110000600037341L", "must be digits"),
    ("", "18 characters"),
])
def test_uscc_rejections_say_why(bad: str, says: str) -> None:
    with pytest.raises(InvalidIdentifier, match=says):
        verify_uscc(bad)


def test_resident_id_check_digit_and_lower_case_x() -> None:
    rid = make_resident_id("410702", dt.date(1990, 5, 1), 14)
    assert verify_resident_id(rid, today=TODAY) == rid
    x_ids = [make_resident_id("410702", dt.date(1990, 5, 1), s) for s in range(1, 200)]
    with_x = next(r for r in x_ids if r.endswith("X"))
    assert verify_resident_id(with_x.lower(), today=TODAY) == with_x


def test_resident_id_with_a_region_created_after_birth_is_accepted() -> None:
    """stdnum rejects this (长垣市 became 410783 in 2019); the check digit is what counts."""
    rid = make_resident_id("410783", dt.date(1970, 1, 1), 21)
    assert verify_resident_id(rid, today=TODAY) == rid


@pytest.mark.parametrize(("born", "says"), [
    (dt.date(2026, 11, 29), "outside"),
    (dt.date(1899, 12, 31), "outside"),
])
def test_resident_id_birth_date_bounds(born: dt.date, says: str) -> None:
    with pytest.raises(InvalidIdentifier, match=says):
        verify_resident_id(make_resident_id("410702", born, 1), today=TODAY)


def test_resident_id_boundary_today_is_accepted() -> None:
    rid = make_resident_id("410702", TODAY, 1)
    assert verify_resident_id(rid, today=TODAY) == rid


@pytest.mark.parametrize(("bad", "says"), [
    ("41070219900230123X", "not a real date"),
    ("4107021990050112", "18 characters"),
    ("41070219900501123A", "17 digits"),
])
def test_resident_id_rejections(bad: str, says: str) -> None:
    with pytest.raises(InvalidIdentifier, match=says):
        verify_resident_id(bad, today=TODAY)


def test_resident_id_wrong_check_digit() -> None:
    rid = make_resident_id("410702", dt.date(1990, 5, 1), 14)
    wrong = rid[:17] + ("0" if rid[17] != "0" else "1")
    with pytest.raises(InvalidIdentifier, match="check character"):
        verify_resident_id(wrong, today=TODAY)


def test_made_uscc_has_valid_organisation_code() -> None:
    code = make_uscc("410700", 12345678)
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c) * w for c, w in zip(code[8:16], weights, strict=True))
    check = (11 - total % 11) % 11
    assert code[16] == ("X" if check == 10 else str(check))
    assert verify_uscc(code) == code
