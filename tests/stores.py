"""Stores for tests, migrated to this hub's revision by the same function `hub db upgrade` runs."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from hub.migrate import upgrade_store
from tests.pg import fresh_database, postgres_url_or_skip

__all__ = ["migrated", "migrated_sync", "store_url"]


async def migrated(url: str) -> str:
    """`url`, once its store is at this hub's revision."""
    await upgrade_store(url)
    return url


def migrated_sync(url: str) -> str:
    """`migrated`, for fixtures and helpers outside a coroutine (in a thread of its own when
    this one already runs an event loop, as Playwright's sync API does)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(migrated(url))
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(migrated(url))).result()


@contextlib.contextmanager
def store_url(kind: str, tmp_path: Path, *, migrate: bool = True) -> Iterator[str]:
    """The URL of an empty store of `kind` ("sqlite": a file in `tmp_path`; "postgres": a
    fresh database, skipped with a reason without HUB_TEST_POSTGRES_URL), migrated to this
    hub's revision unless `migrate` is false."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'hub.sqlite'}"
        yield migrated_sync(url) if migrate else url
        return
    with fresh_database(postgres_url_or_skip()) as pg:
        yield migrated_sync(pg) if migrate else pg
