"""Text in request headers: `X-Hub-Case` and `X-Hub-Operator` as percent-encoded UTF-8.

HTTP header values are ASCII, but a case number is Chinese more often than not — `(2026)豫07破1号`
— and so is an operator's name. Callers send such text percent-encoded as UTF-8 (RFC 3986
`%XX` escapes, as `encodeURIComponent` or Python's `urllib.parse.quote(text, safe="")` write
it); plain ASCII text needs no encoding, and a literal `%` is sent as `%25`. The decoded text is
1-64 characters of any script, with no control or format characters (which would let a value
rewrite a log line or reorder a printed 告知书).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote, unquote

__all__ = ["MAX_TEXT", "HeaderError", "check_text", "decode_text", "encode_text"]

MAX_TEXT = 64
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
# Cc control, Cf format (bidi overrides, zero-width), Cs/Co/Cn, line and paragraph separators.
_REFUSED = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


class HeaderError(ValueError):
    """A header's value is not acceptable text; the message names the header and says why."""


def decode_text(name: str, value: str) -> str:
    """The text a header carries, decoded from percent-encoded UTF-8; raise `HeaderError`."""
    if any(not " " <= c <= "~" for c in value):
        raise HeaderError(f"{name}: header values are ASCII; send other text as percent-encoded "
                          "UTF-8 (e.g. 豫 as %E8%B1%AB)")
    if _BAD_ESCAPE.search(value):
        raise HeaderError(f"{name}: every % must start a %XX escape; send % itself as %25")
    try:
        text = unquote(value, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise HeaderError(f"{name}: the %XX escapes are not UTF-8") from None
    return check_text(name, text)


def check_text(name: str, text: str) -> str:
    """`text` stripped, if it is 1-64 characters with no control or format character."""
    text = text.strip()
    if not text:
        raise HeaderError(f"{name}: must not be empty")
    if len(text) > MAX_TEXT:
        raise HeaderError(f"{name}: at most {MAX_TEXT} characters, got {len(text)}")
    if any(unicodedata.category(c) in _REFUSED for c in text):
        raise HeaderError(f"{name}: control and format characters are not allowed")
    return text


def encode_text(text: str) -> str:
    """`text` as a header value: percent-encoded UTF-8 (every byte outside A-Z a-z 0-9 _.-~)."""
    return quote(text, safe="")
