"""The SQL connector against the sandbox's front-end exchange databases (前置库)."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from connectors.base import Answer
from connectors.sql import SqlConnector, open_engine
from tests.connectors.helpers import open_connectors, source_configs
from tests.identifier_oracle import unknown_uscc
from tests.sandbox_process import SandboxProcess

DEPOSIT = "gjj_deposit"  # a roster view says which enterprises the fund centre holds
WATER = "slj_penalties"  # roster; most enterprises held have no row
CONTRIB = "gjj_contrib"  # absent row means the centre does not know the enterprise


async def fetch(sandbox: SandboxProcess, name: str, keys: list[str], **overrides: object
                ) -> dict[str, Answer]:
    connectors = await open_connectors(sandbox, name, **overrides)
    try:
        result = await connectors[name].fetch(keys)
    finally:
        await connectors.aclose()
    return result.answers


async def test_rows_become_records(clean_sandbox: SandboxProcess) -> None:
    uscc = clean_sandbox.enterprise("findings:housing_fund")
    answer = (await fetch(clean_sandbox, DEPOSIT, [uscc]))[uscc]
    assert answer.status == "OK"
    (record,) = answer.records
    assert record.type == "contribution" and record.get("scheme") == "housing_fund"
    assert int(record.get("arrears_amount") or 0) > 0 and record.get("status") == "欠缴"
    assert str(record.get("liability_ref")).startswith("GJJQJ")
    water = clean_sandbox.enterprise("findings:water")
    answer = (await fetch(clean_sandbox, WATER, [water]))[water]
    assert answer.records and answer.records[0].type == "violation"
    assert str(answer.records[0].get("decision_no")).startswith("新水罚")


@pytest.mark.parametrize("source", [DEPOSIT, WATER, CONTRIB])
async def test_not_our_subject_is_not_found_and_held_without_rows_is_empty(
        clean_sandbox: SandboxProcess, source: str) -> None:
    """Every SQL source tells "not ours" (NOT_FOUND) from "held, no record" (OK, empty)."""
    unknown = next(e["uscc"] for e in clean_sandbox.samples["enterprises"]
                   if "unknown" in e["tags"])
    stranger = unknown_uscc("110100", 12345678)
    clean = clean_sandbox.enterprise("clean")
    answers = await fetch(clean_sandbox, source, [unknown, stranger, clean])
    assert answers[unknown].status == "NOT_FOUND" and answers[stranger].status == "NOT_FOUND"
    assert answers[clean].status == "OK"
    expected = 0 if source == WATER else 1
    assert len(answers[clean].records) == expected


async def test_answers_carry_the_push_time(clean_sandbox: SandboxProcess) -> None:
    """The data date of an SQL answer is the department's push time (gxsj), per subject."""
    clean = clean_sandbox.enterprise("clean")
    before = dt.datetime.now(dt.UTC)
    for source, period in ((DEPOSIT, dt.timedelta(days=1)), (WATER, dt.timedelta(days=7))):
        answer = (await fetch(clean_sandbox, source, [clean]))[clean]
        assert answer.as_of is not None and answer.as_of.utcoffset() == dt.timedelta(hours=8)
        assert before - period - dt.timedelta(minutes=5) < answer.as_of <= before
        assert (answer.as_of.hour, answer.as_of.minute) == (2, 0)


@pytest.mark.parametrize(("past_max_age", "status"), [(dt.timedelta(0), "OK"),
                                                      (dt.timedelta(seconds=1), "UNAVAILABLE")])
async def test_data_older_than_max_age_is_stale(clean_sandbox: SandboxProcess,
                                                past_max_age: dt.timedelta, status: str) -> None:
    """A push older than the declared max_age is stale: UNAVAILABLE, records kept."""
    uscc = clean_sandbox.enterprise("findings:housing_fund")
    config = source_configs(clean_sandbox)[DEPOSIT]
    assert config.max_age_s == 2 * 86400
    fresh = (await fetch(clean_sandbox, DEPOSIT, [uscc]))[uscc]
    assert fresh.status == "OK" and fresh.as_of is not None
    moment = fresh.as_of + dt.timedelta(days=2) + past_max_age
    connector = SqlConnector(config, open_engine(config), clock=lambda: moment)
    try:
        answer = (await connector.fetch([uscc])).answers[uscc]
    finally:
        await connector.engine.dispose()
    assert answer.status == status and answer.stale == (status != "OK")
    assert answer.records == fresh.records and answer.as_of == fresh.as_of
    if answer.stale:
        assert "max_age" in (answer.detail or "")


async def test_batches_are_chunked(clean_sandbox: SandboxProcess) -> None:
    keys = [e["uscc"] for e in clean_sandbox.samples["enterprises"]][:20]
    connectors = await open_connectors(clean_sandbox, CONTRIB, max_batch=6)
    try:
        result = await connectors[CONTRIB].fetch(keys)
    finally:
        await connectors.aclose()
    assert len(result.calls) == math.ceil(len(keys) / 6)
    assert all(a.status == "OK" for a in result.answers.values())


@pytest.mark.parametrize(("mode", "status", "reason"), [
    ("down", "UNAVAILABLE", "无法打开"),
    ("hang", "UNAVAILABLE", "秒内答复"),
    ("error", "UNAVAILABLE", "拒绝了查询"),
    ("garbage", "INVALID", "缺少约定的字段"),
])
@pytest.mark.parametrize("source", [DEPOSIT, CONTRIB, WATER])
async def test_fault_modes(clean_sandbox: SandboxProcess, source: str, mode: str, status: str,
                           reason: str) -> None:
    uscc = clean_sandbox.enterprise("clean")
    clean_sandbox.fault(source, mode)
    answer = (await fetch(clean_sandbox, source, [uscc], timeout_s=0.5))[uscc]
    assert answer.status == status, answer.detail
    assert reason in (answer.detail or "")
    config = source_configs(clean_sandbox)[source]
    # What a clerk reads names no view, driver or exception class.
    for internal in (config.table, "Error", "sqlite", "OperationalError"):
        assert internal not in (answer.detail or "")
    clean_sandbox.fault(source, "ok")
    assert (await fetch(clean_sandbox, source, [uscc]))[uscc].status in ("OK", "NOT_FOUND")


def test_sql_sources_refuse_faults_they_cannot_take(clean_sandbox: SandboxProcess) -> None:
    r = clean_sandbox.client.post("/_sandbox/faults",
                                  json={"source": DEPOSIT, "mode": "slow:100"})
    assert r.status_code == 400
    assert "exchange database" in r.json()["error"]


def test_sql_config_is_read_only_and_bound(sandbox: SandboxProcess) -> None:
    config = source_configs(sandbox)[DEPOSIT]
    assert "mode=ro" in config.dsn
    assert config.table.isidentifier()
