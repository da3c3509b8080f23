"""Errors of the connector layer.

    ConnectorError (code)
    ├── CredentialError        CONFIG_INVALID   a source's credential reference cannot be resolved
    └── SourceFailure          a source did not give a usable answer (never escapes `fetch`)
        ├── SourceUnavailable  UNAVAILABLE      timeout, refused connection, HTTP error
        │   ├── ConnectionFailed                the HTTP client could not connect (refused,
        │   │                                   TLS not trusted) or lost the connection
        │   │                                   before the answer was whole
        │   └── ProtocolViolation               the answer is not HTTP/1.1 the hub accepts
        └── SourceInvalid      INVALID          malformed body, wrong subject, wrong shape
            └── BodyTooLarge                    the answer passed the size cap

The HTTP client's own errors (`ConnectionFailed`, `ProtocolViolation`, `BodyTooLarge`) carry
English messages for the hub's log; the REST connector turns them into Chinese details.

`fetch` turns every `SourceFailure` into an `Answer` with that status and a plain-words reason;
it never raises for what a department does. Errors in a source's declaration are the
configuration's (`hub.config.errors.ConfigError`).
"""

from __future__ import annotations

from typing import ClassVar, Literal

__all__ = ["BodyTooLarge", "ConnectionFailed", "ConnectorError", "CredentialError",
           "ProtocolViolation", "SourceFailure", "SourceInvalid", "SourceUnavailable"]


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


class ConnectionFailed(SourceUnavailable):
    """The HTTP client could not connect (`connected` false; `tls` when TLS refused it) or lost
    the connection before the answer was whole (`connected` true)."""

    def __init__(self, message: str, *, connected: bool, tls: bool = False) -> None:
        super().__init__(message)
        self.connected = connected
        self.tls = tls


class ProtocolViolation(SourceUnavailable):
    """The department's answer is not HTTP/1.1 that the hub accepts: the call failed."""


class BodyTooLarge(SourceInvalid):
    def __init__(self, cap: int) -> None:
        self.size = f"{cap // 2**20} MiB" if cap >= 2**20 else f"{cap} bytes"
        super().__init__(f"the answer is larger than {self.size}")
        self.cap = cap
