"""Text headers: percent-encoded UTF-8 in, 1-64 characters of text out, or a clear refusal."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from hub.headers import HeaderError, check_text, decode_text, encode_text

CASE = "(2026)豫07破1号"


@pytest.mark.parametrize(("sent", "text"), [
    ("GW-B-1", "GW-B-1"),  # plain ASCII needs no encoding
    (quote(CASE, safe=""), CASE),
    ("%EF%BC%882026%EF%BC%89%E8%B1%AB07%E7%A0%B41%E5%8F%B7", "（2026）豫07破1号"),
    ("100%25%20sure", "100% sure"),
    ("a+b", "a+b"),  # + is a plus, not a space
    ("  %20padded%20 ", "padded"),
    ("%F0%9F%93%84", "📄"),  # outside the BMP: one character
    ("x" * 64, "x" * 64),
    (quote("张" * 64, safe=""), "张" * 64),
])
def test_good_values_decode(sent: str, text: str) -> None:
    assert decode_text("X-Hub-Case", sent) == text


@pytest.mark.parametrize(("sent", "says"), [
    ("x" * 65, "at most 64 characters, got 65"),
    (quote("张" * 65, safe=""), "at most 64 characters, got 65"),
    ("case%01", "control and format characters"),
    ("case%0Anext", "control and format characters"),
    ("%E2%80%AEevil", "control and format characters"),  # right-to-left override
    ("%E2%80%8B", "control and format characters"),  # zero-width space
    ("豫07", "header values are ASCII"),
    ("case\x7f", "header values are ASCII"),
    ("50%", "every % must start a %XX escape"),
    ("%ZZ", "every % must start a %XX escape"),
    ("%FF%FE", "not UTF-8"),
    ("%C3", "not UTF-8"),
    ("%20%20", "must not be empty"),
])
def test_bad_values_are_refused_naming_the_header(sent: str, says: str) -> None:
    with pytest.raises(HeaderError, match=says) as caught:
        decode_text("X-Hub-Case", sent)
    assert str(caught.value).startswith("X-Hub-Case: ")


def test_encode_round_trips() -> None:
    for text in (CASE, "张三", "a b/c?d=e&f%", "Ω≈ç√"):
        assert encode_text(text).isascii()
        assert decode_text("X-Hub-Operator", encode_text(text)) == text
    with pytest.raises(HeaderError):
        check_text("--case", "bad\ttab")
