"""A fresh PostgreSQL database per test session, on the server named by HUB_TEST_POSTGRES_URL."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy.engine import make_url

ENV = "HUB_TEST_POSTGRES_URL"


def postgres_url_or_skip() -> str:
    url = os.environ.get(ENV)
    if not url:
        pytest.skip(f"{ENV} is not set; .ci/run sets it to the machine's PostgreSQL")
    return url


async def _admin(url: str, statement: str) -> None:
    import asyncpg

    u = make_url(url)
    conn = await asyncpg.connect(host=u.host, port=u.port or 5432, user=u.username,
                                 password=u.password, database=u.database)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@contextmanager
def fresh_database(url: str) -> Iterator[str]:
    """Create `hub_test_<random>` on the server of `url`, yield its URL, drop it after."""
    name = f"hub_test_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_admin(url, f'CREATE DATABASE "{name}"'))
    except OSError as exc:
        pytest.skip(f"PostgreSQL at {ENV} is not reachable: {exc}")
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
