"""The console's browser security: headers, cookies, CSRF and form reading.

- Content-Security-Policy allows scripts, styles, images and fetches from the hub itself only:
  no inline script or style, no other origin, no framing, forms post only to the hub.
- The session cookie is HttpOnly, SameSite=Strict, scoped to `/console`, Secure when the request
  came over HTTPS (or always/never, as configured), and lives as long as the session.
- Every state-changing request is a POST that carries the session's CSRF token (a form field,
  or the `X-CSRF-Token` header) and, when the browser sends an Origin, comes from the hub's own
  origin. Before sign-in, the sign-in form carries a token that must equal a cookie set with it
  (double submit).
"""

from __future__ import annotations

import hmac
import re
import secrets
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from hub.config.console import CookiePolicy

__all__ = [
    "CSP",
    "LANG_COOKIE",
    "PRE_COOKIE",
    "SESSION_COOKIE",
    "FormTooLarge",
    "harden",
    "new_pre_token",
    "read_form",
    "request_id",
    "same_origin",
    "set_cookie",
    "tokens_match",
]

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'")
SESSION_COOKIE = "hub_console"
PRE_COOKIE = "hub_console_pre"  # the sign-in form's double-submit token
LANG_COOKIE = "hub_console_lang"
_MAX_FORM = 64 * 1024
_TOKEN = re.compile(r"^[A-Za-z0-9_.:\-]{1,128}$")


class FormTooLarge(Exception):
    """A form body over the limit."""


def harden(response: Response, *, page: bool = True) -> Response:
    """Add the console's security headers (and, for pages, no caching)."""
    h = response.headers
    h["Content-Security-Policy"] = CSP
    h["X-Content-Type-Options"] = "nosniff"
    h["X-Frame-Options"] = "DENY"
    h["Referrer-Policy"] = "same-origin"  # no-referrer would make form POSTs say Origin: null
    h["Cross-Origin-Opener-Policy"] = "same-origin"
    h["Cross-Origin-Resource-Policy"] = "same-origin"
    if page:
        h["Cache-Control"] = "no-store"
    return response


def set_cookie(response: Response, request: Request, policy: CookiePolicy, name: str,
               value: str, max_age: int) -> None:
    secure = policy == "always" or (policy == "auto" and request.url.scheme == "https")
    response.set_cookie(name, value, max_age=max_age, path="/console", httponly=True,
                        samesite="strict", secure=secure)


def new_pre_token() -> str:
    return secrets.token_urlsafe(24)


def tokens_match(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(
        str(expected).encode(), str(given).encode())


def same_origin(request: Request) -> bool:
    """True unless the browser says the request comes from another origin."""
    origin = request.headers.get("origin")
    if origin is None:
        return request.headers.get("sec-fetch-site", "same-origin") in ("same-origin", "none")
    own = f"{request.url.scheme}://{request.headers.get('host', '')}"
    return origin == own


async def read_form(request: Request) -> dict[str, str]:
    """An application/x-www-form-urlencoded body (the console's forms), at most 64 KiB; a
    repeated field keeps its last value."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > _MAX_FORM:
            raise FormTooLarge(f"the form is larger than {_MAX_FORM} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return {}
    try:
        return dict(parse_qsl(text, keep_blank_values=True, max_num_fields=100))
    except ValueError:  # more fields than any console form has
        raise FormTooLarge("the form has more than 100 fields") from None


def request_id(request: Request) -> str:
    given = request.headers.get("x-request-id")
    return given if given and _TOKEN.match(given) else secrets.token_hex(16)
