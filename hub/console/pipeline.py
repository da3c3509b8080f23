"""The console's request pipeline: every page view, form and export passes here, in one order.

Session (the cookie's live session of an auditor caller) → CSRF (POSTs carry the session's
token and come from the hub's own origin) → a `Gateway` for this request → the view, which
reads only through the gateway → the audit entry, built by `hub.trail.Trail` exactly as a
GraphQL request's is (caller, the signed-in person as operator, the investigation number as
case, released and denied paths) and committed before the response leaves → the response with
the console's security headers. A request refused at any step is audited too; if the audit
log cannot be written, nothing is shown.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from audit.errors import AuditUnavailable
from audit.verify import Verification
from consent.enforcement import Caller
from consent.errors import AccessDenied
from hub.config.settings import Settings
from hub.console.i18n import Lang, Translator, lang_of
from hub.console.render import Renderer
from hub.console.security import (
    LANG_COOKIE,
    SESSION_COOKIE,
    FormTooLarge,
    harden,
    read_form,
    request_id,
    same_origin,
    tokens_match,
)
from hub.console.sessions import Session, SessionStore
from hub.graphql_http import AuditSink
from hub.trail import RequestMeta, Trail, after_commit
from schema.errors import HubError
from schema.gateway import Gateway, Services
from signing.canonical import canonical
from workdays.calendar import WorkCalendar

__all__ = ["Arrival", "Console", "PublicView", "Shown", "VerificationRun", "View", "Visit"]

log = logging.getLogger("hub.console")


@dataclass(frozen=True, slots=True)
class Shown:
    """What a view answers: the response, what it refused or failed (path, code), and what was
    asked (hashed into the audit entry as its query hash)."""

    response: Response
    errors: tuple[tuple[str, str], ...] = ()
    query: Mapping[str, Any] | None = None


@dataclass(slots=True)
class Arrival:
    """A request before sign-in: the sign-in and language forms see only this."""

    console: Console
    request: Request
    form: Mapping[str, str]
    now: dt.datetime
    lang: Lang
    request_id: str
    trail: Trail
    session: Session | None = None

    @property
    def t(self) -> Translator:
        return Translator(self.lang)


@dataclass(frozen=True, slots=True)
class Visit:
    """A signed-in request: who, through which gateway, at what time."""

    console: Console
    request: Request
    form: Mapping[str, str]
    now: dt.datetime
    lang: Lang
    request_id: str
    session: Session
    caller: Caller
    gateway: Gateway

    @property
    def t(self) -> Translator:
        return Translator(self.lang)

    def page(self, template: str, *, status: int = 200, **values: Any) -> HTMLResponse:
        return self.console.page(self, template, status=status, **values)


@dataclass(frozen=True, slots=True)
class VerificationRun:
    """A full verification of the log this hub worker ran: when, for whom, how, and what it
    found. Each worker keeps its own last one (the page says which worker it is)."""

    at: dt.datetime
    verification: Verification
    caller: str
    operator: str
    automatic: bool  # run because a page showed integrity before any run, not by the button


View = Callable[[Visit], Awaitable[Shown]]
PublicView = Callable[[Arrival], Awaitable[Shown]]


@dataclass(slots=True)
class Console:
    settings: Settings
    services: Services
    audit: AuditSink
    sessions: SessionStore
    calendar: WorkCalendar
    charts_css: str
    zone: ZoneInfo = field(init=False)
    renderer: Renderer = field(init=False)
    callers: dict[str, Caller] = field(init=False)
    worker: str = field(init=False)  # this hub process, as the integrity page names it
    started: dt.datetime = field(init=False)
    last_verification: VerificationRun | None = None

    def __post_init__(self) -> None:
        self.worker = f"{socket.gethostname()} pid {os.getpid()}"
        self.started = dt.datetime.now(dt.UTC)
        self.zone = ZoneInfo(self.settings.console.timezone)
        names = {c.name: c.display for c in self.settings.callers}
        self.renderer = Renderer(self.zone, names)
        self.callers = {c.name: Caller(c.name, c.display, c.role, frozenset(
            code for code, m in self.settings.matters.items() if c.name in m.callers))
            for c in self.settings.callers}

    # -- rendering -------------------------------------------------------------------------

    def page(self, who: Visit | Arrival, template: str, *, status: int = 200, **values: Any
             ) -> HTMLResponse:
        session = who.session
        common = {"t": who.t, "lang": who.lang, "session": session,
                  "csrf": session.csrf if session else values.pop("pre_token", ""),
                  "request_id": who.request_id, "back": who.request.url.path,
                  "caller_name": self.callers[session.caller].display
                  if session and session.caller in self.callers else "",
                  "nav": values.pop("nav", "")}
        html = self.renderer.html(template, {**common, **values})
        return HTMLResponse(html, status_code=status)

    def _error(self, who: Visit | Arrival, status: int, message: str, code: str) -> HTMLResponse:
        return self.page(who, "error.html", status=status, message=message, code=code)

    # -- the pipeline ------------------------------------------------------------------------

    async def public(self, request: Request, view: PublicView) -> Response:
        """A request that needs no session (sign-in, language)."""
        now = dt.datetime.now(dt.UTC)
        rid = request_id(request)
        trail = Trail(now, rid)
        lang = lang_of(request.cookies.get(LANG_COOKIE))
        arrival = Arrival(self, request, {}, now, lang, rid, trail)
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            arrival.session = session = await self.sessions.get(token, now=now)
            if session is not None:  # signed in: the entry says who (sign-in may say otherwise)
                trail.caller = session.caller
                trail.meta = RequestMeta(operator=session.operator, case=session.case)
        try:
            if request.method == "POST":
                arrival.form = await read_form(request)
            shown = await view(arrival)
        except FormTooLarge as exc:
            shown = Shown(self._error(arrival, 413, str(exc), "BAD_USER_INPUT"),
                          (("console", "BAD_USER_INPUT"),))
        return await self._finish(trail, shown, None, arrival)

    async def signed_in(self, request: Request, view: View, path: str) -> Response:
        """A request of a signed-in auditor; `path` names it in the audit entry."""
        now = dt.datetime.now(dt.UTC)
        rid = request_id(request)
        trail = Trail(now, rid)
        lang = lang_of(request.cookies.get(LANG_COOKIE))
        arrival = Arrival(self, request, {}, now, lang, rid, trail)
        token = request.cookies.get(SESSION_COOKIE)
        session = await self.sessions.get(token, now=now) if token else None
        caller = self.callers.get(session.caller) if session else None
        if session is None or caller is None or caller.role != "auditor":
            return await self._finish(trail, self._unauthenticated(arrival, path), None,
                                      arrival)
        trail.caller = caller.name
        trail.meta = RequestMeta(operator=session.operator, case=session.case)
        arrival.session = session
        form: Mapping[str, str] = {}
        if request.method == "POST":
            try:
                form = await read_form(request)
            except FormTooLarge as exc:
                return await self._finish(trail, Shown(
                    self._error(arrival, 413, str(exc), "BAD_USER_INPUT"),
                    ((path, "BAD_USER_INPUT"),)), None, arrival)
            given = form.get("csrf") or request.headers.get("x-csrf-token")
            if not same_origin(request) or not tokens_match(session.csrf, given):
                return await self._finish(trail, Shown(
                    self._error(arrival, 403, arrival.t("error.csrf"), "FORBIDDEN"),
                    ((path, "FORBIDDEN"),)), None, arrival)
        gateway = Gateway(self.services, caller, None, now)
        visit = Visit(self, request, form, now, lang, rid, session, caller, gateway)
        try:
            shown = await view(visit)
        except (AccessDenied, HubError) as exc:
            status = 403 if exc.code == "FORBIDDEN" else (
                400 if exc.code == "BAD_USER_INPUT" else 500)
            shown = Shown(self._error(arrival, status, exc.message, exc.code),
                          ((path, exc.code),))
        except (SQLAlchemyError, OSError) as exc:
            log.error("console request %s: store failure: %s", rid, exc, exc_info=exc)
            shown = Shown(self._error(arrival, 500, f"internal error; quote request id {rid} to "
                                      "the hub's operators", "INTERNAL"), ((path, "INTERNAL"),))
        return await self._finish(trail, shown, gateway, arrival)

    def _unauthenticated(self, arrival: Arrival, path: str) -> Shown:
        if arrival.request.method in ("GET", "HEAD"):
            response: Response = RedirectResponse("/console/signin", status_code=303)
        else:
            response = self._error(arrival, 401, arrival.t("error.session"), "UNAUTHENTICATED")
        return Shown(response, ((path, "UNAUTHENTICATED"),))

    async def _finish(self, trail: Trail, shown: Shown, gateway: Gateway | None,
                      arrival: Arrival) -> Response:
        """Commit the request's audit entry, then let the response go (or, if the log cannot
        be written, answer 503 with nothing shown)."""
        if shown.query is not None:
            trail.query_hash = hashlib.sha256(b"console:" + canonical(dict(shown.query))
                                              ).hexdigest()
        body: dict[str, Any] = {"data": {}}
        if shown.errors:
            body["errors"] = [{"path": [path], "extensions": {"code": code}}
                              for path, code in shown.errors]
        facts = gateway.facts() if gateway is not None else None
        record = trail.record(body, self.settings.matters, facts)
        try:
            await self.audit.append(record)
        except AuditUnavailable as exc:
            log.error("console request %s not shown: %s", trail.request_id, exc)
            failed = self._error(arrival, 503, arrival.t("error.audit"), exc.code)
            failed.headers["Retry-After"] = "5"
            return harden(failed)
        after_commit(facts)
        shown.response.headers["X-Request-Id"] = trail.request_id
        return harden(shown.response)
