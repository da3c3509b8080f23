"""Configuration errors: a bad configuration file or key, named so an operator can act on it."""

from __future__ import annotations

__all__ = ["ConfigError"]


class ConfigError(Exception):
    """The configuration is invalid; the message starts with the bad key (`callers.fgw.role`)."""

    code = "CONFIG_INVALID"
