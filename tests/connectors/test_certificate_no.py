"""Birth medical certificate numbers: normalised like the other identifiers, then checked."""

from __future__ import annotations

import pytest

from connectors.certificate_no import verify_birth_certificate_no
from connectors.identifiers import InvalidIdentifier


@pytest.mark.parametrize(("given", "canonical"), [
    ("P410012345", "P410012345"),
    ("p410012345", "P410012345"),
    (" P4100 12345 ", "P410012345"),
    ("Ｐ４１００１２３４５", "P410012345"),  # full-width, as typed on a Chinese keyboard
])
def test_good_numbers_are_normalised(given: str, canonical: str) -> None:
    assert verify_birth_certificate_no(given) == canonical


@pytest.mark.parametrize(("given", "says"), [
    ("P41001234", "has 10 characters"),
    ("P4100123456", "has 10 characters"),
    ("4100123456", "one letter and 9 digits"),
    ("PP10012345", "one letter and 9 digits"),
    ("P41001234X", "one letter and 9 digits"),
    ("П410012345", "one letter and 9 digits"),  # a Cyrillic letter that looks Latin
    ("", "has 10 characters"),
])
def test_bad_numbers_say_why(given: str, says: str) -> None:
    with pytest.raises(InvalidIdentifier, match=says):
        verify_birth_certificate_no(given)
