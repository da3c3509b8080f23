"""USCC, organisation code and resident ID verification, against the standards' own examples.

Expected values never come from the code under test: they are the examples printed in the
standards (and in python-stdnum's documentation), or come from the oracle below, written here
from the published weight tables as a reader of the standards would.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from stdnum.cn import uscc as stdnum_uscc

from connectors.identifiers import (
    InvalidIdentifier,
    verify_organisation_code,
    verify_resident_id,
    verify_subject,
    verify_uscc,
)
from tests.identifier_oracle import (
    GB11643_CHECK,
    GB11643_WEIGHTS,
    GB32100_VALUES,
    oracle_org,
    oracle_ric,
    oracle_uscc,
)

TODAY = dt.date(2026, 11, 28)

def test_the_oracle_reproduces_the_published_examples() -> None:
    """The oracle itself is checked against the examples printed in the standards."""
    assert oracle_ric("11010519491231002") == "11010519491231002X"  # GB 11643 example 1
    assert oracle_ric("44052418800101001") == "440524188001010014"  # GB 11643 example 2
    assert oracle_uscc("91350100M000100Y4") == "91350100M000100Y43"  # GB 32100 example
    assert oracle_org("M000100Y") == "M000100Y4"
    assert oracle_uscc("91110000600037341") == "91110000600037341L"  # stdnum's example
    assert oracle_org("60003734") == "600037341"


# -- resident identity numbers ----------------------------------------------------------------

@pytest.mark.parametrize("rid", ["11010519491231002X", "440524188001010014"])
def test_the_standard_examples_are_accepted(rid: str) -> None:
    assert verify_resident_id(rid, today=TODAY) == rid


def test_random_resident_ids_agree_with_the_oracle() -> None:
    """2,000 random numbers: the oracle's check character is accepted, every other refused."""
    rng = random.Random(11643)
    for _ in range(2000):
        born = dt.date(1900, 1, 1) + dt.timedelta(days=rng.randrange(45_000))
        first17 = f"{rng.randrange(110000, 660000)}{born:%Y%m%d}{rng.randrange(1000):03d}"
        good = oracle_ric(first17)
        assert verify_resident_id(good, today=TODAY) == good
        for wrong in "0123456789X":
            if wrong != good[17]:
                with pytest.raises(InvalidIdentifier, match="check character"):
                    verify_resident_id(first17 + wrong, today=TODAY)


def test_a_sixteen_digit_check_is_refused() -> None:
    """The old defect: the check character computed over 16 digits is refused."""
    refused = 0
    for n in range(100):
        first17 = f"410702199005{n % 28 + 1:02d}{n:03d}"
        s16 = sum(int(d) * w for d, w in zip(first17[:16], GB11643_WEIGHTS, strict=False))
        wrong = first17 + GB11643_CHECK[s16 % 11]
        if wrong != oracle_ric(first17):
            refused += 1
            with pytest.raises(InvalidIdentifier):
                verify_resident_id(wrong, today=TODAY)
    assert refused > 50


def test_lower_case_x_is_folded() -> None:
    assert verify_resident_id("11010519491231002x", today=TODAY) == "11010519491231002X"


def test_resident_id_with_a_region_created_after_birth_is_accepted() -> None:
    """stdnum rejects this (长垣市 became 410783 in 2019); the check character is what counts."""
    rid = oracle_ric("41078319700101021")
    assert verify_resident_id(rid, today=TODAY) == rid


@pytest.mark.parametrize(("born", "ok"), [
    (dt.date(2026, 11, 29), False), (TODAY, True), (dt.date(1800, 1, 1), True),
    (dt.date(1799, 12, 31), False),
])
def test_resident_id_birth_date_bounds(born: dt.date, ok: bool) -> None:
    rid = oracle_ric(f"410702{born:%Y%m%d}001")
    if ok:
        assert verify_resident_id(rid, today=TODAY) == rid
    else:
        with pytest.raises(InvalidIdentifier, match="outside"):
            verify_resident_id(rid, today=TODAY)


@pytest.mark.parametrize(("bad", "says"), [
    ("41070219900230123X", "not a real date"),
    ("4107021990050112", "18 characters"),
    ("41070219900501123A", "17 digits"),
    ("", "18 characters"),
])
def test_resident_id_rejections(bad: str, says: str) -> None:
    with pytest.raises(InvalidIdentifier, match=says):
        verify_resident_id(bad, today=TODAY)


# -- unified social credit codes and organisation codes -----------------------------------------

@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000600037341L"])
def test_published_usccs_are_accepted(code: str) -> None:
    assert verify_uscc(code) == code
    assert stdnum_uscc.is_valid(code)  # a second, independent implementation agrees


def test_uscc_normalises_whitespace_case_and_full_width() -> None:
    code = "91110000600037341L"
    assert verify_uscc(" 9111 0000-600037341l ") == code
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code)
    assert verify_uscc(full_width) == code


def test_random_usccs_agree_with_the_oracle() -> None:
    """2,000 random codes with valid organisation codes: only the oracle's check passes."""
    rng = random.Random(32100)
    letters = [c for c in GB32100_VALUES if c.isalpha()]
    for _ in range(2000):
        authority, category = rng.choice(["91", "92", "93", "11", "12", "51", "52", "Y1", "N2"])
        body = "".join(rng.choice("0123456789" + "".join(letters)) for _ in range(8))
        org = oracle_org(body)
        code = oracle_uscc(f"{authority}{category}{rng.randrange(110000, 660000)}{org}")
        assert verify_uscc(code) == code
        assert stdnum_uscc.is_valid(code) or not code[:2].isdigit()
        wrong = next(c for c in GB32100_VALUES if c != code[17])
        with pytest.raises(InvalidIdentifier, match="check character"):
            verify_uscc(code[:17] + wrong)


def test_uscc_with_a_bad_organisation_code_is_refused() -> None:
    """A USCC whose own check character is right but whose characters 9-17 are not GB 11714."""
    org = oracle_org("60003734")
    bad_org = org[:8] + ("0" if org[8] != "0" else "1")
    code = oracle_uscc("91110000" + bad_org)
    assert stdnum_uscc.is_valid(code)  # stdnum checks only the 18th character
    with pytest.raises(InvalidIdentifier, match="organisation code"):
        verify_uscc(code)


@pytest.mark.parametrize(("bad", "says"), [
    ("91110000600037341", "18 characters"),
    ("91110000600037341M", "check character"),
    ("9111000060003734IL", "not allowed"),
    ("B1110000600037341L", "registration authority"),
    ("90110000600037341L", "entity category"),
    ("9111A000600037341L", "region code"),
    ("", "18 characters"),
])
def test_uscc_rejections_say_why(bad: str, says: str) -> None:
    with pytest.raises(InvalidIdentifier, match=says):
        verify_uscc(bad)


@pytest.mark.parametrize(("code", "ok"), [
    ("M000100Y4", True), ("600037341", True), ("60003734-1", True),
    ("600037342", False), ("6000373", False), ("60003734A", False),
])
def test_organisation_codes(code: str, ok: bool) -> None:
    if ok:
        assert verify_organisation_code(code) == code.replace("-", "")
    else:
        with pytest.raises(InvalidIdentifier):
            verify_organisation_code(code)


def test_organisation_codes_agree_with_the_oracle() -> None:
    rng = random.Random(11714)
    for _ in range(1000):
        body = "".join(rng.choice("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(8))
        good = oracle_org(body)
        assert verify_organisation_code(good) == good
        wrong = next(c for c in "0123456789X" if c != good[8])
        with pytest.raises(InvalidIdentifier, match="check character"):
            verify_organisation_code(body + wrong)


@pytest.mark.parametrize(("bad", "verify", "zh"), [
    ("91110000600037341", verify_uscc, "应为 18 位，此处为 17 位"),
    ("91110000600037341M", verify_uscc, "校验码不符（应为 L）"),
    ("9111000060003734IL", verify_uscc, "不能出现字符 'I'"),
    ("B1110000600037341L", verify_uscc, "不是登记管理部门代码"),
    ("90110000600037341L", verify_uscc, "机构类别"),
    ("9111A000600037341L", verify_uscc, "行政区划码"),
    ("41070219900230123X", lambda v: verify_resident_id(v, today=TODAY), "不是有效日期"),
    ("41070219900501123A", lambda v: verify_resident_id(v, today=TODAY), "17 位数字"),
])
def test_rejections_say_why_in_chinese_too(bad: str, verify: Any, zh: str) -> None:
    with pytest.raises(InvalidIdentifier) as info:
        verify(bad)
    assert zh in info.value.text("zh") and info.value.text("en") == str(info.value)
    assert zh not in str(info.value)


def test_a_subject_is_a_uscc_or_a_resident_id() -> None:
    assert verify_subject(" 91110000600037341l", today=TODAY) == ("91110000600037341L",
                                                                  "enterprise")
    assert verify_subject("11010519491231002x", today=TODAY) == ("11010519491231002X", "person")
    with pytest.raises(InvalidIdentifier) as info:
        verify_subject("11010519491231002A", today=TODAY)
    assert str(info.value).startswith("neither a USCC nor a resident ID (")
    assert info.value.text("zh").startswith("既不是统一社会信用代码，也不是公民身份号码（")
    assert "17 位数字" in info.value.text("zh")
