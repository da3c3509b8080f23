"""Auditors' reviews of flagged patterns in the log, kept in the hub's store.

A flag ("what looks wrong") is computed from the log, so it has no row of its own; a review
names the flag by its stable id and keeps what the auditor saw (rule, title, the entries behind
it) beside their note. Reviews are appended, never changed: the latest one of a flag is its
state, and the earlier ones are its history. A review is stored in the same transaction as the
audit entry of the request that makes it (`insert` gives the statement), or not at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import (
    Column,
    DateTime,
    Insert,
    Integer,
    MetaData,
    Row,
    String,
    Table,
    Text,
    insert,
    select,
)
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["FlagReview", "ReviewStore", "reviews_table"]


def reviews_table(metadata: MetaData) -> Table:
    return Table(
        "audit_reviews", metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("flag_id", String(64), nullable=False, index=True),
        Column("rule", String(32), nullable=False),
        Column("title", Text, nullable=False),
        Column("seqs", Text, nullable=False),  # comma-separated, ascending
        Column("note", Text, nullable=False),
        Column("reviewer", String(64), nullable=False),
        Column("operator", String(128), nullable=True),
        Column("reviewed_at", DateTime(timezone=True), nullable=False),
    )


@dataclass(frozen=True, slots=True)
class FlagReview:
    flag_id: str
    rule: str
    title: str
    seqs: tuple[int, ...]
    note: str
    reviewer: str  # the auditor caller
    operator: str | None  # the person signed in for it
    reviewed_at: dt.datetime


def _review(row: Row[tuple[object, ...]]) -> FlagReview:
    moment: dt.datetime = row.reviewed_at
    if moment.tzinfo is None:  # SQLite returns naive datetimes; stored as UTC
        moment = moment.replace(tzinfo=dt.UTC)
    seqs = tuple(int(s) for s in str(row.seqs).split(",") if s)
    return FlagReview(row.flag_id, row.rule, row.title, seqs, row.note, row.reviewer,
                      row.operator, moment)


class ReviewStore:
    def __init__(self, engine: AsyncEngine, table: Table) -> None:
        self.engine = engine
        self.table = table

    def insert(self, review: FlagReview) -> Insert:
        """The statement that stores `review` (run where its audit entry commits)."""
        r = review
        return insert(self.table).values(
            flag_id=r.flag_id, rule=r.rule, title=r.title,
            seqs=",".join(map(str, sorted(r.seqs))), note=r.note, reviewer=r.reviewer,
            operator=r.operator, reviewed_at=r.reviewed_at.astimezone(dt.UTC))

    async def add(self, review: FlagReview) -> None:
        """Store a review on its own (tests and tools; the hub stores with the audit entry)."""
        async with self.engine.begin() as conn:
            await conn.execute(self.insert(review))

    async def of_flags(self, flag_ids: Sequence[str]) -> dict[str, list[FlagReview]]:
        """Each flag's reviews, oldest first (flags without a review are left out)."""
        if not flag_ids:
            return {}
        t = self.table
        out: dict[str, list[FlagReview]] = {}
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(t).where(t.c.flag_id.in_(list(flag_ids)))
                                       .order_by(t.c.id))).all()
        for row in rows:
            out.setdefault(row.flag_id, []).append(_review(row))
        return out

    async def recent(self, limit: int) -> list[FlagReview]:
        """The newest reviews, newest first."""
        t = self.table
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(t).order_by(t.c.id.desc()).limit(limit))).all()
        return [_review(r) for r in rows]
