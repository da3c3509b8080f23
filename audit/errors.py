"""Errors of the audit package.

    AuditError (code)
    ├── AuditUnavailable   AUDIT_UNAVAILABLE  the store could not commit an entry: no data may leave
    ├── ExportInvalid      EXPORT_INVALID     an export does not verify; the message names the line
    └── WitnessInvalid     WITNESS_INVALID    a witness file cannot be read back

`audit.merkle.ProofInvalid` (a Merkle proof does not connect) stays beside the proofs it checks.
"""

from __future__ import annotations

__all__ = ["AuditError", "AuditUnavailable", "ExportInvalid", "WitnessInvalid"]


class AuditError(Exception):
    code = "AUDIT_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AuditUnavailable(AuditError):
    """The audit store could not be written: no data may leave."""

    code = "AUDIT_UNAVAILABLE"


class ExportInvalid(AuditError):
    """An export does not verify; the message names the line or seq."""

    code = "EXPORT_INVALID"


class WitnessInvalid(AuditError):
    """A witness file cannot be read back; the message names the line."""

    code = "WITNESS_INVALID"
