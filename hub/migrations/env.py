"""Alembic's environment for the hub's store.

`hub.migrate` runs Alembic through its Python API and hands over an open connection (already in
a transaction, already holding the migration lock) in `config.attributes["connection"]`. The
`alembic` command (alembic.ini at the repository root, for writing new revisions) connects to
`HUB_STORE_URL` instead. `--sql` (offline) mode prints the DDL for a database administrator.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from hub.migrate import target_metadata

__all__ = ["run_migrations"]


def _configure(**options: object) -> None:
    context.configure(target_metadata=target_metadata(), render_as_batch=True,
                      compare_type=True, **options)  # type: ignore[arg-type]


def _run(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_url(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_run)
    finally:
        await engine.dispose()


def run_migrations() -> None:
    """What Alembic runs: online on the given connection or URL, or offline (--sql)."""
    config = context.config
    url = os.environ.get("HUB_STORE_URL") or config.get_main_option("sqlalchemy.url") or ""
    if context.is_offline_mode():
        _configure(url=url, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
    else:
        asyncio.run(_run_url(url))


run_migrations()
