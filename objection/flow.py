"""How an objection moves: stored, forwarded to the department's desk, answered or overdue.

`ObjectionFlow` is shared by the gateway (which raises objections and looks them up within a
request) and the hub's sweeper (which forwards what was raised, and every few seconds forwards
what could not be forwarded, asks the desks about what they hold, and records what has become
overdue). Each step returns what it did — the objection as it now stands, the calls made to the
desk and the events recorded — so that whoever ran it can put it on the audit record.

    receive:  the statements that store it RECEIVED (deadline set); the gateway commits them
              with the request's audit entry, so it exists with its record or not at all
    committed: once that entry is committed, it is queued and the sweeper woken; nothing
              reaches a department before the hub has recorded the objection
    advance:  RECEIVED → filed at the desk → FORWARDED (desk unreachable: FORWARD_FAILED
              noted, retried by the sweeper)
              FORWARDED → asked → CORRECTED | REJECTED (or still in hand)
              still open at the deadline → OVERDUE recorded once (the status says so from the
              deadline on, recorded or not); a late answer still counts, marked late
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import Insert

from connectors.base import Call
from connectors.errors import SourceFailure
from connectors.objections import DeskAnswer, DeskObjection, ObjectionDesk
from objection.model import EventKind, Objection
from objection.store import ObjectionStore
from signing.seal import SealBroken, Sealer
from workdays.calendar import WorkCalendar

__all__ = ["ObjectionFlow", "Receipt", "Step"]


@dataclass(slots=True)
class Step:
    objection: Objection
    calls: list[Call] = field(default_factory=list)
    events: list[EventKind] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Receipt:
    """A raised objection: the new one and the statements that store it, or (not `created`)
    the same objection stored before, and nothing to store."""

    objection: Objection
    created: bool
    statements: tuple[Insert, ...] = ()


class ObjectionFlow:
    def __init__(self, store: ObjectionStore, desks: Mapping[str, ObjectionDesk],
                 calendar: WorkCalendar, sealer: Sealer, working_days: int = 5) -> None:
        self.store = store
        self.desks = desks  # department name -> its desk
        self.calendar = calendar
        self.sealer = sealer
        self.working_days = working_days
        self._fresh: dict[str, None] = {}  # committed, not yet forwarded (ids, in order)
        self._woken = asyncio.Event()

    def deadline(self, received: dt.datetime) -> dt.datetime:
        return self.calendar.deadline(received, self.working_days)

    def desk_of(self, department: str) -> ObjectionDesk | None:
        return self.desks.get(department)

    def seal(self, objection_id: str, clear_subject: str) -> str:
        return self.sealer.seal(clear_subject, objection_id)

    async def receive(self, draft: Objection, fingerprint: str) -> Receipt:
        """`draft` with the statements that store it; or, if the same objection is stored
        already, that one (not created)."""
        stored = await self.store.by_fingerprint(fingerprint)
        if stored is not None:
            return Receipt(stored, False)
        return Receipt(draft, True, self.store.insertion(draft, fingerprint))

    def committed(self, objection_id: str) -> None:
        """The objection is stored with its audit entry: queue it and wake the sweeper."""
        self._fresh[objection_id] = None
        self._woken.set()

    async def woken(self, timeout: float) -> bool:
        """Wait until an objection is committed (True) or `timeout` seconds pass (False)."""
        try:
            await asyncio.wait_for(self._woken.wait(), timeout)
        except TimeoutError:
            return False
        self._woken.clear()
        return True

    async def forward_fresh(self, now: dt.datetime) -> list[Step]:
        """Forward the objections committed since the last call; the steps that did anything."""
        fresh, self._fresh = list(self._fresh), {}
        steps = []
        for objection_id in fresh:
            found = await self.store.get(objection_id)
            if found is not None and found.state == "RECEIVED":
                steps.append(await self.advance(found, now))
        return [s for s in steps if s.calls or s.events]

    async def advance(self, objection: Objection, now: dt.datetime) -> Step:
        step = Step(objection)
        if objection.state == "RECEIVED":
            await self._forward(step, now)
        elif objection.state == "FORWARDED":
            await self._ask(step, now)
        current = step.objection
        if current.open and now >= current.deadline and current.overdue_at is None:
            changed = await self.store.change(
                current, current.state, "OVERDUE", now,
                f"{current.department}未在 {current.deadline.isoformat()} 前答复，已逾期 "
                "(overdue: no answer by the deadline)",
                overdue_at=now)
            if changed is not None:
                step.objection = changed
                step.events.append("OVERDUE")
        return step

    async def sweep(self, now: dt.datetime) -> list[Step]:
        """Advance every open objection that has somewhere to go; the steps that did anything."""
        steps = [await self.advance(o, now) for o in await self.store.pending(now)]
        return [s for s in steps if s.calls or s.events]

    async def _forward(self, step: Step, now: dt.datetime) -> None:
        o = step.objection
        desk = self.desk_of(o.department)
        if desk is None:
            return
        try:
            subject = self.sealer.unseal(o.sealed_subject, o.id)
        except SealBroken as exc:
            await self.store.note(o, "FORWARD_FAILED", now, f"转送失败 (cannot forward: {exc})")
            step.events.append("FORWARD_FAILED")
            return
        t = o.target
        filed, call = await desk.file(DeskObjection(
            o.id, subject, t.item, t.field, t.report_no, t.record_ref, o.reason, o.evidence,
            o.deadline))
        step.calls.append(call)
        if isinstance(filed, SourceFailure):
            await self.store.note(o, "FORWARD_FAILED", now,
                                  f"转送失败，将重试 (could not forward, will retry: {filed})")
            step.events.append("FORWARD_FAILED")
            return
        changed = await self.store.change(o, "RECEIVED", "FORWARDED", now,
                                          f"已转{o.department}，受理编号 {filed} (forwarded)",
                                          state="FORWARDED", desk_ref=filed)
        if changed is not None:
            step.objection = changed
            step.events.append("FORWARDED")
        else:  # another process or request forwarded it first (the desk files it once)
            step.objection = await self.store.get(o.id) or o

    async def _ask(self, step: Step, now: dt.datetime) -> None:
        o = step.objection
        desk = self.desk_of(o.department)
        if desk is None or o.desk_ref is None:
            return
        answer, call = await desk.ask(o.desk_ref)
        step.calls.append(call)
        if not isinstance(answer, DeskAnswer) or answer.decision == "PENDING":
            return
        decided = answer.decided_at or now
        changed = await self.store.change(
            o, "FORWARDED", answer.decision, now,
            answer.note or f"{o.department}: {answer.decision}", state=answer.decision,
            answered_at=decided, answer_note=answer.note)
        if changed is not None:
            step.objection = changed
            step.events.append(answer.decision)
