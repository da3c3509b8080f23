"""GraphQL over HTTP: the `/graphql` endpoint (GraphQL-over-HTTP spec, OWASP cheat sheet).

The order of work is fixed: authenticate the caller (no key, no GraphQL), read and check the
request, parse and validate (cached), refuse mutations over GET (405), build the per-request
context with its gateway, execute, answer. `application/graphql-response+json` gets the spec's
status codes (4xx when no execution happened); `application/json` gets 200 for GraphQL errors.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from audit.errors import AuditUnavailable
from audit.log import AuditLog
from hub.config.settings import Settings, hash_key
from hub.store import Store
from hub.trail import Trail
from schema.context import RequestContext
from schema.execute import Executor, format_error
from schema.gateway import Caller, ConsentContext, Gateway, SourceSet
from signing.keys import KeyRing

__all__ = ["GraphQLEndpoint"]

log = logging.getLogger("hub.http")

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
_TOKEN = re.compile(r"^[A-Za-z0-9_.:\-]{1,128}$")
_PURPOSE = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
CHINA = dt.timezone(dt.timedelta(hours=8))


@dataclass(slots=True)
class _Failure(Exception):
    status: int
    code: str
    message: str


class GraphQLEndpoint:
    def __init__(self, settings: Settings, executor: Executor, sources: SourceSet,
                 keys: KeyRing, graphiql_html: str | None, store: Store,
                 audit: AuditLog | None) -> None:
        self.settings = settings
        self.store = store
        self.audit = audit
        self.executor = executor
        self.sources = sources
        self.keys = keys
        self.graphiql_html = graphiql_html
        self._in_flight = 0
        self._callers = {
            c.key_sha256: Caller(c.name, c.display, c.role, frozenset(
                code for code, m in settings.matters.items() if c.name in m.callers))
            for c in settings.callers
        }

    async def __call__(self, request: Request) -> Response:
        request_id = self._request_id(request)
        media = _media_type(request)
        if media is None:
            return Response(status_code=406, content=b"send Accept: application/json or "
                            b"application/graphql-response+json",
                            headers={"X-Request-Id": request_id})
        if (request.method == "GET" and self.graphiql_html is not None
                and "text/html" in request.headers.get("accept", "")
                and "query" not in request.query_params):
            return HTMLResponse(self.graphiql_html)
        trail = Trail(dt.datetime.now(CHINA), request_id)
        if self._in_flight >= self.settings.max_in_flight:
            # Admission control: shed load at once rather than let waits pile up to timeouts.
            status, headers = 503, {"Retry-After": "1"}
            body: dict[str, Any] = {"errors": [{
                "message": f"the hub is at capacity ({self._in_flight} operations in flight); "
                           "retry in a second", "extensions": {"code": "RATE_LIMITED"}}]}
        else:
            self._in_flight += 1
            try:
                status, body, headers = await self._handle(request, media, trail)
            except (SQLAlchemyError, OSError) as exc:
                # The consent store failed while the request was being set up.
                log.error("request %s: store failure: %s", request_id, exc, exc_info=exc)
                status, headers = 500, {}
                body = {"errors": [{"message": f"internal error; quote request id {request_id} "
                                               "to the hub's operators",
                                    "extensions": {"code": "INTERNAL"}}]}
            finally:
                self._in_flight -= 1
        if self.audit is not None:
            try:
                await self.audit.append(trail.record(body, self.settings.matters))
            except AuditUnavailable as exc:
                # Fail closed: no data leaves without its audit entry.
                status, headers = 503, {"Retry-After": "5"}
                body = {"data": None, "errors": [{
                    "message": f"{exc}; no data was released, try again later",
                    "extensions": {"code": "AUDIT_UNAVAILABLE"}}]}
        return Response(orjson.dumps(body), status_code=status, media_type=media,
                        headers={"X-Request-Id": request_id, **headers})

    async def _handle(self, request: Request, media: str, trail: Trail
                      ) -> tuple[int, dict[str, Any], dict[str, str]]:
        request_id = trail.request_id
        try:
            caller = self._authenticate(request)
            trail.caller = caller.name
            query, variables, operation_name = await self._read(request)
            prepared = self.executor.prepare(query)
            trail.query_hash = prepared.query_hash
            if request.method == "GET" and prepared.is_mutation(operation_name):
                raise _Failure(405, "BAD_USER_INPUT", "mutations are only accepted over POST")
            context = await self._context(request, request_id, caller)
            trail.context = context
            if prepared.errors:
                errors = [format_error(e, request_id) for e in prepared.errors]
                return _graphql_status(media), {"errors": errors}, {}
        except _Failure as failure:
            headers = {"Allow": "POST"} if failure.status == 405 else {}
            if failure.status == 401:
                headers["WWW-Authenticate"] = 'Bearer realm="one-thing-hub"'
            errors = [{"message": failure.message, "extensions": {"code": failure.code}}]
            return failure.status, {"errors": errors}, headers
        result = await self.executor.execute(prepared, variables, operation_name, context)
        errors = [format_error(e, request_id) for e in result.errors or ()]
        # No path on any error and no data: the request failed before execution (variables).
        executed = result.data is not None or any(e.path for e in result.errors or ())
        body: dict[str, Any] = {"errors": errors} if errors else {}
        if executed:
            body["data"] = result.data
            return 200, body, {}
        return _graphql_status(media), body, {}

    # -- request pieces ----------------------------------------------------------------------

    def _request_id(self, request: Request) -> str:
        given = request.headers.get("x-request-id")
        if given and _TOKEN.match(given):
            return given
        return uuid.uuid4().hex

    def _authenticate(self, request: Request) -> Caller:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _Failure(401, "UNAUTHENTICATED",
                           "send Authorization: Bearer <api key> with every request")
        digest = hash_key(token.strip())
        for known, caller in self._callers.items():
            if hmac.compare_digest(known, digest):
                return caller
        raise _Failure(401, "UNAUTHENTICATED", "the API key is not known to this hub")

    async def _read(self, request: Request) -> tuple[str, dict[str, Any] | None, str | None]:
        limit = self.settings.limits.max_body_bytes
        if request.method == "GET":
            params: Mapping[str, Any] = dict(request.query_params)
            raw_vars = params.get("variables")
            try:
                variables = orjson.loads(raw_vars) if raw_vars else None
            except orjson.JSONDecodeError:
                raise _Failure(400, "BAD_USER_INPUT", "the variables parameter is not JSON") \
                    from None
            params = {**params, "variables": variables}
        else:
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype != JSON:
                raise _Failure(415 if ctype else 400, "BAD_USER_INPUT",
                               "POST a JSON body with Content-Type: application/json")
            declared = request.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise _Failure(413, "QUERY_TOO_COMPLEX", f"the request body exceeds {limit} bytes")
            body = bytearray()
            async for chunk in request.stream():
                body += chunk
                if len(body) > limit:
                    raise _Failure(413, "QUERY_TOO_COMPLEX",
                                   f"the request body exceeds {limit} bytes")
            try:
                params = orjson.loads(body)
            except orjson.JSONDecodeError:
                raise _Failure(400, "BAD_USER_INPUT", "the request body is not JSON") from None
            if not isinstance(params, dict):
                raise _Failure(400, "BAD_USER_INPUT", "the request body must be a JSON object")
        query = params.get("query")
        if not isinstance(query, str) or not query.strip():
            raise _Failure(400, "BAD_USER_INPUT", "the request has no query")
        variables = params.get("variables")
        if variables is not None and not isinstance(variables, dict):
            raise _Failure(400, "BAD_USER_INPUT", "variables must be a JSON object")
        name = params.get("operationName")
        if name is not None and not isinstance(name, str):
            raise _Failure(400, "BAD_USER_INPUT", "operationName must be a string")
        return query, variables, name

    async def _context(self, request: Request, request_id: str, caller: Caller
                       ) -> RequestContext:
        headers = request.headers
        purpose = headers.get("x-hub-purpose")
        if purpose is not None and not _PURPOSE.match(purpose):
            raise _Failure(400, "BAD_USER_INPUT", "X-Hub-Purpose must be a matter code such "
                           "as IPO_COMPLIANCE or SCHOOL_ENROLMENT")
        operator = headers.get("x-hub-operator")
        case = headers.get("x-hub-case")
        for name, value in (("X-Hub-Operator", operator), ("X-Hub-Case", case)):
            if value is not None and not _TOKEN.match(value):
                raise _Failure(400, "BAD_USER_INPUT", f"{name} must be 1-128 letters, digits "
                               "or . _ : -")
        consents: list[str] = []
        for value in headers.getlist("x-hub-consent"):
            consents += [c.strip() for c in value.split(",") if c.strip()]
        if any(not _TOKEN.match(c) for c in consents) or len(consents) > 20:
            raise _Failure(400, "BAD_USER_INPUT", "X-Hub-Consent takes up to 20 consent ids")
        now = dt.datetime.now(CHINA)
        consent_context = await self._consents(tuple(dict.fromkeys(consents)), caller, purpose)
        gateway = Gateway(self.sources, caller, purpose, now, self.settings.matters,
                          consent_context)
        return RequestContext(request_id=request_id, caller=caller, gateway=gateway,
                              keys=self.keys, now=now, max_batch=self.settings.limits.max_batch,
                              operator=operator, case=case, consent_ids=tuple(consents),
                              consent_store=self.store.consents, audit=self.audit,
                              caller_names={c.name: c.display for c in self.settings.callers})

    async def _consents(self, presented: tuple[str, ...], caller: Caller, purpose: str | None
                        ) -> ConsentContext:
        """Read the presented consents and take one use of each that this request may rely
        on, before execution, so that resolvers decide without awaiting (no split batches)."""
        ring = self.keys
        context = ConsentContext(presented=presented, public_keys=ring.public,
                                 pseudonym_keys=ring.pseudonym_keys,
                                 pseudonym_version=ring.pseudonym_version)
        if not presented:
            return context
        loaded = await self.store.consents.get_many(presented)
        used = set()
        for consent in loaded.values():
            if (consent.grantee == caller.name and consent.purpose == purpose
                    and consent.revoked_at is None and consent.uses < consent.max_uses
                    and await self.store.consents.take_use(consent.id)):
                used.add(consent.id)
        context.loaded = loaded
        context.used = frozenset(used)
        return context


def _graphql_status(media: str) -> int:
    """A GraphQL request error: 400 under graphql-response+json, 200 under legacy JSON."""
    return 400 if media == GRAPHQL_RESPONSE else 200


def _media_type(request: Request) -> str | None:
    accept = request.headers.get("accept", "")
    if not accept or "*/*" in accept or "application/*" in accept:
        return JSON if GRAPHQL_RESPONSE not in accept else GRAPHQL_RESPONSE
    if GRAPHQL_RESPONSE in accept:
        return GRAPHQL_RESPONSE
    if JSON in accept or "text/html" in accept:
        return JSON
    return None
