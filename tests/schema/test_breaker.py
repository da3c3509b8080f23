"""Circuit breakers per source: the states as a pure function of time, then through the app."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from schema.breaker import Breaker
from tests.hub_harness import CHECK, HubHarness
from tests.sandbox_process import SandboxProcess


def test_closed_open_half_open_closed() -> None:
    b = Breaker(failures=3, reset_s=10.0)
    for t in (0.0, 1.0):
        assert b.admit(t)
        b.record(False, t)
    assert b.state == "CLOSED"
    assert b.admit(2.0)
    b.record(False, 2.0)
    assert b.state == "OPEN" and not b.admit(2.1) and not b.admit(11.9)
    assert b.retry_in(7.0) == pytest.approx(5.0)
    assert b.admit(12.0) and b.state == "HALF_OPEN"
    assert not b.admit(12.1)  # one probe at a time
    b.record(True, 12.5)
    assert b.state == "CLOSED" and b.admit(12.6) and b.transitions == 3


def test_a_failed_probe_opens_again_and_success_resets_the_count() -> None:
    b = Breaker(failures=2, reset_s=5.0)
    b.record(False, 0.0)
    b.record(True, 0.5)
    b.record(False, 1.0)
    assert b.state == "CLOSED"  # not consecutive
    b.record(False, 1.5)
    assert b.state == "OPEN"
    assert b.admit(7.0)
    b.record(False, 7.0)
    assert b.state == "OPEN" and not b.admit(11.0) and b.admit(12.5)
    b.release()  # the probe made no call: the next one may probe
    assert b.admit(12.6)


@pytest.fixture
def hub(sandbox: SandboxProcess, tmp_path: Path) -> Iterator[HubHarness]:
    # The open circuit must still be open at the third check: a check asks the registry before
    # the tax bureau, and on a busy machine 0.3 s went by before the tax bureau's turn.
    harness = HubHarness(sandbox, tmp_path, breaker_failures=2, breaker_reset_s=1.5)
    yield harness
    harness.close()


def tax(report: dict[str, Any]) -> dict[str, Any]:
    return next(d for d in report["domains"] if d["source"] == "sw_penalties")


def circuit(hub: HubHarness) -> str:
    r = hub.post("{ sources { name circuit } }", purpose=None)
    return next(s["circuit"] for s in r.json()["data"]["sources"] if s["name"] == "sw_penalties")


def test_an_open_circuit_answers_at_once_and_calls_nobody(hub: HubHarness,
                                                          clean_sandbox: SandboxProcess) -> None:
    uscc = clean_sandbox.enterprise("clean")
    clean_sandbox.fault("sw_penalties", "error")
    for _ in range(2):
        report = hub.post(CHECK, {"kind": "IPO_COMPLIANCE", "uscc": uscc}).json()
        assert tax(report["data"]["complianceCheck"])["status"] == "UNAVAILABLE"
    assert circuit(hub) == "OPEN"
    assert hub.client.get("/readyz").json()["sources"]["sw_penalties"]["circuit"] == "OPEN"
    calls = clean_sandbox.stats()["sw_penalties"]["calls"]
    report = hub.post(CHECK, {"kind": "IPO_COMPLIANCE", "uscc": uscc}).json()
    domain = tax(report["data"]["complianceCheck"])
    assert domain["status"] == "UNAVAILABLE" and "熔断" in domain["detail"]
    assert report["data"]["complianceCheck"]["verdict"] == "INCOMPLETE"
    assert clean_sandbox.stats()["sw_penalties"]["calls"] == calls  # nobody was called
    metrics = hub.client.get("/metrics").text
    assert 'hub_source_circuit_transitions_total{source="sw_penalties",state="OPEN"} 1.0' \
        in metrics
    clean_sandbox.fault("sw_penalties", "ok")
    time.sleep(1.55)  # past the reset: the next fetch is a probe
    report = hub.post(CHECK, {"kind": "IPO_COMPLIANCE", "uscc": uscc}).json()
    assert tax(report["data"]["complianceCheck"])["status"] in ("OK", "NOT_FOUND")
    assert circuit(hub) == "CLOSED"
    assert clean_sandbox.stats()["sw_penalties"]["calls"] == calls + 1
