"""The sandbox's own identifier generator, written from the published standards.

The simulated departments invent their subjects; they must not borrow the hub's verifier to do
it, or a bug in the verifier would make the sandbox agree with it (this happened: resident IDs
were once made and checked with the same 16-digit mistake). This module implements the rules
once more, straight from the standards:

- GB 11643-1999 resident identity number: 6-digit region, 8-digit birth date, 3-digit sequence
  (odd for men, even for women) and an ISO 7064 MOD 11-2 check character: the sum of the 17
  digits weighted 2^(18-i) mod 11 (i = 1..17) must make the check value (12 - sum mod 11) mod 11,
  with 10 written X.
- GB 11714-1997 organisation code: 8 characters, then a check character
  C9 = 11 - (sum of Ci * Wi mod 11), Wi = 3 7 9 10 5 8 4 2, digits valued 0-9, letters A-Z 10-35;
  10 is written X, 11 is written 0.
- GB 32100-2015 unified social credit code: registration authority, entity category, 6-digit
  region, the 9-character organisation code, and a check character C18 = 31 - (sum of Ci * Wi
  mod 31) over the code alphabet 0-9 A-H J-N P-R T U W-Y (31 written as 0), Wi = 3^(i-1) mod 31.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["organisation_code", "resident_id", "uscc"]

_CODE = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100 code characters, valued 0..30
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # GB 11714 values letters 10..35
_RIC_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))  # 2^(18-i) mod 11, i = 1..17
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 3^(i-1) mod 31, i = 1..17


def _ric_check(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _RIC_WEIGHTS, strict=True))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def _org_value(c: str) -> int:
    return int(c) if c.isdigit() else 10 + _LETTERS.index(c)


def organisation_code(body: str) -> str:
    """The 9-character organisation code for an 8-character body (digits or capitals)."""
    if len(body) != 8:
        raise ValueError("an organisation code body has 8 characters")
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    value = 11 - sum(_org_value(c) * w for c, w in zip(body, weights, strict=True)) % 11
    return body + {10: "X", 11: "0"}.get(value, str(value))


def uscc(region: str, body: str, *, authority: str = "9", category: str = "1") -> str:
    """A unified social credit code: authority, category, region, organisation code, check."""
    if len(region) != 6 or not region.isdigit():
        raise ValueError("a region code has 6 digits")
    partial = authority + category + region + organisation_code(body)
    total = sum(_CODE.index(c) * w for c, w in zip(partial, _USCC_WEIGHTS, strict=True))
    return partial + _CODE[(31 - total % 31) % 31]


def resident_id(region: str, born: dt.date, sequence: int) -> str:
    """A resident identity number; odd sequences are men, even ones women."""
    if not 0 <= sequence <= 999:
        raise ValueError("a sequence code has 3 digits")
    partial = f"{region}{born:%Y%m%d}{sequence:03d}"
    return partial + _ric_check(partial)
