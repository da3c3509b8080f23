"""GraphQL over HTTP: the `/graphql` endpoint (GraphQL-over-HTTP spec, OWASP cheat sheet).

The order of work is fixed: authenticate the caller (no key, no GraphQL), read and check the
request, parse and validate (cached), refuse mutations over GET (405), check the headers, read
the presented consents (no use is taken: that happens just before a source call relies on one),
build the per-request gateway and context, execute, write the audit entry, answer.
`application/graphql-response+json` gets the spec's status codes (4xx when no execution
happened); `application/json` gets 200 for GraphQL errors.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
import os
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from application.store import Application, ApplicationUnknown, check_tie
from audit.entry import AuditRecord, Denial
from audit.errors import AuditUnavailable
from connectors.propagation import REQUEST_ID
from consent.enforcement import Caller, load_presented
from consent.errors import AccessDenied, Forbidden
from hub.admission import Admission
from hub.config.settings import Settings, hash_key
from hub.endpoint import authenticate, bearer_token, error_body
from hub.headers import HeaderError, decode_text
from hub.telemetry import Telemetry
from hub.trail import RequestMeta, Trail, after_commit
from hub.trusted import DocumentProblem, TrustedDocuments
from schema.context import RequestContext
from schema.errors import (
    BadUserInput,
    HubError,
    PersistedQueryNotFound,
    PersistedQueryNotSupported,
    QueryTooComplex,
    RateLimited,
    Unauthenticated,
)
from schema.execute import Executor, format_error
from schema.facts import Facts
from schema.gateway import Gateway, Services

__all__ = ["CHINA", "GRAPHQL_RESPONSE", "JSON", "AuditSink", "GraphQLEndpoint", "callers_by_key"]

log = logging.getLogger("hub.http")

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
_TOKEN = re.compile(r"^[A-Za-z0-9_.:\-]{1,128}$")
_PURPOSE = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
CHINA = dt.timezone(dt.timedelta(hours=8))


_ADMITTED = "hub.admitted"  # ASGI scope key: the request's `_Ticket`, set by `front`


@dataclass(slots=True)
class _Ticket:
    """An admitted request: when it was admitted, and whether the endpoint has let it go."""

    started: float
    left: bool = False


class _Refusal(Exception):
    """A request refused before execution: its HTTP status and the coded error to send."""

    def __init__(self, status: int, error: HubError | AccessDenied,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(error.message)
        self.status = status
        self.error = error
        self.headers = headers or {}


class AuditSink(Protocol):
    async def append(self, record: AuditRecord) -> tuple[int, str]: ...


class GraphQLEndpoint:
    def __init__(self, settings: Settings, executor: Executor, services: Services,
                 audit: AuditSink, graphiql_html: str | None, admission: Admission, *,
                 clock: Callable[[], dt.datetime] | None = None,
                 telemetry: Telemetry | None = None,
                 trusted: TrustedDocuments | None = None) -> None:
        self.settings = settings
        self.trusted = trusted or TrustedDocuments(settings.trust_mode, None, None)
        self.telemetry = telemetry or Telemetry()
        self.clock = clock or (lambda: dt.datetime.now(CHINA))
        self.services = services
        self.audit = audit
        self.executor = executor
        self.graphiql_html = graphiql_html
        self.admission = admission
        self._flusher: asyncio.Task[None] | None = None
        self._callers = callers_by_key(settings)

    async def front(self, scope: Scope, receive: Receive, send: Send, app: ASGIApp) -> None:
        """ASGI, in front of the router: admit a `/graphql` request (count it) and pass it on,
        or refuse it here with a 503 written straight to the server. Under a flood most
        requests are refused, and a refusal through routing, `Request` and `Response` cost
        about twice as much CPU as this, CPU the admitted requests needed."""
        if not self.admission.enter():
            headers = dict(scope["headers"])
            status, response_headers, body = self._refusal(
                headers.get(b"x-request-id", b"").decode("latin-1"),
                headers.get(b"authorization", b"").decode("latin-1"),
                headers.get(b"accept", b"").decode("latin-1"))
            await send({"type": "http.response.start", "status": status,
                        "headers": [(k.encode(), v.encode()) for k, v in response_headers]})
            await send({"type": "http.response.body", "body": body})
            return
        ticket = scope[_ADMITTED] = _Ticket(time.perf_counter())
        try:
            await app(scope, receive, send)
        finally:
            if not ticket.left:  # the endpoint never ran (the request failed before it)
                self.admission.leave()

    async def __call__(self, request: Request) -> Response:
        ticket = request.scope.get(_ADMITTED)
        if ticket is None:  # not through `front` (HEAD, which Starlette routes with GET): admit here
            if not self.admission.enter():
                status, headers, body = self._refusal(
                    request.headers.get("x-request-id", ""),
                    request.headers.get("authorization", ""), request.headers.get("accept", ""))
                return Response(body, status_code=status, headers=dict(headers))
            ticket = _Ticket(time.perf_counter())
        request_id = self._request_id(request)
        media = _media_type(request)
        started = ticket.started
        waited = 0.0
        self.telemetry.in_flight.inc()
        bound = REQUEST_ID.set(request_id)  # department calls carry it (X-Request-Id)
        try:
            with self.telemetry.span("graphql.request",
                                     {"hub.request_id": request_id}) as span:
                response, trail, record, waited = await self._admitted(request, request_id,
                                                                       media)
                span.set_attributes({"hub.caller": trail.caller or "",
                                     "hub.operation": trail.operation,
                                     "http.status_code": response.status_code,
                                     "hub.outcome": record.outcome})
        finally:
            REQUEST_ID.reset(bound)
            # Only once the audit entry is committed. The limit follows the hub's own share of
            # the latency: slower departments are no reason to admit fewer requests.
            ticket.left = True
            self.admission.leave(time.perf_counter() - started, waited)
            self.telemetry.in_flight.dec()
        self._observe(trail, record, response.status_code, time.perf_counter() - started, waited)
        return response

    def _refusal(self, request_id: str, authorization: str, accept: str
                 ) -> tuple[int, list[tuple[str, str]], bytes]:
        """The 503 for a request refused at the concurrency limit (status, headers, body),
        counted for its aggregate audit entry: shed at once, before any other work, since
        waits would only pile up into timeouts."""
        token = bearer_token(authorization)
        self._shed(self._callers.get(hash_key(token)) if token else None, "RATE_LIMITED")
        self.telemetry.shed.labels("RATE_LIMITED").inc()
        body = orjson.dumps(_errors(RateLimited(
            f"the hub is at capacity ({self.admission.in_flight} operations in flight); retry "
            "in a second")))
        media = _media(accept) or JSON
        return 503, [("content-type", media), ("content-length", str(len(body))),
                     ("x-request-id", request_id if _TOKEN.match(request_id)
                      else uuid.uuid4().hex), ("retry-after", "1")], body

    def _observe(self, trail: Trail, record: AuditRecord, status: int, seconds: float,
                 waited: float) -> None:
        """The request's metrics and its access log line: who, what, how it ended, how long it
        took and how much of that it only waited for departments — never a subject identifier
        or a value."""
        self.telemetry.requests.labels(trail.operation, record.outcome).observe(seconds)
        sources: dict[str, dict[str, int]] = {}
        for call in record.sources:
            counts = sources.setdefault(call.source, {})
            counts[call.status] = counts.get(call.status, 0) + 1
        codes = sorted({d.code for d in record.denied})
        log.info("request", extra={
            "request_id": trail.request_id, "caller": trail.caller,
            "purpose": trail.meta.purpose, "operation": trail.operation, "status": status,
            "outcome": record.outcome, "code": codes[0] if codes else None, "codes": codes,
            "latency_ms": round(seconds * 1000, 2), "waited_ms": round(waited * 1000, 2),
            "sources": sources, "pid": os.getpid()})

    async def _admitted(self, request: Request, request_id: str, media: str | None
                        ) -> tuple[Response, Trail, AuditRecord, float]:
        """The response, the request's trail and audit record (committed, or withheld), and the
        seconds it only waited for departments."""
        trail = Trail(self.clock(), request_id)
        facts: Facts | None = None
        headers: dict[str, str] = {}
        page = (request.method == "GET" and self.graphiql_html is not None
                and "text/html" in request.headers.get("accept", "")
                and "query" not in request.query_params)
        if media is None:
            status, body = 406, _errors(BadUserInput(
                "send Accept: application/json or application/graphql-response+json"))
        elif page:
            status, body = 200, {}  # the GraphiQL page: no data, still on the record
        else:
            try:
                status, body, headers, facts = await self._handle(request, media, trail)
            except (SQLAlchemyError, OSError) as exc:
                # The consent store failed while the request was being set up.
                log.error("request %s: store failure: %s", request_id, exc, exc_info=exc)
                status, headers = 500, {}
                body = {"errors": [{"message": f"internal error; quote request id {request_id} "
                                               "to the hub's operators",
                                    "extensions": {"code": "INTERNAL"}}]}
        record = trail.record(body, self.settings.matters, facts)
        # The answer as JSON now, and the result's objects let go: while the audit entry is
        # written (a batch's reports filed with it), a thousand reports are held only as bytes.
        content = orjson.dumps(body) if media is not None and not page else b""
        del body
        try:
            await self._append(record)
        except AuditUnavailable as exc:
            # Fail closed: no data leaves without its audit entry.
            status, headers = 503, {"Retry-After": "5"}
            content = orjson.dumps({"data": None, "errors": [{
                "message": f"{exc}; no data was released, try again later",
                "extensions": {"code": exc.code}}]})
            record = record.withheld()
        else:
            after_commit(facts)
        headers = {"X-Request-Id": request_id, **headers}
        response: Response
        if media is None:
            response = Response(status_code=status, content=b"send Accept: application/json "
                                b"or application/graphql-response+json", headers=headers)
        elif page and status == 200 and self.graphiql_html is not None:
            response = HTMLResponse(self.graphiql_html, headers=headers)
        else:
            response = Response(content, status_code=status, media_type=media, headers=headers)
        return response, trail, record, facts.waited_s if facts is not None else 0.0

    async def _append(self, record: AuditRecord) -> None:
        telemetry = self.telemetry
        started = time.perf_counter()
        with telemetry.span("audit.append"):
            try:
                await self.audit.append(record)
            except AuditUnavailable:
                telemetry.audit_failures.inc()
                raise
            finally:
                telemetry.audit_append.observe(time.perf_counter() - started)

    # -- shed requests -------------------------------------------------------------------------

    def _shed(self, caller: Caller | None, code: str) -> None:
        self.admission.shed.add(caller.name if caller else None, code, time.time())
        if self._flusher is None:
            self._flusher = asyncio.get_running_loop().create_task(self._flush_shed(),
                                                                   name="shed-ledger")

    async def _flush_shed(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            await self.flush_shed(time.time())

    async def flush_shed(self, before: float) -> None:
        """Append one aggregate audit entry per (caller, second, code) of shed requests."""
        for caller, second, code, count in self.admission.shed.take(before):
            moment = dt.datetime.fromtimestamp(second, CHINA)
            record = AuditRecord(time=moment, request_id=f"shed-{second}-{caller or 'anon'}-"
                                 f"{code.lower()}", outcome="FAILED", caller=caller,
                                 denied=[Denial("", code)], requests=count)
            try:
                await self.audit.append(record)
            except AuditUnavailable:
                log.error("could not audit %d shed requests of %s at %s", count, caller,
                          moment.isoformat())

    async def aclose(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
            try:
                await self._flusher
            except asyncio.CancelledError:
                pass
            self._flusher = None
        await self.flush_shed(float("inf"))
        await self.admission.aclose()

    async def _handle(self, request: Request, media: str, trail: Trail
                      ) -> tuple[int, dict[str, Any], dict[str, str], Facts | None]:
        request_id = trail.request_id
        try:
            caller = self._authenticate(request)
            trail.caller = caller.name
            trail.meta = meta = _meta(request)
            wait = await self.admission.quota_wait(caller.name)
            if wait > 0:
                raise _Refusal(429, RateLimited(
                    f"{caller.name} is over its quota; retry in {math.ceil(wait)} s"),
                    {"Retry-After": str(math.ceil(wait))})
            query, variables, operation_name = await self._read(request)
            prepared = self.executor.prepare(query)
            trail.query_hash = prepared.query_hash
            trail.operation = prepared.root_field(operation_name)
            if request.method == "GET" and prepared.is_mutation(operation_name):
                raise _Refusal(405, BadUserInput("mutations are only accepted over POST"),
                               {"Allow": "POST"})
        except _Refusal as refusal:
            headers = dict(refusal.headers)
            if refusal.status == 401:
                headers["WWW-Authenticate"] = 'Bearer realm="one-thing-hub"'
            return refusal.status, _errors(refusal.error), headers, None
        if prepared.errors:
            # Nothing executes, so no consent is read and none is spent.
            errors = [format_error(e, request_id) for e in prepared.errors]
            return _graphql_status(media), {"errors": errors}, {}, None
        now = self.clock()
        try:
            application = await self._application(meta, caller)
        except ApplicationUnknown as exc:
            return _graphql_status(media), _errors(BadUserInput(exc.message)), {}, None
        presented = await load_presented(self.services.consents, meta.consents)
        gateway = Gateway(self.services, caller, meta.purpose, now, presented, application,
                          meta.operator, request_id=request_id, case=meta.case)
        context = RequestContext(
            request_id=request_id, caller=caller, gateway=gateway, now=now,
            max_batch=self.settings.limits.max_batch, matters=self.settings.matters,
            job_deadline_s=self.settings.jobs.deadline_s,
            caller_names={c.name: c.display for c in self.settings.callers})
        result = await self.executor.execute(prepared, variables, operation_name, context)
        errors = [format_error(e, request_id) for e in result.errors or ()]
        # No path on any error and no data: the request failed before execution (variables).
        executed = result.data is not None or any(e.path for e in result.errors or ())
        body: dict[str, Any] = {"errors": errors} if errors else {}
        if executed:
            body["data"] = result.data
            return 200, body, {}, gateway.facts()
        return _graphql_status(media), body, {}, gateway.facts()

    # -- request pieces ----------------------------------------------------------------------

    async def _application(self, meta: RequestMeta, caller: Caller) -> Application | None:
        """The application the request is tied to (X-Hub-Application), read before execution
        like the consents; raise `ApplicationUnknown` if it is not this caller's."""
        if meta.application is None:
            return None
        store = self.services.applications
        found = None if store is None else await store.get(meta.application)
        check_tie(found, meta.application, caller.name, meta.purpose)
        return found

    def _request_id(self, request: Request) -> str:
        given = request.headers.get("x-request-id")
        if given and _TOKEN.match(given):
            return given
        return uuid.uuid4().hex

    def _authenticate(self, request: Request) -> Caller:
        try:
            return authenticate(request, self._callers,
                                "send Authorization: Bearer <api key> with every request")
        except Unauthenticated as exc:
            raise _Refusal(401, exc) from None

    async def _read(self, request: Request) -> tuple[str, dict[str, Any] | None, str | None]:
        limit = self.settings.limits.max_body_bytes
        if request.method == "GET":
            params: Mapping[str, Any] = dict(request.query_params)
            raw_vars = params.get("variables")
            try:
                variables = orjson.loads(raw_vars) if raw_vars else None
            except orjson.JSONDecodeError:
                raise _Refusal(400, BadUserInput("the variables parameter is not JSON")) \
                    from None
            params = {**params, "variables": variables}
        else:
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype != JSON:
                raise _Refusal(415 if ctype else 400, BadUserInput(
                    "POST a JSON body with Content-Type: application/json"))
            declared = request.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise _Refusal(413, QueryTooComplex(f"the request body exceeds {limit} bytes"))
            body = bytearray()
            async for chunk in request.stream():
                body += chunk
                if len(body) > limit:
                    raise _Refusal(413, QueryTooComplex(
                        f"the request body exceeds {limit} bytes"))
            try:
                params = orjson.loads(body)
            except orjson.JSONDecodeError:
                raise _Refusal(400, BadUserInput("the request body is not JSON")) from None
            if not isinstance(params, dict):
                raise _Refusal(400, BadUserInput("the request body must be a JSON object"))
        query = params.get("query")
        if query is not None and not isinstance(query, str):
            raise _Refusal(400, BadUserInput("query must be a string"))
        extensions = params.get("extensions")
        if request.method == "GET" and isinstance(extensions, str):
            try:
                extensions = orjson.loads(extensions)
            except orjson.JSONDecodeError:
                raise _Refusal(400, BadUserInput("the extensions parameter is not JSON")) \
                    from None
        try:
            query = await self.trusted.resolve(query if query and query.strip() else None,
                                               extensions)
        except DocumentProblem as problem:
            raise _Refusal(400, _document_error(problem)) from None
        variables = params.get("variables")
        if variables is not None and not isinstance(variables, dict):
            raise _Refusal(400, BadUserInput("variables must be a JSON object"))
        name = params.get("operationName")
        if name is not None and not isinstance(name, str):
            raise _Refusal(400, BadUserInput("operationName must be a string"))
        return query, variables, name


def _document_error(problem: DocumentProblem) -> HubError | AccessDenied:
    kinds: dict[str, type[HubError]] = {
        "PERSISTED_QUERY_NOT_FOUND": PersistedQueryNotFound,
        "PERSISTED_QUERY_NOT_SUPPORTED": PersistedQueryNotSupported}
    if problem.code == "FORBIDDEN":
        return Forbidden(problem.message)
    return kinds.get(problem.code, BadUserInput)(problem.message)


def callers_by_key(settings: Settings) -> dict[str, Caller]:
    """The configured callers by the SHA-256 of their API key."""
    return {c.key_sha256: Caller(c.name, c.display, c.role, frozenset(
        code for code, m in settings.matters.items() if c.name in m.callers))
        for c in settings.callers}




def _errors(error: HubError | AccessDenied) -> dict[str, Any]:
    return error_body(error.code, error.message)


def _meta(request: Request) -> RequestMeta:
    """The request's declared purpose, operator, case and consents, checked."""
    headers = request.headers
    purpose = headers.get("x-hub-purpose")
    if purpose is not None and not _PURPOSE.match(purpose):
        raise _Refusal(400, BadUserInput("X-Hub-Purpose must be a matter code such as "
                                         "IPO_COMPLIANCE or SCHOOL_ENROLMENT"))
    try:  # percent-encoded UTF-8 text (hub/headers.py)
        operator = _text(headers.get("x-hub-operator"), "X-Hub-Operator")
        case = _text(headers.get("x-hub-case"), "X-Hub-Case")
    except HeaderError as exc:
        raise _Refusal(400, BadUserInput(str(exc))) from None
    application = headers.get("x-hub-application")
    if application is not None and not _TOKEN.match(application):
        raise _Refusal(400, BadUserInput("X-Hub-Application must be 1-128 letters, digits or "
                                         ". _ : -"))
    consents: list[str] = []
    for value in headers.getlist("x-hub-consent"):
        consents += [c.strip() for c in value.split(",") if c.strip()]
    if any(not _TOKEN.match(c) for c in consents) or len(consents) > 20:
        raise _Refusal(400, BadUserInput("X-Hub-Consent takes up to 20 consent ids"))
    return RequestMeta(purpose, operator, case, tuple(dict.fromkeys(consents)), application)


def _text(value: str | None, name: str) -> str | None:
    return None if value is None else decode_text(name, value)


def _graphql_status(media: str) -> int:
    """A GraphQL request error: 400 under graphql-response+json, 200 under legacy JSON."""
    return 400 if media == GRAPHQL_RESPONSE else 200


def _media_type(request: Request) -> str | None:
    return _media(request.headers.get("accept", ""))


def _media(accept: str) -> str | None:
    """The answer's media type for an Accept header, None when it accepts neither."""
    if not accept or "*/*" in accept or "application/*" in accept:
        return JSON if GRAPHQL_RESPONSE not in accept else GRAPHQL_RESPONSE
    if GRAPHQL_RESPONSE in accept:
        return GRAPHQL_RESPONSE
    if JSON in accept or "text/html" in accept:
        return JSON
    return None
