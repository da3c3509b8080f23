"""The report register: numbers unique across processes, filed documents, retention."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.store import open_store
from reports.codes import format_report_no, is_report_no
from reports.store import StoredReport
from tests.pg import fresh_database, postgres_url_or_skip
from tests.stores import migrated, migrated_sync

NOW = dt.datetime(2026, 11, 28, 8, 0, tzinfo=dt.UTC)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[str]:
    if request.param == "sqlite":
        yield migrated_sync(f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('store') / 'hub.sqlite'}")
        return
    with fresh_database(postgres_url_or_skip()) as url:
        yield migrated_sync(url)


def filed(number: str, *, checked_at: dt.datetime = NOW, days: int = 1096) -> StoredReport:
    return StoredReport(
        report_no=number, report_id=number.replace("-", "").lower(), kind="IPO_COMPLIANCE",
        uscc="91410700155862203H", subject_name="新乡市润丰生物科技有限公司", verdict="CLEAN",
        checked_at=checked_at, caller="xzsp", key_id="k1", signature="c2ln",
        document='{"reportNo":"%s","subject":{"name":"新乡市润丰生物科技有限公司"}}'
        .replace("%s", number).encode(), expires_at=checked_at + dt.timedelta(days=days))


def test_report_numbers_have_the_documented_shape() -> None:
    assert format_report_no("XXHC", 2026, 123) == "XXHC-2026-000123"
    assert format_report_no("XXHC", 2026, 1234567) == "XXHC-2026-1234567"
    for good in ("XXHC-2026-000123", "AB-2030-999999"):
        assert is_report_no(good)
    for bad in ("XXHC-2026-123", "xxhc-2026-000123", "XXHC-26-000123", "XXHC-2026-000123 ",
                "../etc", "", "XXHC-2026-0001234567890"):
        assert not is_report_no(bad), bad


async def test_numbers_count_per_year_and_batches_are_consecutive(store_url: str) -> None:
    store = await open_store(store_url)
    try:
        first = await store.reports.allocate(2026, 3)
        assert first == ["XXHC-2026-000001", "XXHC-2026-000002", "XXHC-2026-000003"]
        assert await store.reports.allocate(2026, 1) == ["XXHC-2026-000004"]
        assert await store.reports.allocate(2027, 2) == ["XXHC-2027-000001", "XXHC-2027-000002"]
        assert await store.reports.allocate(2026, 0) == []
        together = await asyncio.gather(*(store.reports.allocate(2026, 2) for _ in range(20)))
        numbers = [n for batch in together for n in batch]
        assert len(set(numbers)) == 40
        assert sorted(numbers) == [f"XXHC-2026-{n:06d}" for n in range(5, 45)]
    finally:
        await store.close()


_WORKER = """
import asyncio, sys
from hub.store import open_store

async def main(url):
    store = await open_store(url)
    try:
        for _ in range(25):
            for number in await store.reports.allocate(2026, 3):
                print(number)
    finally:
        await store.close()

asyncio.run(main(sys.argv[1]))
"""


def _numbers_from(worker: str, store_url: str, processes: int) -> list[str]:
    """The numbers `processes` copies of `worker` print, run at once against the store."""
    procs = [subprocess.Popen([sys.executable, "-c", worker, store_url], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(processes)]
    numbers = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        numbers += out.split()
    return numbers


def test_numbers_are_unique_across_processes(store_url: str, tmp_path: Path) -> None:
    """Four hub processes allocating at once never hand out one number twice."""
    asyncio.run(_create(store_url))
    numbers = _numbers_from(_WORKER, store_url, 4)
    assert len(numbers) == 300 and len(set(numbers)) == 300
    assert sorted(numbers) == [f"XXHC-2026-{n:06d}" for n in range(1, 301)]


_BLOCK_WORKER = """
import asyncio, sys
from hub.store import open_store

async def main(url):
    store = await open_store(url, report_block=7)
    try:
        for i in range(40):
            for number in await store.reports.issue(2026, 1 + i % 3):
                print(number)
    finally:
        await store.close()

asyncio.run(main(sys.argv[1]))
"""


def test_numbers_issued_from_blocks_are_unique_across_processes(store_url: str) -> None:
    """Three hub processes issuing from blocks of 7 at once never issue one number twice, and
    the register's counter covers every number issued (what the blocks left over is a gap)."""
    asyncio.run(_create(store_url))
    numbers = _numbers_from(_BLOCK_WORKER, store_url, 3)
    assert len(numbers) == 3 * 79 and len(set(numbers)) == len(numbers)
    issued = asyncio.run(_counter(store_url, 2026))
    # No request needs more than a block, so every reservation was one whole block of 7.
    assert issued % 7 == 0 and max(int(n[-6:]) for n in numbers) <= issued


async def _counter(url: str, year: int) -> int:
    store = await open_store(url)
    try:
        (last,) = await store.reports.allocate(year, 1)
        return int(last[-6:]) - 1
    finally:
        await store.close()


async def test_a_process_issues_consecutive_numbers_from_its_block(store_url: str) -> None:
    store = await open_store(store_url, report_block=10)
    other = await open_store(store_url, report_block=10)
    try:
        assert await store.reports.issue(2026, 2) == ["XXHC-2026-000001", "XXHC-2026-000002"]
        assert await other.reports.issue(2026, 1) == ["XXHC-2026-000011"]
        assert await store.reports.issue(2026, 1) == ["XXHC-2026-000003"]
        assert await store.reports.issue(2026, 30) == [f"XXHC-2026-{n:06d}" for n in
                                                        range(21, 51)]
    finally:
        await store.close()
        await other.close()


async def _create(url: str) -> None:
    store = await open_store(url)
    await store.close()


async def test_a_filed_report_is_kept_until_its_retention_ends(store_url: str) -> None:
    store = await open_store(store_url)
    try:
        await store.reports.add([filed("XXHC-2026-000001"),
                                 filed("XXHC-2026-000002", days=10)], NOW)
        got = await store.reports.get("XXHC-2026-000001", NOW)
        assert got is not None and got.subject_name == "新乡市润丰生物科技有限公司"
        assert got.document == filed("XXHC-2026-000001").document
        assert got.checked_at == NOW and got.expires_at == NOW + dt.timedelta(days=1096)
        assert await store.reports.get("XXHC-2026-000009", NOW) is None
        later = NOW + dt.timedelta(days=11)
        assert await store.reports.get("XXHC-2026-000002", later) is None  # expired, not purged
        assert await store.reports.purge(later) == 1
        assert await store.reports.get("XXHC-2026-000001", later) is not None
        assert await store.reports.purge(NOW + dt.timedelta(days=1097)) == 1
    finally:
        await store.close()


async def test_prefix_and_retention_come_from_the_store_settings(tmp_path: Path) -> None:
    store = await open_store(await migrated(f"sqlite+aiosqlite:///{tmp_path / 'hub.sqlite'}"),
                             report_prefix="ZZJY", report_retention=dt.timedelta(days=30))
    try:
        (number,) = await store.reports.allocate(2026, 1)
        assert re.fullmatch(r"ZZJY-2026-000001", number)
        assert store.reports.expiry(NOW) == NOW + dt.timedelta(days=30)
    finally:
        await store.close()
    with pytest.raises(ValueError, match="capital letters"):
        await open_store(f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite'}", report_prefix="x-1")
