"""Errors of consent handling.

    ConsentError (code)
    ├── ConsentRequired   CONSENT_REQUIRED  no presented consent covers this subject and category
    ├── ConsentInvalid    CONSENT_INVALID   a presented consent does not verify for this use
    ├── PurposeForbidden  FORBIDDEN         the caller or purpose may not have this data at all
    └── GrantRefused      BAD_USER_INPUT    a grant outside the purpose's caps; names the cap

Verification collapses every failure of one consent into `ConsentInvalid` with a reason that
names the failed check (as `cryptography`'s Fernet collapses token failures), and never says
anything about another subject.
"""

from __future__ import annotations

__all__ = ["ConsentError", "ConsentInvalid", "ConsentRequired", "GrantRefused", "PurposeForbidden"]


class ConsentError(Exception):
    code = "CONSENT_INVALID"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConsentRequired(ConsentError):
    code = "CONSENT_REQUIRED"


class ConsentInvalid(ConsentError):
    code = "CONSENT_INVALID"


class PurposeForbidden(ConsentError):
    code = "FORBIDDEN"


class GrantRefused(ConsentError):
    code = "BAD_USER_INPUT"
