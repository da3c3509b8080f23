"""Errors of access decisions: purpose, legal basis and consent.

    AccessDenied (code, message)
    ├── PurposeRequired   PURPOSE_REQUIRED  X-Hub-Purpose is missing for a data query
    ├── Forbidden         FORBIDDEN         the caller or its purpose may not have this at all
    ├── ConsentRequired   CONSENT_REQUIRED  no presented consent covers this subject and category:
    │                                       ask the applicant
    └── ConsentInvalid    CONSENT_INVALID   a presented consent is bad in itself (forged, revoked,
                                            expired, spent, another grantee or purpose, unknown)

Verification collapses every failure of one consent into `ConsentInvalid` with a reason that
names the failed check (as `cryptography`'s Fernet collapses token failures), and never says
anything about another subject. These are the only classes for these codes in the hub.
"""

from __future__ import annotations

__all__ = ["AccessDenied", "ConsentInvalid", "ConsentRequired", "Forbidden", "PurposeRequired"]


class AccessDenied(Exception):
    code = "FORBIDDEN"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PurposeRequired(AccessDenied):
    code = "PURPOSE_REQUIRED"


class Forbidden(AccessDenied):
    code = "FORBIDDEN"


class ConsentRequired(AccessDenied):
    code = "CONSENT_REQUIRED"


class ConsentInvalid(AccessDenied):
    code = "CONSENT_INVALID"
