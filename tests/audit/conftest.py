"""Fixtures of the audit tests: a migrated store on SQLite and on PostgreSQL, and fresh keys."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from signing.keys import KeyRing, init_keys
from tests.pg import fresh_database, postgres_url_or_skip
from tests.stores import migrated_sync


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield migrated_sync(f"sqlite+aiosqlite:///{tmp_path / 'audit.sqlite'}")
        return
    with fresh_database(postgres_url_or_skip()) as pg:
        yield migrated_sync(pg)


@pytest.fixture
def ring(tmp_path: Path) -> KeyRing:
    return init_keys(tmp_path / "keys")
