"""Typed reading of one configuration table: every error names the table and the bad key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.config.errors import ConfigError

__all__ = ["TableReader"]


class TableReader:
    """Typed access to one configuration table; every error names the key."""

    def __init__(self, where: str, raw: Mapping[str, Any]) -> None:
        self.where = where
        self.raw = raw

    def string(self, key: str, default: str | None = None) -> str:
        value = self.raw.get(key, default)
        if value is None:
            raise ConfigError(f"{self.where}.{key}: required")
        if not isinstance(value, str) or (not value and default is None):
            raise ConfigError(f"{self.where}.{key}: must be a non-empty string")
        return value

    def choice(self, key: str, options: tuple[str, ...], default: str | None = None) -> str:
        value = self.string(key, default)
        if value not in options:
            raise ConfigError(f"{self.where}.{key}: {value!r} is not one of {', '.join(options)}")
        return value

    def optional_choice(self, key: str, options: tuple[str, ...]) -> str | None:
        return self.choice(key, options) if key in self.raw else None

    def boolean(self, key: str, default: bool) -> bool:
        value = self.raw.get(key, default)
        if not isinstance(value, bool):
            raise ConfigError(f"{self.where}.{key}: must be true or false")
        return value

    def number(self, key: str, default: float, low: float, high: float) -> float:
        value = self.raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not (
                low <= value <= high):
            raise ConfigError(f"{self.where}.{key}: must be a number from {low} to {high}, "
                              f"got {value!r}")
        return float(value)

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        value = self.raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ConfigError(f"{self.where}.{key}: must be a whole number from {low} to "
                              f"{high}, got {value!r}")
        return value
