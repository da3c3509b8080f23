"""ASGI factory for `hub serve` (and any ASGI server): `hub.asgi:app_from_env`, factory mode.

Reads the configuration named by `HUB_CONFIG` when the worker starts, never at import, and
sends the worker's logs through the hub's handler in the configured format (`[log]`). The
worker's start-up objects are frozen out of the garbage collector's full collections
(`create_app(freeze_gc=True)`).
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.applications import Starlette

from hub.app import create_app
from hub.config.settings import load_settings
from hub.logs import configure_logging

__all__ = ["app_from_env"]


def app_from_env() -> Starlette:
    path = os.environ.get("HUB_CONFIG")
    if not path:
        raise RuntimeError("set HUB_CONFIG to the hub's TOML configuration file")
    settings = load_settings(Path(path))
    configure_logging(settings.log)
    return create_app(settings, freeze_gc=True)
