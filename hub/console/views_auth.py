"""Signing in and out, and the language switch.

Sign-in takes an auditor's API key (compared as its SHA-256, in constant time, as the GraphQL
endpoint does), the person's staff ID (the operator of every entry the session leaves) and an
optional investigation number (their case), and gives a short session cookie. A key that is
unknown, or not an auditor's, gets no session; both attempts are audited (UNAUTHENTICATED,
FORBIDDEN), the second under the caller it belongs to.
"""

from __future__ import annotations

import hmac
import re

from starlette.responses import RedirectResponse, Response

from hub.config.settings import CallerConfig, hash_key
from hub.console.i18n import LANGS
from hub.console.pipeline import Arrival, Shown
from hub.console.security import (
    LANG_COOKIE,
    PRE_COOKIE,
    SESSION_COOKIE,
    new_pre_token,
    same_origin,
    set_cookie,
    tokens_match,
)
from hub.trail import RequestMeta

__all__ = ["change_lang", "root", "signin_form", "signin_submit", "signout"]

_OPERATOR = re.compile(r"^[A-Za-z0-9_.:\-]{1,128}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_PATH = "console.signin"


def _form(a: Arrival, *, status: int = 200, error: str | None = None,
          values: dict[str, str] | None = None) -> Response:
    token = new_pre_token()
    page = a.console.page(a, "signin.html", status=status, pre_token=token, error=error,
                          values=values or {})
    set_cookie(page, a.request, a.console.settings.console.secure_cookies, PRE_COOKIE, token,
               3600)
    return page


async def root(a: Arrival) -> Shown:
    target = "/console/dashboard" if a.session is not None else "/console/signin"
    return Shown(RedirectResponse(target, status_code=303))


async def signin_form(a: Arrival) -> Shown:
    if a.session is not None:
        return Shown(RedirectResponse("/console/dashboard", status_code=303))
    return Shown(_form(a))


def _caller_of(a: Arrival, key: str) -> CallerConfig | None:
    digest = hash_key(key)
    for c in a.console.settings.callers:
        if hmac.compare_digest(c.key_sha256, digest):
            return c
    return None


async def signin_submit(a: Arrival) -> Shown:
    form = a.form
    if not same_origin(a.request) or not tokens_match(a.request.cookies.get(PRE_COOKIE),
                                                      form.get("csrf")):
        return Shown(_form(a, status=403, error=a.t("error.csrf")), ((_PATH, "FORBIDDEN"),))
    values = {"operator": form.get("operator", "").strip(), "case": form.get("case", "").strip()}
    operator, case = values["operator"], values["case"] or None
    a.trail.meta = RequestMeta(operator=operator if _OPERATOR.match(operator) else None,
                               case=case if case and len(case) <= 64 else None)
    caller = _caller_of(a, form.get("api_key", "").strip())
    if caller is None:
        return Shown(_form(a, status=401, error=a.t("signin.bad_key"), values=values),
                     ((_PATH, "UNAUTHENTICATED"),))
    a.trail.caller = caller.name
    if caller.role != "auditor":
        return Shown(_form(a, status=403, error=a.t("signin.not_auditor", caller=caller.display),
                           values=values), ((_PATH, "FORBIDDEN"),))
    if not _OPERATOR.match(operator):
        return Shown(_form(a, status=400, error=a.t("signin.bad_operator"), values=values),
                     ((_PATH, "BAD_USER_INPUT"),))
    if case is not None and (len(case) > 64 or _CONTROL.search(case)):
        return Shown(_form(a, status=400, error=a.t("signin.bad_case"), values=values),
                     ((_PATH, "BAD_USER_INPUT"),))
    minutes = a.console.settings.console.session_minutes
    token, _ = await a.console.sessions.create(caller.name, operator, case, now=a.now,
                                               minutes=minutes)
    response = RedirectResponse("/console/dashboard", status_code=303)
    policy = a.console.settings.console.secure_cookies
    set_cookie(response, a.request, policy, SESSION_COOKIE, token, minutes * 60)
    response.delete_cookie(PRE_COOKIE, path="/console")
    return Shown(response, query={"view": "signin"})


async def signout(a: Arrival) -> Shown:
    session = a.session
    if session is None:
        return Shown(RedirectResponse("/console/signin", status_code=303))
    if not same_origin(a.request) or not tokens_match(session.csrf, a.form.get("csrf")):
        return Shown(a.console.page(a, "error.html", status=403, message=a.t("error.csrf"),
                                    code="FORBIDDEN"), (("console.signout", "FORBIDDEN"),))
    token = a.request.cookies.get(SESSION_COOKIE, "")
    await a.console.sessions.end(token)
    response = RedirectResponse("/console/signin", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/console")
    return Shown(response, query={"view": "signout"})


async def change_lang(a: Arrival) -> Shown:
    expected = a.session.csrf if a.session else a.request.cookies.get(PRE_COOKIE)
    if not same_origin(a.request) or not tokens_match(expected, a.form.get("csrf")):
        return Shown(a.console.page(a, "error.html", status=403, message=a.t("error.csrf"),
                                    code="FORBIDDEN"), (("console.lang", "FORBIDDEN"),))
    lang = a.form.get("lang", "zh")
    back = a.form.get("back", "/console/")
    if not back.startswith("/console/") or "//" in back or "\\" in back:
        back = "/console/"
    response = RedirectResponse(back, status_code=303)
    set_cookie(response, a.request, a.console.settings.console.secure_cookies, LANG_COOKIE,
               lang if lang in LANGS else "zh", 365 * 86400)
    return Shown(response, query={"view": "lang", "lang": lang if lang in LANGS else "zh"})
