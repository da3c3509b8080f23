"""The objection sweeper, against a real store and the sandbox desks: it forwards what was just
committed and what could not be forwarded, asks about what is pending, records overdue ones once,
and audits each step."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from audit.entry import AuditRecord
from connectors.jsonapi import new_session
from connectors.objections import DeskConfig, ObjectionDesk
from hub.store import open_store
from hub.sweeper import ObjectionSweeper
from objection.flow import ObjectionFlow
from objection.model import Objection, Target, fingerprint
from signing.keys import init_keys
from signing.seal import load_sealer
from tests.sandbox_process import SandboxProcess
from tests.stores import migrated
from workdays.calendar import load_calendar

CHINA = dt.timezone(dt.timedelta(hours=8))
SUBJECT_ID = "410702196708144574"


class Sink:
    def __init__(self) -> None:
        self.records: list[AuditRecord] = []

    async def append(self, record: AuditRecord) -> tuple[int, str]:
        self.records.append(record)
        return len(self.records), "h"


def desk_of(sandbox: SandboxProcess, code: str) -> DeskConfig:
    raw = sandbox.config["objections"]["departments"][code]
    return DeskConfig(code, raw["name"], raw["url"], raw["credential"])


async def test_a_sweep_moves_each_objection_and_audits_each_step(
        clean_sandbox: SandboxProcess, tmp_path: Path) -> None:
    init_keys(tmp_path / "keys")
    store = await open_store(await migrated(f"sqlite+aiosqlite:///{tmp_path / 'hub.sqlite'}"))
    session = new_session()
    clock = [dt.datetime(2026, 11, 23, 10, 0, tzinfo=CHINA)]
    try:
        config = desk_of(clean_sandbox, "mzj")
        desk = ObjectionDesk(config, config.credential.removeprefix("value:"), session)
        flow = ObjectionFlow(store.objections, {config.department: desk}, load_calendar(),
                             load_sealer(tmp_path / "keys"), 5)
        sink = Sink()
        sweeper = ObjectionSweeper(flow, sink, 3600, lambda: clock[0])
        clean_sandbox.fault("objection_desks", "down")
        target = Target("v1:" + "c" * 64, "person", "marriage", "status", source="mzj_marriage")
        draft = Objection(id="obj_sweep", target=target, department=config.department,
                          reason="已离婚", evidence=(), raised_by="portal", raised_at=clock[0],
                          deadline=flow.deadline(clock[0]), application="app_x",
                          desk="mzj", sealed_subject=flow.seal("obj_sweep", SUBJECT_ID))
        receipt = await flow.receive(draft, fingerprint(target, "已离婚", ()))
        assert receipt.created and receipt.objection.state == "RECEIVED"
        flow.committed("obj_sweep")  # not stored yet: nothing to forward
        assert await sweeper.forward_fresh() == 0 and sink.records == []
        async with store.objections.engine.begin() as conn:  # as the audit writer does
            for statement in receipt.statements:
                await conn.execute(statement)
        again = await flow.receive(draft, fingerprint(target, "已离婚", ()))
        assert not again.created and again.statements == () and again.objection.id == "obj_sweep"
        flow.committed("obj_sweep")
        assert await sweeper.forward_fresh() == 1  # the desk is down: noted, left RECEIVED
        tried = sink.records[-1]
        assert tried.released == ["objectionSweep.FORWARD_FAILED"] and tried.outcome == "ALLOWED"
        assert await sweeper.forward_fresh() == 0  # taken off the queue: the sweep retries

        clean_sandbox.fault("objection_desks", "ok")
        clean_sandbox.client.post("/_sandbox/objections", json={"department": "mzj",
                                                                "answer": "never"})
        assert await sweeper.sweep() == 1
        forwarded = sink.records[-1]
        assert forwarded.released == ["objectionSweep.FORWARDED"]
        assert forwarded.refs == ["objection:obj_sweep"] and forwarded.application == "app_x"
        assert forwarded.subjects == [target.subject]
        assert [c.source for c in forwarded.sources] == ["desk:mzj"]
        received = clean_sandbox.client.get("/_sandbox/objections").json()["mzj"]["received"]
        assert [r["subject"] for r in received] == [SUBJECT_ID]  # unsealed for the desk only

        assert await sweeper.sweep() == 1  # asked, still in hand: a call, no event
        assert sink.records[-1].released == [] and sink.records[-1].outcome == "ALLOWED"

        clock[0] = draft.deadline
        await sweeper.sweep()
        assert sink.records[-1].released == ["objectionSweep.OVERDUE"]
        stored = await store.objections.get("obj_sweep")
        assert stored is not None and stored.overdue_at == draft.deadline
        await sweeper.sweep()
        assert sink.records[-1].released == []  # overdue is recorded once
        history = [e.kind for e in await store.objections.history("obj_sweep")]
        assert history == ["RECEIVED", "FORWARD_FAILED", "FORWARDED", "OVERDUE"]
    finally:
        await session.close()
        await store.close()
