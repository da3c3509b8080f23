"""The consent store: a consent's last use is taken once, even under concurrent requests."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import Iterator

import pytest

from consent.artefact import Consent, Provenance
from hub.store import open_store
from tests.pg import fresh_database, postgres_url_or_skip
from tests.stores import migrated_sync

NOW = dt.datetime(2026, 11, 28, 8, 0, tzinfo=dt.UTC)


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[str]:
    if request.param == "sqlite":
        yield migrated_sync(f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('store') / 'hub.sqlite'}")
        return
    with fresh_database(postgres_url_or_skip()) as url:
        yield migrated_sync(url)


def consent(max_uses: int) -> Consent:
    return Consent(id=f"cst_race{max_uses}", subject="v1:" + "a" * 64, grantee="portal",
                   purpose="SCHOOL_ENROLMENT", categories=("household",), valid_from=NOW,
                   valid_until=NOW + dt.timedelta(days=1), fetch_type="REUSABLE",
                   max_uses=max_uses, created_at=NOW, key_id="k", signature="s")


async def test_concurrent_uses_never_exceed_the_cap(store_url: str) -> None:
    store = await open_store(store_url)
    try:
        for cap in (1, 3):
            await store.consents.add(consent(cap))
            taken = await asyncio.gather(*(store.consents.take_use(f"cst_race{cap}")
                                           for _ in range(20)))
            assert sum(taken) == cap
            stored = await store.consents.get(f"cst_race{cap}")
            assert stored is not None and stored.uses == cap and stored.status(NOW) == "EXHAUSTED"
    finally:
        await store.close()


async def test_round_trip_keeps_times_exact(store_url: str) -> None:
    """Stored times come back identical, so the signature over them still verifies."""
    store = await open_store(store_url)
    try:
        original = consent(2)
        await store.consents.add(original)
        back = await store.consents.get(original.id)
        assert back is not None and back.signed_content() == original.signed_content()
        revoked = await store.consents.revoke(original.id, NOW)
        assert revoked is not None and revoked.status(NOW) == "REVOKED"
        assert not await store.consents.take_use(original.id)
        assert await store.consents.revoke("cst_nothing", NOW) is None
    finally:
        await store.close()


async def test_provenance_round_trips(store_url: str) -> None:
    """A window's paper consent and an enterprise's authorisation come back as recorded."""
    store = await open_store(store_url)
    try:
        paper = dataclasses.replace(consent(1), id="cst_paper", provenance=Provenance(
            granted_by="v1:" + "b" * 64, grantor_role="GUARDIAN", channel="WINDOW",
            operator="clerk-07", paper_form="XZSP-2026-000123"))
        firm = dataclasses.replace(consent(1), id="cst_firm", subject="91410700245292216W",
                                   provenance=Provenance(subject_kind="enterprise",
                                                         granted_by="v1:" + "c" * 64,
                                                         grantor_role="LEGAL_REPRESENTATIVE"))
        for c in (paper, firm):
            await store.consents.add(c)
            back = await store.consents.get(c.id)
            assert back is not None and back.provenance == c.provenance
            assert back.signed_content() == c.signed_content()
        plain = await store.consents.get("cst_paper")
        assert plain is not None and plain.provenance.operator == "clerk-07"
    finally:
        await store.close()
