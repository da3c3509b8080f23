"""Enterprise and person identifiers: normalisation, verification and generation.

The unified social credit code (统一社会信用代码, USCC, GB 32100-2015) identifies an enterprise;
the resident identity number (居民身份证号码, GB 11643) identifies a person. Both arrive from
humans, so input is normalised first (NFKC folds full-width digits, whitespace and separators go,
letters are upper-cased) and then verified. `stdnum.cn.ric.validate` is not used for resident
IDs: it rejects valid numbers whose region code was created after the birth year and accepts
future birth dates, so the check digit comes from stdnum and the date is checked here.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

from stdnum.cn import ric as _ric
from stdnum.cn import uscc as _uscc

__all__ = [
    "InvalidIdentifier",
    "make_resident_id",
    "make_uscc",
    "normalise",
    "verify_resident_id",
    "verify_uscc",
]

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


class InvalidIdentifier(ValueError):
    """An identifier failed normalisation or verification; the message says why."""


def normalise(unverified: str) -> str:
    """Fold full-width characters, drop whitespace and separators, upper-case."""
    folded = unicodedata.normalize("NFKC", unverified)
    return "".join(c for c in folded if not c.isspace() and c not in "-_").upper()


def verify_uscc(unverified: str) -> str:
    """Return the canonical USCC or raise `InvalidIdentifier` saying what is wrong."""
    code = normalise(unverified)
    if len(code) != 18:
        raise InvalidIdentifier(
            f"a unified social credit code has 18 characters, this one has {len(code)}"
        )
    if not code[:8].isdigit() or not code[:8].isascii():
        raise InvalidIdentifier("the first 8 characters of a USCC must be digits")
    bad = [c for c in code[8:] if c not in _USCC_ALPHABET]
    if bad:
        raise InvalidIdentifier(
            f"character {bad[0]!r} is not allowed in a USCC (I, O, Z, S and V are never used)"
        )
    expected = _uscc.calc_check_digit(code[:17])
    if code[17] != expected:
        raise InvalidIdentifier(
            f"the check character of this USCC is wrong (expected {expected}); "
            "check the code for a typing error"
        )
    return code


def verify_resident_id(unverified: str, *, today: dt.date) -> str:
    """Return the canonical resident ID or raise `InvalidIdentifier` saying what is wrong."""
    number = normalise(unverified)
    if len(number) != 18:
        raise InvalidIdentifier(
            f"a resident identity number has 18 characters, this one has {len(number)}"
        )
    if not number[:17].isdigit() or not number[:17].isascii() or number[17] not in "0123456789X":
        raise InvalidIdentifier(
            "a resident identity number is 17 digits followed by a digit or X"
        )
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidIdentifier(
            "the birth date in this resident identity number is not a real date"
        ) from None
    if born > today or born.year < 1900:
        raise InvalidIdentifier(
            "the birth date in this resident identity number is outside 1900..today"
        )
    expected = _ric.calc_check_digit(number[:17])
    if number[17] != expected:
        raise InvalidIdentifier(
            f"the check character of this resident identity number is wrong (expected "
            f"{expected}); check the number for a typing error"
        )
    return number


def make_uscc(region: str, serial: int, *, authority: str = "9", kind: str = "1") -> str:
    """Build a valid USCC whose organisation code (GB 11714) is derived from `serial`."""
    body = f"{serial:08d}"
    if len(body) != 8:
        raise ValueError("serial must have at most 8 digits")
    org_total = sum(int(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    org_check = (11 - org_total % 11) % 11
    org = body + ("X" if org_check == 10 else str(org_check))
    partial = f"{authority}{kind}{region}{org}"
    return partial + _uscc.calc_check_digit(partial)


def make_resident_id(region: str, born: dt.date, sequence: int) -> str:
    """Build a valid resident ID; odd sequences are male, even female (GB 11643)."""
    partial = f"{region}{born:%Y%m%d}{sequence:03d}"
    return partial + _ric.calc_check_digit(partial)
