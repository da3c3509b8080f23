"""The SQL connector against the sandbox's front-end exchange databases (前置库)."""

from __future__ import annotations

import math

import pytest

from connectors.base import Answer
from tests.connectors.helpers import open_connectors, source_configs
from tests.sandbox_process import SandboxProcess

PENALTIES = "gjj_penalties"  # absent row means no violation
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
    answer = (await fetch(clean_sandbox, PENALTIES, [uscc]))[uscc]
    assert answer.status == "OK"
    assert answer.records and answer.records[0].type == "violation"
    assert str(answer.records[0].get("decision_no")).startswith("新公积金罚")
    clean = clean_sandbox.enterprise("clean")
    assert (await fetch(clean_sandbox, PENALTIES, [clean]))[clean].status == "OK"


async def test_absent_rows_follow_the_declared_meaning(clean_sandbox: SandboxProcess) -> None:
    from tests.identifier_oracle import unknown_uscc

    stranger = unknown_uscc("110100", 12345678)
    assert (await fetch(clean_sandbox, CONTRIB, [stranger]))[stranger].status == "NOT_FOUND"
    known = clean_sandbox.enterprise("clean")
    answer = (await fetch(clean_sandbox, CONTRIB, [known]))[known]
    assert answer.status == "OK"
    assert answer.records[0].get("scheme") == "housing_fund"


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
    ("down", "UNAVAILABLE", "cannot be opened"),
    ("hang", "UNAVAILABLE", "did not answer within"),
    ("error", "UNAVAILABLE", "refused the query"),
    ("garbage", "INVALID", "does not have the agreed columns"),
])
@pytest.mark.parametrize("source", [PENALTIES, CONTRIB, "slj_penalties"])
async def test_fault_modes(clean_sandbox: SandboxProcess, source: str, mode: str, status: str,
                           reason: str) -> None:
    uscc = clean_sandbox.enterprise("clean")
    clean_sandbox.fault(source, mode)
    answer = (await fetch(clean_sandbox, source, [uscc], timeout_s=0.5))[uscc]
    assert answer.status == status, answer.detail
    assert reason in (answer.detail or "")
    clean_sandbox.fault(source, "ok")
    assert (await fetch(clean_sandbox, source, [uscc]))[uscc].status in ("OK", "NOT_FOUND")


def test_sql_sources_refuse_faults_they_cannot_take(clean_sandbox: SandboxProcess) -> None:
    r = clean_sandbox.client.post("/_sandbox/faults",
                                  json={"source": PENALTIES, "mode": "slow:100"})
    assert r.status_code == 400
    assert "exchange database" in r.json()["error"]


def test_sql_config_is_read_only_and_bound(sandbox: SandboxProcess) -> None:
    config = source_configs(sandbox)[PENALTIES]
    assert "mode=ro" in config.dsn
    assert config.table.isidentifier()
