"""Coded errors of the GraphQL surface: the `extensions.code` values callers rely on.

    HubError (code, message)
    ├── Unauthenticated     UNAUTHENTICATED    no or unknown API key
    ├── Forbidden           FORBIDDEN          the caller may not do this
    ├── PurposeRequired     PURPOSE_REQUIRED   X-Hub-Purpose missing for a data query
    ├── ConsentRequired     CONSENT_REQUIRED   person data without a consent covering it
    ├── ConsentInvalid      CONSENT_INVALID    a presented consent does not verify
    ├── BadUserInput        BAD_USER_INPUT     an argument is wrong; the message names it
    ├── QueryTooComplex     QUERY_TOO_COMPLEX  depth, alias, token or size limit exceeded
    ├── RateLimited         RATE_LIMITED       the hub is at capacity; retry later
    ├── AuditUnavailable    AUDIT_UNAVAILABLE  the audit store cannot be written: no data
    ├── SourceFailed        SOURCE_UNAVAILABLE / SOURCE_INVALID  a person-data source failed
    └── InternalError       INTERNAL           anything else (details only in the hub's log)

Messages say what happened and what to do; they never carry stack traces, SQL, source URLs or
another subject's data.
"""

from __future__ import annotations

__all__ = [
    "CODES",
    "AuditUnavailable",
    "BadUserInput",
    "ConsentInvalid",
    "ConsentRequired",
    "Forbidden",
    "HubError",
    "InternalError",
    "PurposeRequired",
    "QueryTooComplex",
    "RateLimited",
    "SourceFailed",
    "Unauthenticated",
]


class HubError(Exception):
    code = "INTERNAL"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unauthenticated(HubError):
    code = "UNAUTHENTICATED"


class Forbidden(HubError):
    code = "FORBIDDEN"


class PurposeRequired(HubError):
    code = "PURPOSE_REQUIRED"


class ConsentRequired(HubError):
    code = "CONSENT_REQUIRED"


class ConsentInvalid(HubError):
    code = "CONSENT_INVALID"


class BadUserInput(HubError):
    code = "BAD_USER_INPUT"


class QueryTooComplex(HubError):
    code = "QUERY_TOO_COMPLEX"


class RateLimited(HubError):
    code = "RATE_LIMITED"


class AuditUnavailable(HubError):
    code = "AUDIT_UNAVAILABLE"


class InternalError(HubError):
    code = "INTERNAL"


class SourceFailed(HubError):
    """Person data whose source did not answer: the field is null, and says why."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.code = f"SOURCE_{status}"  # SOURCE_UNAVAILABLE | SOURCE_INVALID


CODES = frozenset(c.code for c in (
    Unauthenticated, Forbidden, PurposeRequired, ConsentRequired, ConsentInvalid, BadUserInput,
    QueryTooComplex, RateLimited, AuditUnavailable, InternalError,
)) | {"GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "SOURCE_UNAVAILABLE", "SOURCE_INVALID"}
