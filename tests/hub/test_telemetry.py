"""Metrics, traces and the access log, as an operations team reads them."""

from __future__ import annotations

import dataclasses
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import orjson
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families

from hub.config.settings import TelemetrySettings
from hub.telemetry import MULTIPROC_ENV
from tests.hub.procs import API_KEY, ServeProcess, free_port, prepared_home
from tests.hub_harness import CHECK, HubHarness
from tests.sandbox_process import SandboxProcess


def samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    return [(s.labels, s.value) for family in text_string_to_metric_families(text)
            for s in family.samples if s.name == name]


@pytest.fixture
def traced(sandbox: SandboxProcess, tmp_path: Path
           ) -> Iterator[tuple[HubHarness, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    harness = HubHarness(sandbox, tmp_path, tracer_provider=provider)
    yield harness, exporter
    harness.close()


def test_a_check_makes_one_trace_request_fetches_and_audit(
        traced: tuple[HubHarness, InMemorySpanExporter], clean_sandbox: SandboxProcess) -> None:
    hub, exporter = traced
    r = hub.post(CHECK, {"kind": "BANKRUPTCY", "uscc": clean_sandbox.enterprise("clean")},
                 purpose="BANKRUPTCY", headers={"X-Request-Id": "trace-me-1"})
    assert r.json()["data"]["complianceCheck"]["verdict"] in ("CLEAN", "FINDINGS")
    spans: list[ReadableSpan] = list(exporter.get_finished_spans())
    (root,) = [s for s in spans if s.name == "graphql.request"]
    assert root.parent is None
    assert root.attributes is not None
    assert root.attributes["hub.request_id"] == "trace-me-1"
    assert root.attributes["hub.operation"] == "complianceCheck"
    assert root.attributes["http.status_code"] == 200
    children = [s for s in spans if s.parent is not None
                and s.parent.span_id == root.context.span_id]
    fetched = {str((s.attributes or {})["hub.source"]) for s in children
               if s.name == "source.fetch"}
    bankruptcy = {n for n, t in clean_sandbox.config["sources"].items()
                  if t.get("check") == "BANKRUPTCY" and t.get("enabled", True)}
    assert fetched == bankruptcy  # the registry first, then every other department
    assert [s.name for s in children if s.name == "audit.append"] == ["audit.append"]
    assert all(s.context.trace_id == root.context.trace_id for s in spans)


def test_metrics_count_requests_calls_and_decisions(
        traced: tuple[HubHarness, InMemorySpanExporter], clean_sandbox: SandboxProcess) -> None:
    hub, _ = traced
    uscc = clean_sandbox.enterprise("clean")
    for _ in range(3):
        hub.post(CHECK, {"kind": "IPO_COMPLIANCE", "uscc": uscc})
    hub.post("query($id: ResidentId!) { person(id: $id) { householdRegistration { name } } }",
             {"id": clean_sandbox.person("household")}, caller="portal",
             purpose="SCHOOL_ENROLMENT")  # no consent presented
    text = hub.client.get("/metrics").text
    checks = [v for labels, v in samples(text, "hub_request_duration_seconds_count")
              if labels == {"operation": "complianceCheck", "outcome": "ALLOWED"}]
    assert checks == [3.0]
    calls = samples(text, "hub_source_call_duration_seconds_count")
    assert {labels["source"] for labels, _ in calls} >= {"scjg_registration", "sw_penalties"}
    assert dict(samples(text, "hub_consent_decisions_total")[0][0]) == {
        "code": "CONSENT_REQUIRED"}
    assert samples(text, "hub_audit_append_seconds_count")[0][1] >= 4
    assert samples(text, "hub_requests_in_flight") == [({}, 0.0)]


def test_metrics_show_the_admission_limit_and_the_loops_cpu_demand(
        sandbox: SandboxProcess, tmp_path: Path) -> None:
    """Where an operator sees why requests are shed: the adaptive limit (at `max_in_flight`
    before any load) and the loop thread's CPU demand, both updated every 20 ms tick."""
    hub = HubHarness(sandbox, tmp_path, max_in_flight=7)
    try:
        text = hub.client.get("/metrics").text
        assert samples(text, "hub_admission_limit") == [({}, 7.0)]
        assert samples(text, "hub_loop_cpu_demand") == [({}, 0.0)]
        hub.post("query($u: USCC!) { enterprise(uscc: $u) { name } }",
                 {"u": sandbox.enterprise("clean")}, purpose="BANKRUPTCY")  # starts the ticks
        demand: list[tuple[dict[str, str], float]] = []
        for _ in range(200):  # a tick every 20 ms; the idle loop still uses a little CPU
            text = hub.client.get("/metrics").text
            demand = samples(text, "hub_loop_cpu_demand")
            if demand[0][1] > 0:
                break
            time.sleep(0.02)
        assert 0 < demand[0][1] <= 1
        assert samples(text, "hub_admission_limit") == [({}, 7.0)]  # an idle hub: unchanged
    finally:
        hub.close()


def test_metrics_can_be_kept_behind_a_token(sandbox: SandboxProcess, tmp_path: Path) -> None:
    token = "metrics-token-0123456789abcdef"
    hub = HubHarness(sandbox, tmp_path, telemetry=TelemetrySettings(metrics_token=token))
    try:
        assert hub.client.get("/metrics").status_code == 401
        assert hub.client.get("/metrics", headers={
            "Authorization": "Bearer wrong-token-000000000"}).status_code == 401
        ok = hub.client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200 and "hub_requests_in_flight" in ok.text
    finally:
        hub.close()


def json_lines(path: Path) -> list[dict[str, Any]]:
    out = []
    for raw in path.read_bytes().splitlines():
        line = orjson.loads(raw)  # every line is JSON
        assert isinstance(line, dict)
        out.append(line)
    return out


def test_two_workers_metrics_add_up_and_log_lines_are_json(
        clean_sandbox: SandboxProcess, tmp_path: Path) -> None:
    """`hub serve --workers 2`: requests until both workers have served some, then every
    scrape, whichever worker answers it, counts them all; the access log has one JSON line per
    request with its request id and no subject."""
    port = free_port()
    config = prepared_home(clean_sandbox, tmp_path, port=port, hub='[log]\nformat = "json"')
    serve = ServeProcess(config, port, workers=2)
    uscc = clean_sandbox.enterprise("clean")
    sent = 0
    try:
        serve.wait_ready()
        while sent < 300:  # new connections each time: the kernel spreads them over workers
            r = httpx2.post(f"{serve.url}/graphql", json={
                "query": "query($u: USCC!) { enterprise(uscc: $u) { name } }",
                "variables": {"u": uscc}}, headers={
                "Authorization": f"Bearer {API_KEY}", "X-Hub-Purpose": "BANKRUPTCY",
                "X-Request-Id": f"req-{sent}", "Accept": "application/json"}, timeout=60)
            assert r.status_code == 200, r.text
            sent += 1
            pids = {line["pid"] for line in json_lines(serve.err_path)
                    if line.get("message") == "request"}
            if len(pids) == 2 and sent >= 6:
                break
        assert len(pids) == 2, "one worker served every request"
        with httpx2.Client(timeout=60) as client:
            scrapes = [client.get(f"{serve.url}/metrics").text for _ in range(4)]
    finally:
        serve.stop()
    for text in scrapes:
        counted = sum(v for labels, v in samples(text, "hub_request_duration_seconds_count")
                      if labels.get("operation") == "enterprise")
        assert counted == sent
    lines = json_lines(serve.err_path)
    requests = [line for line in lines if line.get("message") == "request"]
    assert sorted(line["request_id"] for line in requests) == sorted(f"req-{i}"
                                                                     for i in range(sent))
    for line in requests:
        assert line["caller"] == "xzsp" and line["operation"] == "enterprise"
        assert line["status"] == 200 and line["outcome"] == "ALLOWED"
        assert uscc not in orjson.dumps(line).decode()
    assert any(line.get("message", "").startswith("hub listening on") for line in lines)


def test_telemetry_settings_name_the_bad_key() -> None:
    from hub.config.errors import ConfigError
    from hub.config.settings import _telemetry

    for table, says in (({"colour": 1}, "telemetry.colour: unknown key"),
                        ({"otlp_endpoint": "grpc://x"}, "telemetry.otlp_endpoint: 'grpc://x'"),
                        ({"metrics_token": "value:short"}, "at least 16 characters"),
                        ({"metrics_token": "env:NO_SUCH"}, "telemetry.metrics_token: ")):
        with pytest.raises(ConfigError, match=says):
            _telemetry({"telemetry": table}, {})
    assert dataclasses.asdict(_telemetry({}, {})) == {"otlp_endpoint": None,
                                                     "metrics_token": None}


def test_the_grafana_dashboard_asks_only_for_metrics_the_hub_exports(
        traced: tuple[HubHarness, InMemorySpanExporter]) -> None:
    import re

    hub, _ = traced
    root = Path(__file__).resolve().parents[2]
    dashboard = orjson.loads((root / "deploy" / "grafana-dashboard.json").read_bytes())
    exported = {family.name for family in
                text_string_to_metric_families(hub.client.get("/metrics").text)}
    used = {re.sub(r"_(bucket|count|sum|total)$", "", name)
            for panel in dashboard["panels"] for target in panel["targets"]
            for name in re.findall(r"\bhub_[a-z_]+", target["expr"])}
    assert used and used <= exported, used - exported


def test_departments_receive_the_trace_context_and_the_request_id(
        traced: tuple[HubHarness, InMemorySpanExporter], clean_sandbox: SandboxProcess) -> None:
    hub, exporter = traced
    hub.post(CHECK, {"kind": "IPO_COMPLIANCE", "uscc": clean_sandbox.enterprise("clean")},
             headers={"X-Request-Id": "carry-me-7"})
    spans = list(exporter.get_finished_spans())
    (root,) = [s for s in spans if s.name == "graphql.request"]
    fetch_span = {int(s.context.span_id) for s in spans if s.name == "source.fetch"
                  and (s.attributes or {}).get("hub.source") == "sw_penalties"}
    stats = clean_sandbox.stats()["sw_penalties"]
    assert stats["last_request_id"] == "carry-me-7"
    version, trace_id, span_id, flags = stats["last_traceparent"].split("-")
    assert version == "00" and int(flags, 16) & 1 == 1  # sampled (bit 2 may mark "random")
    assert int(trace_id, 16) == root.context.trace_id
    assert int(span_id, 16) in fetch_span  # the department call's parent is its fetch span


def test_without_tracing_only_the_request_id_travels(hub: HubHarness,
                                                     clean_sandbox: SandboxProcess) -> None:
    hub.post(CHECK, {"kind": "IPO_COMPLIANCE", "uscc": clean_sandbox.enterprise("clean")},
             headers={"X-Request-Id": "plain-8"})
    stats = clean_sandbox.stats()["sw_penalties"]
    assert stats["last_request_id"] == "plain-8" and stats["last_traceparent"] is None


def test_the_access_log_says_how_much_of_a_request_was_waiting_for_departments(
        hub: HubHarness, clean_sandbox: SandboxProcess,
        caplog: pytest.LogCaptureFixture) -> None:
    """A check waits for the registry, then for the slowest department: its log line's
    `waited_ms` covers at least the slowest one's answer (each domain says how long its
    department took) and leaves the hub's own share (the share the admission limit follows);
    a request that calls no department waited for none."""
    uscc = clean_sandbox.enterprise("clean")
    clean_sandbox.fault("sw_penalties", "slow:150")  # one department takes its time
    with caplog.at_level(logging.INFO, logger="hub.http"):
        r = hub.post(CHECK, {"kind": "IPO_COMPLIANCE", "uscc": uscc},
                     headers={"X-Request-Id": "waits-1"})
        hub.post("{ sources { name } }", headers={"X-Request-Id": "waits-2"})
    domains = r.json()["data"]["complianceCheck"]["domains"]
    slowest = max(d["latencyMs"] or 0 for d in domains)
    lines = {getattr(rec, "request_id", None): rec for rec in caplog.records
             if rec.getMessage() == "request"}
    check, other = lines["waits-1"], lines["waits-2"]
    assert slowest >= 150
    assert slowest * 0.9 <= check.waited_ms < check.latency_ms  # type: ignore[attr-defined]
    assert other.waited_ms == 0  # type: ignore[attr-defined]


_FORKED_METRICS = """
import os, sys
from connectors.base import Call
from hub.telemetry import Telemetry

telemetry = Telemetry()
asked = []

def profile(frame, event, arg):
    if event == "c_call" and arg is os.getpid:
        asked.append(1)

sys.setprofile(profile)
for _ in range(100):
    telemetry.calls([Call("src", "OK", 12.0, 1)])
sys.setprofile(None)
print("asked", len(asked))
parent = os.getpid()
child = os.fork()
if child == 0:
    telemetry.calls([Call("src", "OK", 12.0, 1)])
    os._exit(0)
os.waitpid(child, 0)
print("pids", parent, child)
"""


def test_multiprocess_metrics_learn_the_pid_at_a_fork_not_at_every_change(tmp_path: Path
                                                                           ) -> None:
    """With several workers each process writes its own files, named by its pid. The values
    no longer ask the pid at every change (a system call each); a forked child still writes
    under its own pid."""
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    done = subprocess.run([sys.executable, "-c", _FORKED_METRICS], capture_output=True,
                          text=True, timeout=60, cwd=Path(__file__).parents[2],
                          env={**os.environ, MULTIPROC_ENV: str(metrics)})
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    assert lines["asked"] == "0"
    parent, child = lines["pids"].split()
    files = {p.name for p in metrics.iterdir()}
    assert {f"histogram_{parent}.db", f"histogram_{child}.db"} <= files
