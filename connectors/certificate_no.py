"""The number of a birth medical certificate (出生医学证明编号): how a newborn is found.

A newborn has no resident ID until its household registration, which is what the newborn
matter applies for; the health commission knows it by the number printed on its birth medical
certificate: one series letter and nine digits (e.g. `P410012345`). Input is normalised like the
other identifiers (full-width folded, whitespace dropped, upper case) and then checked.
"""

from __future__ import annotations

import re

from connectors.identifiers import InvalidIdentifier, normalise

__all__ = ["verify_birth_certificate_no"]

_NUMBER = re.compile(r"^[A-Z][0-9]{9}$")


def verify_birth_certificate_no(unverified: str) -> str:
    """Return the canonical certificate number or raise `InvalidIdentifier` saying why."""
    number = normalise(unverified)
    if len(number) != 10:
        raise InvalidIdentifier(f"a birth medical certificate number has 10 characters (a "
                                f"letter and 9 digits), this one has {len(number)}")
    if not _NUMBER.match(number) or not number.isascii():
        raise InvalidIdentifier("a birth medical certificate number is one letter and 9 digits, "
                                "e.g. P410012345")
    return number
