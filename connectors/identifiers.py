"""Enterprise and person identifiers: normalisation and verification against their standards.

The unified social credit code (统一社会信用代码, USCC, GB 32100-2015) identifies an enterprise;
its characters 9–17 are the organisation code (组织机构代码, GB 11714-1997) with a check
character of their own. The resident identity number (居民身份证号码, GB 11643-1999) identifies a
person. Both arrive from humans, so input is normalised first (NFKC folds full-width digits,
whitespace and separators go, letters are upper-cased) and then verified.

The check characters are computed here from the published rules, not by `python-stdnum`:
`stdnum.cn.ric.calc_check_digit` takes the full 18-character number and drops its last
character (given the 17 digits it weighs only 16), and `stdnum.cn.ric.validate` refuses region
codes created after the birth year and accepts future birth dates.

- GB 11643: ISO 7064 MOD 11-2 over the 17 digits, weights 2^(17-i) mod 11
  (7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2); check = "10X98765432"[sum mod 11].
- GB 32100: characters valued by their place in 0-9 A-H J-N P-R T U W-Y (31 characters),
  weights 3^(i-1) mod 31 (1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28);
  check value = (31 - sum mod 31) mod 31.
- GB 11714: digits 0–9 and letters A–Z valued 10–35, weights 3 7 9 10 5 8 4 2;
  check value = 11 - sum mod 11, where 10 is written X and 11 is written 0.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Literal

__all__ = [
    "InvalidIdentifier",
    "SubjectKind",
    "normalise",
    "organisation_check_character",
    "resident_id_check_character",
    "uscc_check_character",
    "verify_organisation_code",
    "verify_resident_id",
    "verify_subject",
    "verify_uscc",
]

SubjectKind = Literal["enterprise", "person"]

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# GB 32100 table 1: registration authorities (登记管理部门代码). 1 机构编制, 2 外交, 3 司法行政,
# 4 文化, 5 民政, 6 旅游, 7 宗教, 8 工会, 9 市场监管 (工商), A 中央军委改革和编制办公室,
# N 农业农村, Y 其他.
_USCC_AUTHORITIES = "123456789ANY"
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_BODY = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RIC_CHECK = "10X98765432"
_EARLIEST_BIRTH = dt.date(1800, 1, 1)  # GB 11643's own example is born in 1880


class InvalidIdentifier(ValueError):
    """An identifier failed normalisation or verification; the message says why, in English,
    and `zh` says it in Chinese for the clerks who read it (lists, the command line)."""

    def __init__(self, message: str, zh: str | None = None) -> None:
        super().__init__(message)
        self.zh = zh or message

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else str(self)


def normalise(unverified: str) -> str:
    """Fold full-width characters, drop whitespace and separators, upper-case."""
    folded = unicodedata.normalize("NFKC", unverified)
    return "".join(c for c in folded if not c.isspace() and c not in "-_").upper()


def uscc_check_character(first17: str) -> str:
    """The GB 32100 check character of the first 17 characters of a USCC."""
    if len(first17) != 17 or any(c not in _USCC_ALPHABET for c in first17):
        raise InvalidIdentifier("a USCC check character is computed over 17 code characters")
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def organisation_check_character(body: str) -> str:
    """The GB 11714 check character of the 8-character body of an organisation code."""
    if len(body) != 8 or any(c not in _ORG_BODY for c in body):
        raise InvalidIdentifier("an organisation code body is 8 digits or capital letters")
    total = sum(_ORG_BODY.index(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    return "X" if value == 10 else "0" if value == 11 else str(value)


def resident_id_check_character(first17: str) -> str:
    """The GB 11643 (ISO 7064 MOD 11-2) check character of the first 17 digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise InvalidIdentifier("a resident ID check character is computed over 17 digits")
    total = sum(int(c) * w for c, w in zip(first17, _RIC_WEIGHTS, strict=True))
    return _RIC_CHECK[total % 11]


def verify_organisation_code(unverified: str) -> str:
    """Return the canonical organisation code (9 characters, GB 11714) or raise."""
    code = normalise(unverified)
    if len(code) != 9:
        raise InvalidIdentifier(
            f"an organisation code has 9 characters (8 and a check character), this one has "
            f"{len(code)}", f"组织机构代码应为 9 位（8 位本体加 1 位校验码），此处为 {len(code)} 位"
        )
    if any(c not in _ORG_BODY for c in code[:8]) or code[8] not in "0123456789X":
        raise InvalidIdentifier(
            "an organisation code is 8 digits or capital letters followed by a digit or X",
            "组织机构代码为 8 位数字或大写字母，后接 1 位数字或 X"
        )
    expected = organisation_check_character(code[:8])
    if code[8] != expected:
        raise InvalidIdentifier(
            f"the check character of this organisation code is wrong (expected {expected}); "
            "check the code for a typing error",
            f"组织机构代码校验码不符（应为 {expected}），请核对是否录入有误"
        )
    return code


def verify_uscc(unverified: str) -> str:
    """Return the canonical USCC or raise `InvalidIdentifier` saying what is wrong."""
    code = normalise(unverified)
    if len(code) != 18:
        raise InvalidIdentifier(
            f"a unified social credit code has 18 characters, this one has {len(code)}",
            f"统一社会信用代码应为 18 位，此处为 {len(code)} 位"
        )
    bad = [c for c in code if c not in _USCC_ALPHABET]
    if bad:
        raise InvalidIdentifier(
            f"character {bad[0]!r} is not allowed in a USCC (I, O, Z, S and V are never used)",
            f"统一社会信用代码中不能出现字符 {bad[0]!r}（不使用 I、O、Z、S、V）"
        )
    if code[0] not in _USCC_AUTHORITIES:
        raise InvalidIdentifier(
            f"{code[0]!r} is not a registration authority code (the first character of a "
            f"USCC is one of {' '.join(_USCC_AUTHORITIES)})",
            f"{code[0]!r} 不是登记管理部门代码（统一社会信用代码第 1 位应为 "
            f"{' '.join(_USCC_AUTHORITIES)} 之一）"
        )
    if code[1] not in "123456789":
        raise InvalidIdentifier("the second character of a USCC (the entity category) is a "
                                "digit 1-9", "统一社会信用代码第 2 位（机构类别）应为数字 1-9")
    if not code[2:8].isdigit():
        raise InvalidIdentifier("characters 3-8 of a USCC (the region code) must be digits",
                                "统一社会信用代码第 3-8 位（行政区划码）应为数字")
    expected = uscc_check_character(code[:17])
    if code[17] != expected:
        raise InvalidIdentifier(
            f"the check character of this USCC is wrong (expected {expected}); "
            "check the code for a typing error",
            f"统一社会信用代码校验码不符（应为 {expected}），请核对是否录入有误"
        )
    try:
        verify_organisation_code(code[8:17])
    except InvalidIdentifier:
        raise InvalidIdentifier(
            "characters 9-17 of this USCC are not a valid organisation code (GB 11714); "
            "check the code for a typing error",
            "统一社会信用代码第 9-17 位不是有效的组织机构代码（GB 11714），请核对是否录入有误"
        ) from None
    return code


def verify_resident_id(unverified: str, *, today: dt.date) -> str:
    """Return the canonical resident ID or raise `InvalidIdentifier` saying what is wrong."""
    number = normalise(unverified)
    if len(number) != 18:
        raise InvalidIdentifier(
            f"a resident identity number has 18 characters, this one has {len(number)}",
            f"公民身份号码应为 18 位，此处为 {len(number)} 位"
        )
    if not number[:17].isdigit() or not number[:17].isascii() or number[17] not in "0123456789X":
        raise InvalidIdentifier(
            "a resident identity number is 17 digits followed by a digit or X",
            "公民身份号码为 17 位数字，后接 1 位数字或 X"
        )
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidIdentifier(
            "the birth date in this resident identity number is not a real date",
            "公民身份号码中的出生日期不是有效日期"
        ) from None
    if born > today or born < _EARLIEST_BIRTH:
        raise InvalidIdentifier(
            "the birth date in this resident identity number is outside 1800..today",
            "公民身份号码中的出生日期不在 1800 年至今天之间"
        )
    expected = resident_id_check_character(number[:17])
    if number[17] != expected:
        raise InvalidIdentifier(
            f"the check character of this resident identity number is wrong (expected "
            f"{expected}); check the number for a typing error",
            f"公民身份号码校验码不符（应为 {expected}），请核对是否录入有误"
        )
    return number


def verify_subject(unverified: str, *, today: dt.date) -> tuple[str, SubjectKind]:
    """A subject named by a USCC or a resident ID: the canonical number and its kind. Raise
    `InvalidIdentifier` when it is neither (saying why it is no resident ID: a USCC is tried
    first)."""
    try:
        return verify_uscc(unverified), "enterprise"
    except InvalidIdentifier:
        pass
    try:
        return verify_resident_id(unverified, today=today), "person"
    except InvalidIdentifier as exc:
        raise InvalidIdentifier(f"neither a USCC nor a resident ID ({exc})",
                                f"既不是统一社会信用代码，也不是公民身份号码（{exc.zh}）") from None
