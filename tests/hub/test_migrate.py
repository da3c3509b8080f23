"""Migrations: they make exactly the tables the code defines, on SQLite and PostgreSQL; upgrades
are repeatable and serialised; nothing is created at start-up; `hub db` from the command line."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect
from starlette.testclient import TestClient

from hub.app import create_app
from hub.config.sources import parse_sources
from hub.demo import demo_settings
from hub.migrate import SchemaOutOfDate, schema_status, target_metadata, upgrade_store
from hub.store import store_engine
from signing.keys import init_keys
from tests.hub.procs import free_port, hub_cmd, write_config
from tests.sandbox_process import SandboxProcess
from tests.stores import store_url

TABLES = {"audit_meta", "audit_entries", "audit_subjects", "audit_consents",
          "audit_applications", "audit_checkpoints", "audit_reviews", "consents",
          "console_sessions", "objections", "objection_events", "applications", "reports",
          "report_numbers", "trusted_documents", "check_jobs", "check_job_items",
          "check_job_results", "check_job_sources"}
HEAD = "0003"  # the newest revision under hub/migrations/versions


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with store_url(request.param, tmp_path, migrate=False) as url:
        yield url


async def _differences(url: str) -> list[Any]:
    engine = store_engine(url)

    def compare(conn: Connection) -> list[Any]:
        return list(compare_metadata(MigrationContext.configure(conn), target_metadata()))

    try:
        async with engine.connect() as conn:
            return await conn.run_sync(compare)
    finally:
        await engine.dispose()


async def _tables(url: str) -> set[str]:
    engine = store_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def test_migrations_make_exactly_the_tables_the_code_defines(url: str) -> None:
    before = await _differences(url)
    assert {d[1].name for d in before if d[0] == "add_table"} == TABLES  # the check can fail
    first, after = await upgrade_store(url)
    assert first.current == () and after.up_to_date and after.current == (HEAD,)
    assert await _differences(url) == []
    assert await _tables(url) == TABLES | {"alembic_version"}


async def test_upgrades_repeat_and_serialise(url: str) -> None:
    """Four upgrades at once on a fresh store: one migrates, the others find it done."""
    results = await asyncio.gather(*(upgrade_store(url) for _ in range(4)))
    assert sum(1 for before, _ in results if before.current == ()) == 1
    assert all(after.current == (HEAD,) for _, after in results)
    assert await _differences(url) == []


async def test_status_of_an_empty_store(url: str) -> None:
    engine = store_engine(url)
    try:
        status = await schema_status(engine)
    finally:
        await engine.dispose()
    assert status.current == () and not status.up_to_date and not status.ahead
    assert "no hub tables" in status.describe()


def test_the_app_refuses_an_unmigrated_store_and_creates_nothing(sandbox: SandboxProcess,
                                                                 tmp_path: Path) -> None:
    init_keys(tmp_path / "keys")
    settings, _ = demo_settings(tmp_path, parse_sources(sandbox.config["sources"]),
                                host="127.0.0.1", port=0)
    with pytest.raises(SchemaOutOfDate, match="no hub tables"), \
            TestClient(create_app(settings)):
        pass
    with sqlite3.connect(tmp_path / "hub.sqlite") as db:
        assert db.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall() == []


def test_db_upgrade_and_status_from_the_command_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    status = hub_cmd("db", "status", "--home", str(home))
    assert status.returncode == 1 and f"its directory {home} does not exist" in status.stderr
    home.mkdir()
    status = hub_cmd("db", "status", "--home", str(home))
    assert status.returncode == 1 and "no hub tables" in status.stdout
    first = hub_cmd("db", "upgrade", "--home", str(home))
    assert first.returncode == 0, first.stderr
    assert f"upgraded from revision (none) to {HEAD}" in first.stdout
    again = hub_cmd("db", "upgrade", "--home", str(home))
    assert again.returncode == 0 and f"already at revision {HEAD}" in again.stdout
    status = hub_cmd("db", "status", "--home", str(home))
    assert status.returncode == 0 and f"at revision {HEAD}, as this hub needs" in status.stdout


def test_db_upgrade_sql_prints_the_ddl_for_postgres(sandbox: SandboxProcess,
                                                    tmp_path: Path) -> None:
    config = write_config(sandbox, tmp_path, port=8000,
                          hub='store = "postgresql+asyncpg://hub@db.invalid/hub"')
    run = hub_cmd("db", "upgrade", "--sql", "--config", str(config))
    assert run.returncode == 0, run.stderr
    for table in TABLES:
        assert f"CREATE TABLE {table} (" in run.stdout
    assert "INSERT INTO alembic_version (version_num) VALUES ('0001')" in run.stdout
    assert f"UPDATE alembic_version SET version_num='{HEAD}'" in run.stdout


def test_db_upgrade_reports_an_unreachable_store_in_one_line(sandbox: SandboxProcess,
                                                             tmp_path: Path) -> None:
    config = write_config(sandbox, tmp_path, port=8000, hub=(
        f'store = "postgresql+asyncpg://hub:pw@127.0.0.1:{free_port()}/hub"'))
    run = hub_cmd("db", "upgrade", "--config", str(config))
    assert run.returncode == 1
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("hub db upgrade: cannot reach")
    assert run.stderr.rstrip().endswith("(hub.store)") and ":pw@" not in run.stderr


def test_audit_verify_on_an_unmigrated_store_says_what_to_run(tmp_path: Path) -> None:
    init_keys(tmp_path / "keys")
    (tmp_path / "hub.sqlite").touch()
    run = hub_cmd("audit", "verify", "--home", str(tmp_path))
    assert run.returncode == 2 and "run hub db upgrade" in run.stderr
    assert "Traceback" not in run.stderr


def test_the_store_url_may_come_from_the_environment(sandbox: SandboxProcess,
                                                     tmp_path: Path) -> None:
    config = write_config(sandbox, tmp_path, port=8000, hub='store = "env:HUB_OPS_STORE_URL"')
    missing = hub_cmd("db", "upgrade", "--config", str(config), env={"HUB_OPS_STORE_URL": ""})
    assert missing.returncode == 2
    assert "hub.store: environment variable HUB_OPS_STORE_URL is not set" in missing.stderr
    url = f"sqlite+aiosqlite:///{tmp_path / 'elsewhere.sqlite'}"
    run = hub_cmd("db", "upgrade", "--config", str(config), env={"HUB_OPS_STORE_URL": url})
    assert run.returncode == 0 and run.stdout.startswith(f"{url}: upgraded"), run.stderr
