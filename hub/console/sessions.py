"""Console sessions: an auditor's API key exchanged for a short-lived session, kept in the store.

The browser holds only a random token (an HttpOnly, SameSite=Strict cookie); the store keeps
its SHA-256, so a read of the table grants nothing. A session remembers who signed in (the
auditor caller, the person at the keyboard as the operator, an optional case number), its CSRF
token and the current search, and ends at a fixed time: sign-out deletes it, and an expired one
is deleted when next seen. Sessions live in the store, so every hub worker honours every one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import Column, DateTime, MetaData, String, Table, Text, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["Session", "SessionStore", "sessions_table", "token_digest"]


def sessions_table(metadata: MetaData) -> Table:
    return Table(
        "console_sessions", metadata,
        Column("token_sha256", String(64), primary_key=True),
        Column("caller", String(64), nullable=False),
        Column("operator", String(128), nullable=False),
        Column("case_no", String(128), nullable=True),
        Column("csrf", String(64), nullable=False),
        Column("search", Text, nullable=True),  # the current search, JSON (no clear IDs)
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
    )


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class Session:
    digest: str
    caller: str
    operator: str
    case: str | None
    csrf: str
    search: str | None
    created_at: dt.datetime
    expires_at: dt.datetime


class SessionStore:
    def __init__(self, engine: AsyncEngine, table: Table) -> None:
        self.engine = engine
        self.table = table

    async def create(self, caller: str, operator: str, case: str | None, *, now: dt.datetime,
                     minutes: int) -> tuple[str, Session]:
        """A new session; returns the token (for the cookie, never stored) and the session."""
        token = secrets.token_urlsafe(32)
        session = Session(token_digest(token), caller, operator, case,
                          secrets.token_urlsafe(32), None, now,
                          now + dt.timedelta(minutes=minutes))
        async with self.engine.begin() as conn:
            await conn.execute(delete(self.table).where(
                self.table.c.expires_at < now.astimezone(dt.UTC)))
            await conn.execute(insert(self.table).values(
                token_sha256=session.digest, caller=caller, operator=operator, case_no=case,
                csrf=session.csrf, search=None, created_at=now.astimezone(dt.UTC),
                expires_at=session.expires_at.astimezone(dt.UTC)))
        return token, session

    async def get(self, token: str, *, now: dt.datetime) -> Session | None:
        """The live session of `token`, or None (unknown or expired; an expired one is
        deleted)."""
        t = self.table
        digest = token_digest(token)
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(t).where(t.c.token_sha256 == digest))).first()
        if row is None:
            return None
        session = Session(row.token_sha256, row.caller, row.operator, row.case_no, row.csrf,
                          row.search, _aware(row.created_at), _aware(row.expires_at))
        if session.expires_at <= now:
            await self.end(token)
            return None
        return session

    async def remember_search(self, session: Session, search: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(update(self.table).where(
                self.table.c.token_sha256 == session.digest).values(search=search))

    async def end(self, token: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(delete(self.table).where(
                self.table.c.token_sha256 == token_digest(token)))
