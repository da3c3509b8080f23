"""The console's tables in the hub's store: sessions and flag reviews, SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from audit.reviews import FlagReview
from hub.console.sessions import token_digest
from hub.store import Store, open_store

NOW = dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
async def store(url: str) -> AsyncIterator[Store]:
    s = await open_store(url)
    yield s
    await s.close()


async def test_a_session_lives_until_its_end_and_not_a_moment_longer(store: Store) -> None:
    token, session = await store.sessions.create("auditor", "aud-1", "JJ-2026-7", now=NOW,
                                                 minutes=30)
    assert session.expires_at == NOW + dt.timedelta(minutes=30)
    found = await store.sessions.get(token, now=NOW + dt.timedelta(minutes=29, seconds=59))
    assert found is not None and (found.caller, found.operator, found.case) == (
        "auditor", "aud-1", "JJ-2026-7")
    assert found.csrf == session.csrf and len(found.csrf) >= 32
    assert await store.sessions.get(token, now=NOW + dt.timedelta(minutes=30)) is None
    # ... and the expired row is gone: the token no longer names anything.
    assert await store.sessions.get(token, now=NOW) is None


async def test_the_store_keeps_only_a_digest_of_the_token(store: Store) -> None:
    token, _ = await store.sessions.create("auditor", "aud-1", None, now=NOW, minutes=5)
    t = store.sessions.table
    async with store.engine.connect() as conn:
        rows = (await conn.execute(select(t.c.token_sha256))).scalars().all()
    assert token not in rows and token_digest(token) in rows
    assert await store.sessions.get("not" + token, now=NOW) is None


async def test_signing_out_ends_the_session(store: Store) -> None:
    token, session = await store.sessions.create("auditor", "aud-1", None, now=NOW, minutes=5)
    await store.sessions.remember_search(session, '{"caller": "fgw"}')
    found = await store.sessions.get(token, now=NOW)
    assert found is not None and found.search == '{"caller": "fgw"}'
    await store.sessions.end(token)
    assert await store.sessions.get(token, now=NOW) is None


async def test_reviews_are_appended_and_read_per_flag(store: Store) -> None:
    first = FlagReview("f1", "fishing", "portal / clerk-7: 25 subjects", (9, 3, 4),
                       "checked with the portal: a school's enrolment list", "auditor", "aud-1",
                       NOW)
    second = FlagReview("f1", "fishing", first.title, first.seqs, "still open: asked again",
                        "auditor", "aud-2", NOW + dt.timedelta(hours=1))
    other = FlagReview("f2", "burst", "fgw", (1,), "batch check of the IPO list", "auditor", None,
                       NOW)
    for review in (first, second, other):
        await store.reviews.add(review)
    found = await store.reviews.of_flags(["f1", "f2", "f3"])
    assert set(found) == {"f1", "f2"}
    assert [r.note for r in found["f1"]] == [first.note, second.note]
    assert found["f1"][0].seqs == (3, 4, 9)
    assert found["f1"][1].reviewed_at == second.reviewed_at
    assert found["f2"][0].operator is None
    assert [r.flag_id for r in await store.reviews.recent(2)] == ["f2", "f1"]
    assert await store.reviews.of_flags([]) == {}
