"""Errors of the connector layer.

    ConnectorError (code)
    ├── ConfigError            CONFIG_INVALID   a source declaration is wrong; names the key
    └── SourceFailure          a source did not give a usable answer (never escapes `fetch`)
        ├── SourceUnavailable  UNAVAILABLE      timeout, refused connection, HTTP error
        └── SourceInvalid      INVALID          malformed body, wrong subject, wrong shape

`fetch` turns every `SourceFailure` into an `Answer` with that status and a plain-words reason;
it never raises for what a department does.
"""

from __future__ import annotations

__all__ = ["ConfigError", "ConnectorError", "SourceFailure", "SourceInvalid", "SourceUnavailable"]


class ConnectorError(Exception):
    code = "CONNECTOR_ERROR"


class ConfigError(ConnectorError):
    code = "CONFIG_INVALID"


class SourceFailure(ConnectorError):
    status = "UNAVAILABLE"


class SourceUnavailable(SourceFailure):
    code = status = "UNAVAILABLE"


class SourceInvalid(SourceFailure):
    code = status = "INVALID"
