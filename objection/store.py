"""Objections in the hub's store (SQLite embedded, PostgreSQL in production).

Two tables: `objections` (one row per objection, its current state) and `objection_events` (its
history, appended with every change in the same transaction). A change is one conditional
UPDATE on the state it expects, so two hub processes advancing the same objection record the
change once. The fingerprint is unique: the same objection is stored once.

A new objection is stored with the audit entry of the request that raised it: `insertion` gives
the statements (its row and its RECEIVED event), which the audit writer runs in the entry's
transaction, so the objection lands with its record or not at all. `add` runs them on their own
(tests and tools), and gives the first back when the same objection is stored already.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import orjson
from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Insert,
    Integer,
    MetaData,
    Row,
    String,
    Table,
    Text,
    and_,
    bindparam,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from connectors.lane import INLINE_KEYS, KeySelect, SyncLane
from objection.model import OPEN_STATES, Event, EventKind, Objection, State, Status, Target

__all__ = ["ObjectionFilter", "ObjectionStore", "objection_tables"]


def objection_tables(metadata: MetaData) -> tuple[Table, Table]:
    objections = Table(
        "objections", metadata,
        Column("id", String(40), primary_key=True),
        Column("fingerprint", String(64), nullable=False, unique=True),
        Column("subject", String(80), nullable=False, index=True),
        Column("subject_kind", String(16), nullable=False),
        Column("item", String(64), nullable=False),
        Column("field", String(64)),
        Column("report_no", String(64)),
        Column("record_ref", String(128)),
        Column("source", String(64)),
        Column("department", String(64), nullable=False),
        Column("desk", String(32)),
        Column("desk_ref", String(64)),
        Column("reason", Text, nullable=False),
        Column("evidence", Text, nullable=False),  # JSON list of strings
        Column("raised_by", String(64), nullable=False, index=True),
        Column("operator", String(128)),
        Column("application", String(40), index=True),
        Column("state", String(16), nullable=False, index=True),
        Column("raised_at", DateTime(timezone=True), nullable=False),
        Column("deadline", DateTime(timezone=True), nullable=False),
        Column("answered_at", DateTime(timezone=True)),
        Column("answer_note", Text),
        Column("overdue_at", DateTime(timezone=True)),
        Column("sealed_subject", Text, nullable=False),
    )
    events = Table(
        "objection_events", metadata,
        Column("objection_id", String(40), nullable=False, index=True),
        Column("seq", Integer, nullable=False),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("kind", String(16), nullable=False),
        Column("note", Text, nullable=False),
    )
    return objections, events


@dataclass(frozen=True, slots=True)
class ObjectionFilter:
    raised_by: str | None = None  # None: every caller's (auditors)
    subjects: tuple[str, ...] = ()
    status: Status | None = None
    department: str | None = None
    application: str | None = None


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite gives naive datetimes back; the store writes UTC, so naive means UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


def _objection(row: Row[Any]) -> Objection:
    r = row._mapping
    target = Target(r["subject"], r["subject_kind"], r["item"], r["field"], r["report_no"],
                    r["record_ref"], r["source"])
    raised, deadline = _aware(r["raised_at"]), _aware(r["deadline"])
    assert raised is not None and deadline is not None  # NOT NULL columns
    return Objection(
        id=r["id"], target=target, department=r["department"], reason=r["reason"],
        evidence=tuple(orjson.loads(r["evidence"])), raised_by=r["raised_by"],
        raised_at=raised, deadline=deadline, state=r["state"], operator=r["operator"],
        application=r["application"], desk=r["desk"], desk_ref=r["desk_ref"],
        answered_at=_aware(r["answered_at"]), answer_note=r["answer_note"],
        overdue_at=_aware(r["overdue_at"]), sealed_subject=r["sealed_subject"])


class ObjectionStore:
    def __init__(self, engine: AsyncEngine, tables: tuple[Table, Table], *,
                 lane: SyncLane | None = None) -> None:
        self.engine = engine
        self.table, self.events_table = tables
        self._lane = lane  # every check reads the open objections: one hop on SQLite
        t = self.table
        self._open_about = select(t).where(
            t.c.subject.in_(bindparam("subjects", expanding=True)),
            t.c.state.in_(OPEN_STATES)).order_by(t.c.raised_at)  # built once, compiled once
        # Most subjects have no open objection: a plain read of one row tells, and only when
        # there are some does the full one run (SQLAlchemy's result for 24 columns).
        states = ", ".join(f"'{s}'" for s in OPEN_STATES)  # the code's own constants
        self._any_open = KeySelect(f"SELECT 1 FROM {t.name} WHERE subject IN",
                                   f" AND state IN ({states}) LIMIT 1")

    def insertion(self, objection: Objection, fingerprint: str) -> tuple[Insert, Insert]:
        """The statements that store a new objection and its RECEIVED event (run where the
        audit entry of the request that raised it commits)."""
        o, t = objection, objection.target
        row = {
            "id": o.id, "fingerprint": fingerprint, "subject": t.subject,
            "subject_kind": t.subject_kind, "item": t.item, "field": t.field,
            "report_no": t.report_no, "record_ref": t.record_ref, "source": t.source,
            "department": o.department, "desk": o.desk, "desk_ref": None, "reason": o.reason,
            "evidence": orjson.dumps(list(o.evidence)).decode(), "raised_by": o.raised_by,
            "operator": o.operator, "application": o.application, "state": "RECEIVED",
            "raised_at": _utc(o.raised_at), "deadline": _utc(o.deadline),
            "sealed_subject": o.sealed_subject}
        return (self.table.insert().values(**row), self.events_table.insert().values(
            objection_id=o.id, seq=1, at=_utc(o.raised_at), kind="RECEIVED",
            note=f"已收到异议 (received from {o.raised_by})"))

    async def add(self, objection: Objection, fingerprint: str) -> tuple[Objection, bool]:
        """Store a new objection on its own (with its RECEIVED event); or the one with this
        fingerprint already stored, and False."""
        try:
            async with self.engine.begin() as conn:
                for statement in self.insertion(objection, fingerprint):
                    await conn.execute(statement)
            return objection, True
        except IntegrityError:
            found = await self.by_fingerprint(fingerprint)
            if found is None:
                raise
            return found, False

    async def by_fingerprint(self, fingerprint: str) -> Objection | None:
        """The objection stored with this fingerprint (the same objection raised before)."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(self.table).where(
                self.table.c.fingerprint == fingerprint))).first()
        return None if row is None else _objection(row)

    async def get(self, objection_id: str) -> Objection | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(self.table).where(
                self.table.c.id == objection_id))).first()
        return None if row is None else _objection(row)

    async def history(self, objection_id: str) -> list[Event]:
        e = self.events_table
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(e).where(e.c.objection_id == objection_id)
                                       .order_by(e.c.seq))).all()
        return [Event(_aware(r.at) or r.at, r.kind, r.note) for r in rows]

    async def open_about(self, subjects: Sequence[str]) -> dict[str, list[Objection]]:
        """The open objections about each of `subjects` (one query for the lot)."""
        if not subjects:
            return {}
        keys = sorted(set(subjects))
        query, wanted, any_open = self._open_about, {"subjects": keys}, self._any_open
        if self._lane is not None:
            def read(conn: Connection) -> Sequence[Row[Any]]:
                return conn.execute(query, wanted).all() if any_open.rows(conn, keys) else []

            rows = await self._lane.run(read, inline=len(keys) <= INLINE_KEYS)
        else:
            async with self.engine.connect() as conn:
                rows = (await conn.execute(query, wanted)).all()
        out: dict[str, list[Objection]] = {}
        for row in rows:
            objection = _objection(row)
            out.setdefault(objection.target.subject, []).append(objection)
        return out

    def _where(self, f: ObjectionFilter, now: dt.datetime) -> list[Any]:
        t = self.table
        clauses: list[Any] = []
        if f.raised_by is not None:
            clauses.append(t.c.raised_by == f.raised_by)
        if f.subjects:
            clauses.append(t.c.subject.in_(f.subjects))
        if f.department:
            clauses.append(t.c.department == f.department)
        if f.application:
            clauses.append(t.c.application == f.application)
        if f.status == "OVERDUE":
            clauses += [t.c.state.in_(OPEN_STATES), t.c.deadline <= _utc(now)]
        elif f.status in OPEN_STATES:
            clauses += [t.c.state == f.status, t.c.deadline > _utc(now)]
        elif f.status is not None:
            clauses.append(t.c.state == f.status)
        return clauses

    async def search(self, f: ObjectionFilter, now: dt.datetime, *, first: int,
                     offset: int = 0) -> tuple[list[Objection], int]:
        """Newest first: a page of objections and how many match in all."""
        t = self.table
        where = self._where(f, now)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(t).where(*where)
                                       .order_by(t.c.raised_at.desc(), t.c.id)
                                       .limit(first).offset(offset))).all()
            total = (await conn.execute(select(func.count()).select_from(t).where(*where))
                     ).scalar_one()
        return [_objection(r) for r in rows], int(total)

    async def pending(self, now: dt.datetime, limit: int = 200) -> list[Objection]:
        """Open objections to advance: to forward, to ask about, or newly overdue."""
        t = self.table
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(t).where(
                t.c.state.in_(OPEN_STATES),
                or_(t.c.desk.is_not(None), and_(t.c.overdue_at.is_(None),
                                                t.c.deadline <= _utc(now))))
                .order_by(t.c.raised_at).limit(limit))).all()
        return [_objection(r) for r in rows]

    async def change(self, objection: Objection, expected: State, kind: EventKind,
                     at: dt.datetime, note: str, **values: Any) -> Objection | None:
        """Move `objection` from `expected` (and record `kind`), setting `values`; None if it
        was no longer in `expected` (another process moved it first)."""
        t, e = self.table, self.events_table
        stored = {k: _utc(v) if isinstance(v, dt.datetime) else v for k, v in values.items()}
        async with self.engine.begin() as conn:
            if stored:
                result = await conn.execute(update(t).where(
                    t.c.id == objection.id, t.c.state == expected).values(**stored))
                if not result.rowcount:
                    return None
            seq = (await conn.execute(select(func.count()).select_from(e).where(
                e.c.objection_id == objection.id))).scalar_one()
            await conn.execute(e.insert().values(objection_id=objection.id, seq=int(seq) + 1,
                                                 at=_utc(at), kind=kind, note=note))
        fields = {k: v for k, v in values.items() if k in Objection.__dataclass_fields__}
        return replace(objection, **fields)

    async def note(self, objection: Objection, kind: EventKind, at: dt.datetime,
                   note: str) -> None:
        """Record an event that changes no state (a forward that failed)."""
        await self.change(objection, objection.state, kind, at, note)
