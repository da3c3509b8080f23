"""Stores for tests, migrated to this hub's revision by the same function `hub db upgrade` runs."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from hub.migrate import upgrade_store

__all__ = ["migrated", "migrated_sync"]


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
