"""Applications in the hub's store: what was opened, for which matter, by whom, about whom.

An application is the hub's record of one case of a matter (申请), opened by the calling system
that serves it (the portal, a window, a lead department), with its subjects by role — persons by
pseudonym, enterprises by USCC. The hub records what it did for the application (requests that
send `X-Hub-Application` are tied to it in the audit log; objections carry it); it does not
decide the case. Only the caller that opened it may tie requests to it or read it; to anyone
else an application id is unknown (`check_tie`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

import orjson
from sqlalchemy import (
    Column,
    DateTime,
    Insert,
    MetaData,
    Row,
    String,
    Table,
    Text,
    Update,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["DATA_OBJECTION", "Application", "ApplicationStatus", "ApplicationStore",
           "ApplicationUnknown", "Party", "applications_table", "check_tie"]

ApplicationStatus = Literal["OPEN", "CLOSED"]
DATA_OBJECTION = "DATA_OBJECTION"  # a request under an application may also object to its data


class ApplicationUnknown(Exception):
    """No application by that id for this caller (the same answer for another caller's)."""

    code = "BAD_USER_INPUT"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Party:
    role: str  # applicant, child, guardian, enterprise, legal_representative, …
    subject: str  # person pseudonym or USCC
    kind: Literal["person", "enterprise"]


@dataclass(frozen=True, slots=True)
class Application:
    id: str
    matter: str
    owner: str  # the caller that opened it
    parties: tuple[Party, ...]
    opened_at: dt.datetime
    status: ApplicationStatus = "OPEN"
    closed_at: dt.datetime | None = None
    operator: str | None = None
    case: str | None = None


def check_tie(app: Application | None, app_id: str, caller: str, purpose: str | None) -> None:
    """A request of `caller` declaring `purpose` may be tied to application `app_id`; raise
    `ApplicationUnknown` otherwise (the same words whether it does not exist or is another's)."""
    if app is None or app.owner != caller:
        raise ApplicationUnknown(f"X-Hub-Application: no application {app_id} of {caller}; "
                                 "open one with openApplication")
    if app.status == "CLOSED":
        raise ApplicationUnknown(f"X-Hub-Application: application {app_id} is closed")
    if purpose is not None and purpose not in (app.matter, DATA_OBJECTION):
        raise ApplicationUnknown(f"X-Hub-Application: application {app_id} serves {app.matter}, "
                                 f"not {purpose}")


def applications_table(metadata: MetaData) -> Table:
    return Table(
        "applications", metadata,
        Column("id", String(40), primary_key=True),
        Column("matter", String(64), nullable=False),
        Column("owner", String(64), nullable=False, index=True),
        Column("parties", Text, nullable=False),  # JSON [{role, subject, kind}]
        Column("status", String(16), nullable=False),
        Column("opened_at", DateTime(timezone=True), nullable=False),
        Column("closed_at", DateTime(timezone=True)),
        Column("operator", String(128)),
        Column("case_no", String(128)),
    )


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


def _application(row: Row[Any]) -> Application:
    r = row._mapping
    parties = tuple(Party(p["role"], p["subject"], p["kind"]) for p in orjson.loads(r["parties"]))
    opened = _aware(r["opened_at"]) or r["opened_at"]
    return Application(r["id"], r["matter"], r["owner"], parties, opened, r["status"],
                       _aware(r["closed_at"]), r["operator"], r["case_no"])


class ApplicationStore:
    def __init__(self, engine: AsyncEngine, table: Table) -> None:
        self.engine = engine
        self.table = table

    def insertion(self, app: Application) -> Insert:
        """The statement that stores `app` (run where its audit entry commits)."""
        return self.table.insert().values(
            id=app.id, matter=app.matter, owner=app.owner,
            parties=orjson.dumps([{"role": p.role, "subject": p.subject, "kind": p.kind}
                                  for p in app.parties]).decode(),
            status=app.status, opened_at=app.opened_at.astimezone(dt.UTC), closed_at=None,
            operator=app.operator, case_no=app.case)

    def closing(self, app_id: str, at: dt.datetime) -> Update:
        """The statement that closes an application, once (run where its entry commits)."""
        t = self.table
        return (update(t).where(t.c.id == app_id, t.c.status == "OPEN")
                .values(status="CLOSED", closed_at=at.astimezone(dt.UTC)))

    async def add(self, app: Application) -> None:
        """Store an application on its own (tests; the hub stores with the audit entry)."""
        async with self.engine.begin() as conn:
            await conn.execute(self.insertion(app))

    async def get(self, app_id: str) -> Application | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(self.table).where(self.table.c.id == app_id))
                   ).first()
        return None if row is None else _application(row)


