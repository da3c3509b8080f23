"""Report numbers and verification codes: the two handles printed on a 核查结果告知书.

A report number is `<prefix>-<year>-<sequence>`, e.g. `XXHC-2026-000123`: the prefix names the
issuing hub (XXHC, 新乡核查), the year is the year of the check in China time, and the sequence
counts the reports of that year from 1, six digits at least. The verification code is derived
from the signature alone: the first 8 characters of the RFC 4648 base32 encoding of SHA-256 over
the signature text exactly as it stands in the report file (its base64 text, UTF-8). It is short
enough to type, and anyone holding the report can recompute it.
"""

from __future__ import annotations

import base64
import hashlib
import re

__all__ = ["CODE_LENGTH", "PREFIX", "format_report_no", "is_report_no", "verification_code"]

PREFIX = re.compile(r"^[A-Z]{2,8}$")
CODE_LENGTH = 8
_NUMBER = re.compile(r"^[A-Z]{2,8}-(\d{4})-(\d{6,9})$")


def format_report_no(prefix: str, year: int, sequence: int) -> str:
    return f"{prefix}-{year:04d}-{sequence:06d}"


def is_report_no(text: str) -> bool:
    """Whether `text` has the shape of a report number (it may still not exist)."""
    return _NUMBER.match(text) is not None


def verification_code(signature: str) -> str:
    """First 8 base32 characters of SHA-256 over the signature text."""
    digest = hashlib.sha256(signature.encode("utf-8")).digest()
    return base64.b32encode(digest).decode("ascii")[:CODE_LENGTH]
