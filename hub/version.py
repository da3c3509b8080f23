"""The installed hub's version, read from the package metadata (pyproject.toml's `version`)."""

from __future__ import annotations

__all__ = ["DISTRIBUTION", "hub_version"]

DISTRIBUTION = "one-thing-hub"


def hub_version() -> str:
    """The version of the installed distribution, or "unknown" when run from a bare tree."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown"
