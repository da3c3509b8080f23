"""Consent storage through SQLAlchemy (SQLite embedded, PostgreSQL in production).

Uses are counted with one conditional UPDATE (`uses < max_uses`), so two requests can never
both take a consent's last use, on either database. Granting and revoking are handed out as
statements (`insert`, `revocation`) so that the hub commits them in the same transaction as
their audit entry.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    Row,
    String,
    Table,
    Text,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.dml import Insert, Update

from consent.artefact import Consent, Provenance

__all__ = ["ConsentStore", "consents_table"]


def consents_table(metadata: MetaData) -> Table:
    return Table(
        "consents", metadata,
        Column("id", String(40), primary_key=True),
        Column("subject", String(80), nullable=False, index=True),
        Column("grantee", String(64), nullable=False),
        Column("purpose", String(64), nullable=False),
        Column("categories", Text, nullable=False),  # comma-separated, sorted
        Column("valid_from", DateTime(timezone=True), nullable=False),
        Column("valid_until", DateTime(timezone=True), nullable=False),
        Column("fetch_type", String(16), nullable=False),
        Column("max_uses", Integer, nullable=False),
        Column("uses", Integer, nullable=False, default=0),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("revoked_at", DateTime(timezone=True), nullable=True),
        Column("key_id", String(32), nullable=False),
        Column("signature", String(128), nullable=False),
        # Who gave it and how (JSON of Provenance.signed_content; NULL: online, by the subject).
        Column("provenance", Text, nullable=True),
    )


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite returns naive datetimes; the hub stores UTC, so naive means UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


class ConsentStore:
    def __init__(self, engine: AsyncEngine, table: Table) -> None:
        self.engine = engine
        self.table = table

    def insert(self, consent: Consent) -> Insert:
        """The statement that stores `consent` (run where its audit entry commits)."""
        c = consent
        return self.table.insert().values(
            id=c.id, subject=c.subject, grantee=c.grantee, purpose=c.purpose,
            categories=",".join(sorted(c.categories)),
            valid_from=c.valid_from.astimezone(dt.UTC),
            valid_until=c.valid_until.astimezone(dt.UTC), fetch_type=c.fetch_type,
            max_uses=c.max_uses, uses=c.uses, created_at=c.created_at.astimezone(dt.UTC),
            revoked_at=None, key_id=c.key_id, signature=c.signature,
            provenance=_provenance_json(c.provenance))

    def revocation(self, consent_id: str, now: dt.datetime) -> Update:
        """The statement that revokes a consent, idempotently (run where its entry commits)."""
        t = self.table
        return (update(t).where(t.c.id == consent_id, t.c.revoked_at.is_(None))
                .values(revoked_at=now.astimezone(dt.UTC)))

    async def add(self, consent: Consent) -> None:
        """Store a consent on its own (tests and tools; the hub stores with the audit entry)."""
        async with self.engine.begin() as conn:
            await conn.execute(self.insert(consent))

    async def get_many(self, ids: Sequence[str]) -> dict[str, Consent]:
        if not ids:
            return {}
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(self.table).where(self.table.c.id.in_(ids)))).all()
        return {r.id: _consent(r) for r in rows}

    async def get(self, consent_id: str) -> Consent | None:
        return (await self.get_many([consent_id])).get(consent_id)

    async def take_use(self, consent_id: str) -> bool:
        """Count one use if one is left and the consent is not revoked; say whether it was."""
        t = self.table
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(t).where(t.c.id == consent_id, t.c.uses < t.c.max_uses,
                                t.c.revoked_at.is_(None)).values(uses=t.c.uses + 1))
        return bool(result.rowcount)

    async def revoke(self, consent_id: str, now: dt.datetime) -> Consent | None:
        """Revoke on its own (tests and tools; the hub revokes with the audit entry)."""
        async with self.engine.begin() as conn:
            await conn.execute(self.revocation(consent_id, now))
        return await self.get(consent_id)


def _provenance_json(provenance: Provenance) -> str | None:
    content = provenance.signed_content()
    return json.dumps(content, ensure_ascii=False, sort_keys=True) if content else None


def _aware_required(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _consent(row: Row[Any]) -> Consent:
    r = row._mapping
    return Consent(
        id=r["id"], subject=r["subject"], grantee=r["grantee"], purpose=r["purpose"],
        categories=tuple(c for c in r["categories"].split(",") if c),
        valid_from=_aware_required(r["valid_from"]),
        valid_until=_aware_required(r["valid_until"]), fetch_type=r["fetch_type"],
        max_uses=r["max_uses"], created_at=_aware_required(r["created_at"]),
        key_id=r["key_id"], signature=r["signature"], uses=r["uses"],
        revoked_at=_aware(r["revoked_at"]),
        provenance=Provenance.of(json.loads(r["provenance"]) if r["provenance"] else None),
    )
