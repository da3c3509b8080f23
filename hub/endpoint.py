"""What the hub's plain HTTP endpoints (reports, /verify, jobs) share with GraphQL: who is
calling (the API key in `Authorization: Bearer`), and the audit entry that must land before an
answer leaves."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any, Protocol

from starlette.requests import Request

from audit.errors import AuditUnavailable
from consent.enforcement import Caller
from hub.config.settings import hash_key
from hub.trail import Trail, after_commit
from schema.errors import Unauthenticated

__all__ = ["audited", "authenticate", "bearer", "bearer_token", "error_body"]


class _Sink(Protocol):
    async def append(self, record: Any) -> Any: ...


def bearer(request: Request) -> str:
    """The token of `Authorization: Bearer <token>`, or "" when there is none."""
    return bearer_token(request.headers.get("authorization", ""))


def bearer_token(authorization: str) -> str:
    """The token of an Authorization header's value `Bearer <token>`, or ""."""
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def authenticate(request: Request, callers: Mapping[str, Caller], missing: str) -> Caller:
    """The configured caller whose API key the request carries (`callers` by the SHA-256 of
    their key, compared in constant time); raise `Unauthenticated` (`missing` when there is
    no key at all)."""
    token = bearer(request)
    if not token:
        raise Unauthenticated(missing)
    digest = hash_key(token)
    for known, caller in callers.items():
        if hmac.compare_digest(known, digest):
            return caller
    raise Unauthenticated("the API key is not known to this hub")


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code, **extra}}]}


async def audited(audit: _Sink, trail: Trail, body: dict[str, Any], matters: Any, facts: Any,
                  refused: str) -> dict[str, Any] | None:
    """Append the request's audit entry; the answer to send instead when the log cannot be
    written (`refused` says what was therefore not done)."""
    try:
        await audit.append(trail.record(body, matters, facts))
    except AuditUnavailable as exc:
        return error_body(exc.code, f"{exc}; {refused}, try again later")
    after_commit(facts)
    return None
