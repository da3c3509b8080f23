"""Fixtures of the audit tests: fresh keys (the store, on SQLite and PostgreSQL, is `url` in
tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from signing.keys import KeyRing, init_keys


@pytest.fixture
def ring(tmp_path: Path) -> KeyRing:
    return init_keys(tmp_path / "keys")
