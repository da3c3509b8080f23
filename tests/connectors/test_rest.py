"""The REST connectors against the sandbox departments over real HTTP."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import hmac
import math
from collections.abc import Mapping

import pytest
from aiohttp import web

from connectors.base import Answer
from connectors.catalogue import CERTIFICATE_KEYED
from connectors.config import SourceConfig
from connectors.http import HttpClient
from connectors.registry import Connectors
from connectors.rest import RequestPlan, RestConnector
from hub.config.sources import parse_sources
from tests.connectors.helpers import open_connectors, source_configs
from tests.sandbox_process import SandboxProcess

BATCH = "cgj_penalties"  # list envelope, app key header
HMAC = "sw_penalties"  # map envelope, HMAC signature
SINGLE = "wjw_penalties"  # one key per call, concurrency cap 6


async def fetch_one(sandbox: SandboxProcess, source: str, key: str, **overrides: object
                    ) -> Answer:
    connectors = await open_connectors(sandbox, source, **overrides)
    try:
        return (await connectors[source].fetch([key])).answers[key]
    finally:
        await connectors.aclose()


async def test_every_source_answers_every_sample(clean_sandbox: SandboxProcess) -> None:
    """Each HTTP and SQL source, with its own credential, understands all its sample answers."""
    usccs = [e["uscc"] for e in clean_sandbox.samples["enterprises"]]
    persons = [p["id"] for p in clean_sandbox.samples["persons"]]
    newborns = [s["id"] for p in clean_sandbox.samples["persons"]
                for a in p.get("applications", ()) for s in a["subjects"]
                if s["role"] == "NEWBORN"]
    assert newborns
    connectors = await open_connectors(clean_sandbox)
    try:
        for name, connector in connectors.items():
            keys = (usccs if connector.config.subject == "enterprise" else
                    newborns if connector.config.domain in CERTIFICATE_KEYED else persons)
            answers = (await connector.fetch(keys)).answers
            for answer in answers.values():
                assert answer.status in ("OK", "NOT_FOUND"), (name, answer.detail)
            assert any(a.records for a in answers.values()), name
    finally:
        await connectors.aclose()


async def test_findings_are_mapped_to_violation_records(clean_sandbox: SandboxProcess) -> None:
    """A subject tagged with tax findings comes back with typed violation records."""
    uscc = clean_sandbox.enterprise("findings:tax")
    answer = await fetch_one(clean_sandbox, HMAC, uscc)
    assert answer.status == "OK"
    assert answer.records
    record = answer.records[0]
    assert record.type == "violation"
    assert str(record.get("decision_no")).startswith("新税稽罚")
    assert isinstance(record.get("rectified"), bool)
    assert answer.as_of is not None


async def test_unknown_subject_is_not_found(clean_sandbox: SandboxProcess) -> None:
    from tests.identifier_oracle import unknown_uscc

    stranger = unknown_uscc("110100", 12345678)
    assert (await fetch_one(clean_sandbox, BATCH, stranger)).status == "NOT_FOUND"
    assert (await fetch_one(clean_sandbox, SINGLE, stranger)).status == "NOT_FOUND"


@pytest.mark.parametrize("source", [BATCH, HMAC, SINGLE, "bdc_penalties"])
async def test_a_wrong_credential_is_refused(clean_sandbox: SandboxProcess, source: str) -> None:
    """Each department refuses a call without its own credential; that reads UNAVAILABLE."""
    uscc = clean_sandbox.enterprise("clean")
    answer = await fetch_one(clean_sandbox, source, uscc, credential="value:not-the-key")
    assert answer.status == "UNAVAILABLE"
    assert "拒绝了中枢的访问凭据" in (answer.detail or "")
    assert "credential" not in (answer.detail or "")  # a config key is for operators, not clerks
    assert clean_sandbox.stats()[source]["refused"] >= 1
    assert clean_sandbox.stats()[source]["calls"] == 0


FAULTS = [
    ("down", "UNAVAILABLE", "无法连接"),
    ("hang", "UNAVAILABLE", "秒内答复"),
    ("slow:1500", "UNAVAILABLE", "秒内答复"),
    ("error", "UNAVAILABLE", "HTTP 500"),
    ("garbage", "INVALID", "not valid JSON"),
    ("wrong-subject", "INVALID", "did not ask for"),
    ("flaky:1", "UNAVAILABLE", "HTTP 500"),
]


@pytest.mark.parametrize(("mode", "status", "reason"), FAULTS)
@pytest.mark.parametrize("source", [BATCH, HMAC, SINGLE, "rsj_labour_penalties"])
async def test_fault_modes(clean_sandbox: SandboxProcess, source: str, mode: str, status: str,
                           reason: str) -> None:
    """Every fault mode gives its status with a plain-words reason, and never records."""
    uscc = clean_sandbox.enterprise("findings:tax")
    clean_sandbox.fault(source, mode)
    answer = await fetch_one(clean_sandbox, source, uscc, timeout_s=0.5)
    assert answer.status == status
    assert reason in (answer.detail or "")
    assert "Error" not in (answer.detail or "")  # never an exception class
    assert answer.records == ()


async def test_slow_within_timeout_and_ok_clears(clean_sandbox: SandboxProcess) -> None:
    uscc = clean_sandbox.enterprise("clean")
    clean_sandbox.fault(BATCH, "slow:100")
    assert (await fetch_one(clean_sandbox, BATCH, uscc, timeout_s=2.0)).status == "OK"
    clean_sandbox.fault(BATCH, "down")
    clean_sandbox.fault(BATCH, "ok")
    assert (await fetch_one(clean_sandbox, BATCH, uscc)).status == "OK"


async def test_flaky_zero_never_fails(clean_sandbox: SandboxProcess) -> None:
    clean_sandbox.fault(BATCH, "flaky:0")
    uscc = clean_sandbox.enterprise("clean")
    assert (await fetch_one(clean_sandbox, BATCH, uscc)).status == "OK"


async def test_batch_of_500_makes_ceil_calls(clean_sandbox: SandboxProcess) -> None:
    """500 keys to a batch source: ceil(500 / batch size) calls, counted by the sandbox."""
    world_usccs = [e["uscc"] for e in clean_sandbox.samples["enterprises"]]
    from tests.identifier_oracle import unknown_uscc

    keys = (world_usccs + [unknown_uscc("410700", 20_000_000 + i) for i in range(500)])[:500]
    configs = source_configs(clean_sandbox)
    for name in (BATCH, "scjg_penalties", "tgb_penalties", "bdc_penalties"):
        connectors = await Connectors.open([configs[name]])
        try:
            result = await connectors[name].fetch(keys)
        finally:
            await connectors.aclose()
        expected = math.ceil(500 / configs[name].max_batch)
        assert clean_sandbox.stats()[name]["calls"] == expected
        assert clean_sandbox.stats()[name]["keys"] == 500
        assert len(result.calls) == expected
        assert set(result.answers) == set(keys)
        assert {a.status for a in result.answers.values()} <= {"OK", "NOT_FOUND"}


async def test_single_key_source_respects_its_cap(clean_sandbox: SandboxProcess) -> None:
    """A one-key-per-call source never has more calls in flight than its concurrency cap."""
    clean_sandbox.fault(SINGLE, "slow:40")
    keys = [e["uscc"] for e in clean_sandbox.samples["enterprises"]][:30]
    config = dataclasses.replace(source_configs(clean_sandbox)[SINGLE], concurrency=6)
    connectors = await Connectors.open([config])
    try:
        result = await connectors[SINGLE].fetch(keys)
    finally:
        await connectors.aclose()
    stats = clean_sandbox.stats()[SINGLE]
    assert stats["calls"] == len(keys)
    assert stats["max_in_flight"] == config.concurrency
    assert all(a.status == "OK" for a in result.answers.values())


async def test_a_one_key_source_keeps_its_queue_without_a_task_per_call(
        clean_sandbox: SandboxProcess) -> None:
    """Asked about many subjects, a one-key-per-call source runs as many calls as its cap and
    keeps the others as a list: no task (with its timeout and its place at the cap) waits for
    each queued call."""
    clean_sandbox.fault(SINGLE, "slow:40")
    keys = [e["uscc"] for e in clean_sandbox.samples["enterprises"]][:30]
    config = dataclasses.replace(source_configs(clean_sandbox)[SINGLE], concurrency=3)
    connectors = await Connectors.open([config])
    try:
        before = len(asyncio.all_tasks())
        fetch = asyncio.ensure_future(connectors[SINGLE].fetch(keys))
        await asyncio.sleep(0.02)
        during = len(asyncio.all_tasks()) - before
        result = await fetch
    finally:
        await connectors.aclose()
    assert during <= 1 + config.concurrency  # the fetch and its callers, not one per key
    assert clean_sandbox.stats()[SINGLE]["calls"] == len(keys)
    assert {a.status for a in result.answers.values()} == {"OK"}
    assert len(result.calls) == len(keys)


async def test_keys_queued_past_the_fetch_budget_read_unavailable(
        clean_sandbox: SandboxProcess) -> None:
    """The budget covers queueing as well: with every call hanging, the first round of calls
    times out at the source's timeout and the keys still queued when the (capped) budget ends
    read UNAVAILABLE too, saying that a job is the tool for long lists; no call is made for
    them."""
    clean_sandbox.fault(SINGLE, "hang")
    keys = [e["uscc"] for e in clean_sandbox.samples["enterprises"]][:12]
    cfg = dataclasses.replace(source_configs(clean_sandbox)[SINGLE], timeout_s=0.5,
                              concurrency=6)
    secret = clean_sandbox.config["sources"][SINGLE]["credential"].removeprefix("value:")
    client = HttpClient()
    try:
        connector = RestConnector(cfg, client, secret, budget_cap_s=0.5)
        result = await connector.fetch(keys)
    finally:
        await client.aclose()
    details = sorted(a.detail or "" for a in result.answers.values())
    assert {a.status for a in result.answers.values()} == {"UNAVAILABLE"}
    assert sum("未在 0.5 秒内答复" in d for d in details) == 6
    assert sum("submitCheckJob" in d for d in details) == 6
    assert len(result.calls) == 6


async def _fetch(sandbox: SandboxProcess, name: str, keys: list[str], **overrides: object
                 ) -> object:
    connectors = await open_connectors(sandbox, name, **overrides)
    try:
        return await connectors[name].fetch(keys)
    finally:
        await connectors.aclose()


@pytest.fixture
async def edge_server() -> object:
    """A fake department at the network edge, for answers the sandbox never gives."""
    routes = web.RouteTableDef()

    @routes.post("/redirect")
    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound("http://127.0.0.1:1/elsewhere")

    @routes.post("/html")
    async def html(request: web.Request) -> web.Response:
        return web.Response(text="<html>maintenance</html>", content_type="text/html")

    @routes.post("/huge")
    async def huge(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/json"})
        await resp.prepare(request)
        chunk = b" " * (1024 * 1024)
        for _ in range(17):
            await resp.write(chunk)
        return resp

    app = web.Application()
    app.add_routes(routes)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


@pytest.mark.parametrize(("path", "status", "reason"), [
    ("/redirect", "INVALID", "不跟随重定向"),
    ("/html", "INVALID", "不是 JSON"),
    ("/huge", "INVALID", "超过 16 MiB"),
])
async def test_edge_answers(sandbox: SandboxProcess, edge_server: str, path: str, status: str,
                            reason: str) -> None:
    table = dict(sandbox.config["sources"][BATCH])
    table["url"] = edge_server + path
    (config,) = parse_sources({BATCH: table})
    connectors = await Connectors.open([config])
    try:
        answer = (await connectors[BATCH].fetch(["91410700147483887Y"])).answers[
            "91410700147483887Y"]
    finally:
        await connectors.aclose()
    assert answer.status == status
    assert reason in (answer.detail or "")


def test_the_fetch_budget_grows_with_the_rounds_of_calls_and_is_bounded() -> None:
    from connectors.config import SourceConfig
    from connectors.rest import FETCH_BUDGET_CAP_S, fetch_budget_s

    base = dataclasses.replace
    cfg = SourceConfig(name="x", department="x", subject="enterprise", check=None, domain="x",
                       record="violation", transport="rest-single", envelope="single",
                       fields={})

    assert fetch_budget_s(base(cfg, timeout_s=2.0, concurrency=16), 1) == 2.0
    assert fetch_budget_s(base(cfg, timeout_s=2.0, concurrency=16), 16) == 2.0
    assert fetch_budget_s(base(cfg, timeout_s=2.0, concurrency=16), 17) == 4.0
    assert fetch_budget_s(base(cfg, timeout_s=2.0, concurrency=4), 1000) == FETCH_BUDGET_CAP_S
    assert fetch_budget_s(base(cfg, timeout_s=60.0, concurrency=1), 5) == 60.0  # never below


async def test_a_one_key_source_answers_a_list_longer_than_one_timeout(
        clean_sandbox: SandboxProcess) -> None:
    """20 keys, 2 calls at a time of ~100 ms each, a 0.5 s timeout: every key is answered,
    because the fetch gets one timeout per round of calls (complianceChecks of many)."""
    usccs = [e["uscc"] for e in clean_sandbox.samples["enterprises"]][:20]
    assert len(usccs) == 20
    clean_sandbox.fault(SINGLE, "slow:100")
    connectors = await open_connectors(clean_sandbox, SINGLE, timeout_s=0.5, concurrency=2)
    try:
        result = await connectors[SINGLE].fetch(usccs)
    finally:
        await connectors.aclose()
    assert {a.status for a in result.answers.values()} <= {"OK", "NOT_FOUND"}
    assert len(result.calls) == 20


def _plan_config(envelope: str, auth: str) -> SourceConfig:
    return SourceConfig(name="s", department="市测试局", subject="enterprise",
                        check="IPO_COMPLIANCE", domain="tax", record="violation",
                        transport="rest-batch", envelope=envelope, fields={},
                        url="http://10.0.0.9:8080/api/penalties", auth=auth, app_id="hub-app",
                        auth_header="X-App-Key", key_param="codes")


@pytest.mark.parametrize(("envelope", "method", "target", "body"), [
    ("map", "GET", "/api/penalties?codes=A1%2CB2", b""),
    ("list", "POST", "/api/penalties", b'{"codes":["A1","B2"]}'),
    ("hits", "POST", "/api/penalties", b"codes=A1%2CB2"),
])
def test_request_plan_signs_what_it_sends(envelope: str, method: str, target: str,
                                          body: bytes) -> None:
    """The HMAC scheme, computed here from its published rule: Base64 of HMAC-SHA256 over
    method, path with query, timestamp and the body's SHA-256, joined by newlines."""
    built_target, head, built_body = RequestPlan(_plan_config(envelope, "hmac-sha256"),
                                                 "s3cret").build(["A1", "B2"], 1_780_000_000_000)
    assert (built_target, built_body) == (target, body)
    lines = head.decode().split("\r\n")
    assert lines[0] == f"{method} {target} HTTP/1.1"
    headers = dict(line.split(": ", 1) for line in lines[1:] if line)
    message = f"{method}\n{target}\n1780000000000\n{hashlib.sha256(body).hexdigest()}"
    expected = base64.b64encode(hmac.new(b"s3cret", message.encode(), "sha256").digest())
    assert headers["X-Ca-Signature"] == expected.decode()
    assert headers["X-Ca-Key"] == "hub-app"
    assert headers["X-Ca-Timestamp"] == "1780000000000"
    assert head.endswith(b"\r\n") and not head.endswith(b"\r\n\r\n")


def test_request_plan_app_keys() -> None:
    target, head, _ = RequestPlan(_plan_config("map", "app-key-query"), "k&y").build(["A1"], 0)
    assert target == "/api/penalties?codes=A1&appkey=k%26y"
    _, head, _ = RequestPlan(_plan_config("list", "app-key-header"), "k3y").build(["A1"], 0)
    assert b"\r\nX-App-Key: k3y\r\n" in head
    assert b"Content-Type: application/json\r\n" in head


async def test_a_one_key_source_hands_over_each_answer_as_its_call_returns(
        clean_sandbox: SandboxProcess) -> None:
    """`each` gets every call's answers as the call returns, before the fetch does (a batch
    makes a subject's report then), and the same answers as the fetch's result."""
    clean_sandbox.fault(SINGLE, "slow:20")
    keys = [e["uscc"] for e in clean_sandbox.samples["enterprises"]][:6]
    config = dataclasses.replace(source_configs(clean_sandbox)[SINGLE], concurrency=2)
    connectors = await Connectors.open([config])
    handed: list[dict[str, Answer]] = []
    calls_then: list[int] = []
    try:
        def each(answers: Mapping[str, Answer]) -> None:
            handed.append(dict(answers))
            calls_then.append(clean_sandbox.stats()[SINGLE]["calls"])

        fetch = asyncio.ensure_future(connectors[SINGLE].fetch(keys, each))
        while not handed and not fetch.done():
            await asyncio.sleep(0.005)
        assert handed and not fetch.done()  # the first answer came while calls were left
        result = await fetch
    finally:
        await connectors.aclose()
    assert [len(h) for h in handed] == [1] * len(keys)
    assert {k: a for h in handed for k, a in h.items()} == result.answers
    assert calls_then[0] < len(keys)
    assert {a.status for a in result.answers.values()} == {"OK"}
