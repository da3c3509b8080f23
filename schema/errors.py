"""The one vocabulary of coded errors: every error a caller sees carries a stable
`extensions.code`, and each code has exactly one class in the hub.

    consent.errors.AccessDenied          access decisions (consent.enforcement)
    ├── PurposeRequired     PURPOSE_REQUIRED   X-Hub-Purpose missing for a data query
    ├── Forbidden           FORBIDDEN          the caller or purpose may not have this
    ├── ConsentRequired     CONSENT_REQUIRED   no presented consent covers it: ask the applicant
    └── ConsentInvalid      CONSENT_INVALID    a presented consent is bad in itself
    audit.errors.AuditUnavailable        AUDIT_UNAVAILABLE  the audit store cannot be written
    HubError (here)                      the GraphQL surface and its HTTP endpoint
    ├── Unauthenticated     UNAUTHENTICATED    no or unknown API key
    ├── BadUserInput        BAD_USER_INPUT     an argument or header is wrong; the message names it
    ├── QueryTooComplex     QUERY_TOO_COMPLEX  depth, alias, token or size limit exceeded
    ├── RateLimited         RATE_LIMITED       the hub is at capacity; retry later
    ├── SourceFailed        SOURCE_UNAVAILABLE / SOURCE_INVALID  a department did not answer
    ├── PersistedQueryNotFound      PERSISTED_QUERY_NOT_FOUND     no document with that hash
    ├── PersistedQueryNotSupported  PERSISTED_QUERY_NOT_SUPPORTED documents by hash are off
    ├── NotFound            NOT_FOUND          no such report (or its retention has ended)
    └── InternalError       INTERNAL           anything else (details only in the hub's log)

graphql-core's own errors are coded GRAPHQL_PARSE_FAILED or GRAPHQL_VALIDATION_FAILED by
`schema.execute`. Messages say what happened and what to do; they never carry stack traces, SQL,
source URLs or another subject's data.
"""

from __future__ import annotations

from audit.errors import AuditUnavailable
from consent.errors import AccessDenied

__all__ = [
    "CODES",
    "BadUserInput",
    "CodedError",
    "HubError",
    "InternalError",
    "NotFound",
    "PersistedQueryNotFound",
    "PersistedQueryNotSupported",
    "QueryTooComplex",
    "RateLimited",
    "SourceFailed",
    "Unauthenticated",
    "coded",
]


class HubError(Exception):
    code = "INTERNAL"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unauthenticated(HubError):
    code = "UNAUTHENTICATED"


class BadUserInput(HubError):
    code = "BAD_USER_INPUT"


class QueryTooComplex(HubError):
    code = "QUERY_TOO_COMPLEX"


class RateLimited(HubError):
    code = "RATE_LIMITED"


class InternalError(HubError):
    code = "INTERNAL"


class PersistedQueryNotFound(HubError):
    code = "PERSISTED_QUERY_NOT_FOUND"


class PersistedQueryNotSupported(HubError):
    code = "PERSISTED_QUERY_NOT_SUPPORTED"


class NotFound(HubError):
    code = "NOT_FOUND"


class SourceFailed(HubError):
    """Subject data whose department did not answer: the field is null, and says why."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.code = f"SOURCE_{status}"  # SOURCE_UNAVAILABLE | SOURCE_INVALID


CodedError = HubError | AccessDenied | AuditUnavailable


def coded(error: BaseException) -> tuple[str, str] | None:
    """(code, message) of a coded error, None for anything else."""
    if isinstance(error, HubError | AccessDenied | AuditUnavailable):
        return error.code, error.message
    return None


CODES = frozenset({
    "UNAUTHENTICATED", "FORBIDDEN", "PURPOSE_REQUIRED", "CONSENT_REQUIRED", "CONSENT_INVALID",
    "BAD_USER_INPUT", "QUERY_TOO_COMPLEX", "RATE_LIMITED", "AUDIT_UNAVAILABLE", "INTERNAL",
    "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "SOURCE_UNAVAILABLE", "SOURCE_INVALID",
    "PERSISTED_QUERY_NOT_FOUND", "PERSISTED_QUERY_NOT_SUPPORTED",
    "NOT_FOUND",
})
