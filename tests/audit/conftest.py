"""Fixtures of the audit tests: a migrated store on SQLite and on PostgreSQL, and fresh keys."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from signing.keys import KeyRing, init_keys
from tests.stores import store_url


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with store_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def ring(tmp_path: Path) -> KeyRing:
    return init_keys(tmp_path / "keys")
