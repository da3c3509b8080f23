"""The objection store, on SQLite and PostgreSQL: one objection per fingerprint, one change per
state, the open ones by subject, and OVERDUE found from the deadline."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator

import pytest

from hub.store import open_store
from objection.model import Objection, Target, fingerprint
from objection.store import ObjectionFilter
from tests.pg import fresh_database, postgres_url_or_skip
from tests.stores import migrated_sync

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
DEADLINE = dt.datetime(2026, 12, 1, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
SUBJECT = "v1:" + "b" * 64


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[str]:
    if request.param == "sqlite":
        yield migrated_sync(f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('store') / 'hub.sqlite'}")
        return
    with fresh_database(postgres_url_or_skip()) as url:
        yield migrated_sync(url)


def objection(oid: str, *, item: str = "household", reason: str = "地址已变更",
              by: str = "portal") -> tuple[Objection, str]:
    target = Target(SUBJECT, "person", item, "address", source="ga_household")
    o = Objection(id=oid, target=target, department="市公安局", reason=reason,
                  evidence=("迁移证明 2026-001",), raised_by=by, raised_at=NOW,
                  deadline=DEADLINE, desk="ga", sealed_subject="v1:x:y")
    return o, fingerprint(target, reason, o.evidence)


async def test_the_same_objection_raised_at_once_is_stored_once(store_url: str) -> None:
    store = await open_store(store_url)
    try:
        results = await asyncio.gather(*(store.objections.add(*objection(f"obj_{i}"))
                                         for i in range(8)))
        created = [o.id for o, new in results if new]
        assert len(created) == 1
        assert {o.id for o, _ in results} == set(created)
        assert [e.kind for e in await store.objections.history(created[0])] == ["RECEIVED"]
    finally:
        await store.close()


async def test_a_state_changes_once_and_its_history_follows(store_url: str) -> None:
    store = await open_store(store_url)
    try:
        o, fp = objection("obj_change")
        await store.objections.add(o, fp)
        later = NOW + dt.timedelta(minutes=5)
        moved = await asyncio.gather(*(store.objections.change(
            o, "RECEIVED", "FORWARDED", later, "filed", state="FORWARDED", desk_ref=f"D-{i}")
            for i in range(5)))
        winners = [m for m in moved if m is not None]
        assert len(winners) == 1 and winners[0].state == "FORWARDED"
        stored = await store.objections.get("obj_change")
        assert stored is not None and stored.desk_ref == winners[0].desk_ref
        assert stored.raised_at == NOW and stored.deadline == DEADLINE
        assert [e.kind for e in await store.objections.history(o.id)] == ["RECEIVED",
                                                                          "FORWARDED"]
        # Forwarded is still open: the check about its subject shows it.
        found = await store.objections.open_about([o.target.subject])
        assert [x.id for x in found[o.target.subject]] == ["obj_change"]
    finally:
        await store.close()


async def test_open_objections_by_subject_and_overdue_from_the_deadline(store_url: str) -> None:
    store = await open_store(store_url)
    try:
        a, fa = objection("obj_a")
        b, fb = objection("obj_b", item="property", reason="面积有误")
        await store.objections.add(a, fa)
        await store.objections.add(b, fb)
        await store.objections.change(b, "RECEIVED", "REJECTED", NOW, "no",
                                      state="REJECTED")
        found = await store.objections.open_about([SUBJECT, "v1:other"])
        assert [o.id for o in found[SUBJECT]] == ["obj_a"] and "v1:other" not in found
        before, after = DEADLINE - dt.timedelta(seconds=1), DEADLINE
        overdue = ObjectionFilter(status="OVERDUE")
        assert (await store.objections.search(overdue, before, first=10))[1] == 0
        items, total = await store.objections.search(overdue, after, first=10)
        assert total == 1 and items[0].id == "obj_a" and items[0].status(after) == "OVERDUE"
        received = ObjectionFilter(status="RECEIVED")
        assert (await store.objections.search(received, before, first=10))[1] == 1
        assert (await store.objections.search(received, after, first=10))[1] == 0
        mine = ObjectionFilter(raised_by="window")
        assert (await store.objections.search(mine, after, first=10))[1] == 0
    finally:
        await store.close()
