"""Errors of the connector layer.

    ConnectorError (code)
    ├── CredentialError        CONFIG_INVALID   a source's credential reference cannot be resolved
    └── SourceFailure          a source did not give a usable answer (never escapes `fetch`)
        ├── SourceUnavailable  UNAVAILABLE      timeout, refused connection, HTTP error
        └── SourceInvalid      INVALID          malformed body, wrong subject, wrong shape

`fetch` turns every `SourceFailure` into an `Answer` with that status and a plain-words reason;
it never raises for what a department does. Errors in a source's declaration are the
configuration's (`hub.config.errors.ConfigError`).
"""

from __future__ import annotations

from typing import ClassVar, Literal

__all__ = ["ConnectorError", "CredentialError", "SourceFailure", "SourceInvalid",
           "SourceUnavailable"]


class ConnectorError(Exception):
    code = "CONNECTOR_ERROR"


class CredentialError(ConnectorError, ValueError):
    """A credential reference could not be resolved; the message names the source and key."""

    code = "CONFIG_INVALID"


class SourceFailure(ConnectorError):
    status: ClassVar[Literal["UNAVAILABLE", "INVALID"]] = "UNAVAILABLE"


class SourceUnavailable(SourceFailure):
    code = "UNAVAILABLE"
    status = "UNAVAILABLE"


class SourceInvalid(SourceFailure):
    code = "INVALID"
    status = "INVALID"
