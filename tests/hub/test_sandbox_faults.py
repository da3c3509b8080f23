"""Sandbox faults behave like the real outage, also when set after a warm-up: through the
hub's real connectors, on the keep-alive connections they already hold."""

from __future__ import annotations

import asyncio

import pytest

from connectors.registry import Connectors
from tests.connectors.helpers import open_connectors
from tests.sandbox_process import SandboxProcess

BATCH = "cgj_penalties"  # list envelope, app key header
HMAC = "sw_penalties"  # map envelope, HMAC signature
SINGLE = "wjw_penalties"  # one key per call
HITS = "rsj_labour_penalties"


def usccs(sandbox: SandboxProcess, n: int) -> list[str]:
    return [e["uscc"] for e in sandbox.samples["enterprises"]][:n]


async def warmed(sandbox: SandboxProcess, source: str, keys: list[str]) -> Connectors:
    """Connectors whose pool holds live connections to the source, all answering OK."""
    connectors = await open_connectors(sandbox, source, timeout_s=1.0)
    result = await connectors[source].fetch(keys)
    assert {a.status for a in result.answers.values()} <= {"OK", "NOT_FOUND"}
    return connectors


@pytest.mark.parametrize("source", [BATCH, HMAC, SINGLE, HITS])
async def test_down_closes_open_connections(clean_sandbox: SandboxProcess, source: str) -> None:
    keys = usccs(clean_sandbox, 3)
    connectors = await warmed(clean_sandbox, source, keys)
    try:
        clean_sandbox.fault(source, "down")
        result = await connectors[source].fetch(keys)
        assert {a.status for a in result.answers.values()} == {"UNAVAILABLE"}
        assert all("无法连接" in (a.detail or "") for a in result.answers.values())
        clean_sandbox.fault(source, "ok")
        result = await connectors[source].fetch(keys)
        assert {a.status for a in result.answers.values()} <= {"OK", "NOT_FOUND"}
    finally:
        await connectors.aclose()


@pytest.mark.parametrize(("mode", "status", "says"), [
    ("reset", "UNAVAILABLE", "调用"),
    ("slowloris", "UNAVAILABLE", "秒内答复"),
    ("partial", "INVALID", ""),
])
@pytest.mark.parametrize("source", [BATCH, HMAC, SINGLE, HITS])
async def test_faults_set_after_a_warm_up(clean_sandbox: SandboxProcess, source: str, mode: str,
                                          status: str, says: str) -> None:
    keys = usccs(clean_sandbox, 4)
    connectors = await warmed(clean_sandbox, source, keys)
    try:
        clean_sandbox.fault(source, mode)
        result = await connectors[source].fetch(keys)
        statuses = {k: a.status for k, a in result.answers.items()}
        if mode == "partial" and source != SINGLE:
            # The answer leaves out half the keys: the call as a whole cannot be trusted.
            assert set(statuses.values()) == {"INVALID"}
            assert all("nothing about 2 of the 4" in (a.detail or "")
                       for a in result.answers.values())
        else:
            assert set(statuses.values()) == {status}, result.answers
            assert all(says in (a.detail or "") for a in result.answers.values())
        assert all(a.records == () for a in result.answers.values())
        assert all(c.status == status for c in result.calls)
        clean_sandbox.fault(source, "ok")
        await asyncio.sleep(0)
        result = await connectors[source].fetch(keys)
        assert {a.status for a in result.answers.values()} <= {"OK", "NOT_FOUND"}
    finally:
        await connectors.aclose()


def test_new_modes_are_listed_and_sql_sources_refuse_them(clean_sandbox: SandboxProcess
                                                          ) -> None:
    for mode in ("reset", "partial", "slowloris"):
        r = clean_sandbox.client.post("/_sandbox/faults", json={"source": BATCH, "mode": mode})
        assert r.status_code == 200 and r.json()["mode"] == mode
        r = clean_sandbox.client.post("/_sandbox/faults",
                                      json={"source": "gjj_contrib", "mode": mode})
        assert r.status_code == 400 and "exchange database" in r.json()["error"]
    r = clean_sandbox.client.post("/_sandbox/faults", json={"source": BATCH, "mode": "nope"})
    assert r.status_code == 400 and "slowloris" in r.json()["error"]
