"""The objection sweeper: follows up open objections in the background, on the record.

As soon as a raised objection is committed with its audit entry it forwards it to the
department's desk; and every `[objections] sweep_s` seconds it forwards what could not be
forwarded, asks the desks about what they hold, and records objections that have become overdue
(`objection.flow`). Each step
that did anything leaves an audit entry, as a request does: the objection's subject, the
application it belongs to, the calls made to the desk, `objectionSweep` released, or the desk's
failure. It runs in the hub's lifespan; with several hub processes each sweeps, and the store's
conditional updates record every change once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from collections.abc import Callable

from audit.entry import AuditRecord, CallRecord, Denial
from audit.errors import AuditUnavailable
from hub.graphql_http import AuditSink
from objection.flow import ObjectionFlow, Step

__all__ = ["ObjectionSweeper", "step_record"]

log = logging.getLogger("hub.objections")


def step_record(step: Step, now: dt.datetime) -> AuditRecord:
    """The audit entry of one sweeper step."""
    o = step.objection
    failed = [c for c in step.calls if c.status != "OK"]
    return AuditRecord(
        time=now, request_id=f"sweep-{uuid.uuid4().hex}", caller=None,
        outcome="FAILED" if failed and not step.events else "ALLOWED",
        purpose="DATA_OBJECTION", legal_basis="STATUTORY", subjects=[o.target.subject],
        released=[f"objectionSweep.{e}" for e in step.events],
        denied=[Denial("objectionSweep", f"SOURCE_{c.status}") for c in failed],
        sources=[CallRecord(c.source, c.status, c.latency_ms, c.keys) for c in step.calls],
        application=o.application, refs=[f"objection:{o.id}"])


class ObjectionSweeper:
    def __init__(self, flow: ObjectionFlow, audit: AuditSink, every_s: float,
                 clock: Callable[[], dt.datetime]) -> None:
        self.flow = flow
        self.audit = audit
        self.every_s = every_s
        self.clock = clock
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="objections")

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time() + self.every_s
        while True:
            woken = await self.flow.woken(max(0.0, due - loop.time()))
            try:
                if woken:
                    await self.forward_fresh()
                if loop.time() >= due:
                    due = loop.time() + self.every_s
                    await self.sweep()
            except AuditUnavailable as exc:
                log.error("objection sweep not recorded: %s", exc)
            except Exception as exc:  # a failed sweep is retried at the next; never silent
                log.error("objection sweep failed: %s", exc, exc_info=exc)

    async def forward_fresh(self) -> int:
        """Forward the objections committed since the last call (what the full sweep would
        forward too, only sooner); the number that moved or were tried."""
        now = self.clock()
        return await self._record(await self.flow.forward_fresh(now), now)

    async def sweep(self) -> int:
        """One pass; the number of objections that moved or were asked about."""
        now = self.clock()
        return await self._record(await self.flow.sweep(now), now)

    async def _record(self, steps: list[Step], now: dt.datetime) -> int:
        for step in steps:
            await self.audit.append(step_record(step, now))
        return len(steps)
