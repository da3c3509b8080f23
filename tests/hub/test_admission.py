"""Admission control: overload is shed at once as GraphQL JSON and audited; quotas per caller;
the adaptive limit follows the event loop's lag."""

from __future__ import annotations

import asyncio
import gc
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from audit.log import AuditLog
from audit.search import SearchFilter
from hub.admission import Admission, LagLimit, LocalBuckets, Quota, ShedLedger, ThreadDemand
from hub.app import create_app
from tests.hub_harness import CHECK, HubHarness
from tests.sandbox_process import SandboxProcess

# -- the parts, as pure functions ---------------------------------------------------------------


def _window(limit: LagLimit, seconds: float, at: float) -> None:
    """One window of `window_n` completed requests of `seconds` each, the last at `at`, spread
    over 1.5 x `window_s` (the first request opens a window; it closes once it holds
    `window_n` requests and spans `window_s`)."""
    n = limit.window_n
    for k in range(n):
        limit.done(seconds, at - 1.5 * limit.window_s * (n - 1 - k) / (n - 1))


def _contended(limit: LagLimit) -> None:
    """Calm ticks in which the loop's thread wants the CPU 80% of the time, until its smoothed
    demand reaches `contended` (below `busy`: that alone does not shrink the limit)."""
    while limit.cpu_share < limit.contended:
        limit.observe(0.0, 0.8)
    assert limit.cpu_share < limit.busy


def test_the_limit_shrinks_when_the_loop_lags_and_grows_only_when_binding() -> None:
    limit = LagLimit(64, floor=2)
    assert limit.limit == 64
    _contended(limit)
    assert limit.limit == 64
    limit.observe(0.050, 0.8)
    assert limit.limit == 48
    for _ in range(40):
        limit.observe(0.050, 0.8)
    assert limit.limit == 2  # never below the floor
    limit.observe(0.0)
    assert limit.limit == 2  # not binding: no reason to grow
    assert not limit.admits(2)
    limit.observe(0.0)
    assert limit.limit == 3  # binding, calm: one more per tick
    limit.observe(0.0)
    assert limit.limit == 3  # binding was reset by the tick
    assert not limit.admits(3)
    limit.observe(0.005)  # between the thresholds: hold
    assert limit.limit == 3
    for _ in range(100):
        limit.admits(10**6)
        limit.observe(0.0)
    assert limit.limit == 64  # never above the ceiling


def test_a_late_tick_with_cpu_to_spare_is_a_pause_not_overload() -> None:
    """A tick 10-25 ms late while the loop's thread wants the CPU less than `contended` of the
    time (a garbage collection, another process on the core) leaves the limit: fewer requests
    in flight would not shorten such a pause. The same lag with the CPU contended shrinks it."""
    limit = LagLimit(64, floor=2)
    for share in (0.0, 0.4, 0.5, 0.5, 0.5):
        limit.observe(0.025, share)
        assert limit.cpu_share < limit.contended
        assert limit.limit == 64
    _contended(limit)
    limit.observe(0.025, 0.8)
    assert limit.limit == 48


def test_the_limit_shrinks_while_the_loops_thread_wants_the_cpu_all_the_time() -> None:
    """No lag (the work comes in small steps) but the loop's thread is on the CPU, or waiting
    for it, nearly all the time: the smoothed share (weight 0.5 for the newest tick) crosses
    0.9 within a few ticks."""
    limit = LagLimit(64, floor=2)
    limit.observe(0.0, 0.5)
    assert limit.limit == 64 and limit.cpu_share == pytest.approx(0.25)
    shares = []
    for _ in range(6):
        limit.observe(0.0, 1.0)
        shares.append(limit.cpu_share)
    # 1 - 0.75 * 0.5 ** n: 0.906 after 3 ticks; ticks 3 to 6 shrink it
    assert shares[1] < 0.9 <= shares[2]
    assert limit.limit == 64 * 0.75 ** 4
    # A busy loop does not grow it, binding or not.
    assert not limit.admits(10**6)
    limit.observe(0.0, 0.95)
    assert limit.limit == 64 * 0.75 ** 5
    for _ in range(10):
        limit.observe(0.0, 0.0)
    assert limit.cpu_share < 0.9
    assert not limit.admits(10**6)
    limit.observe(0.0, 0.0)
    assert limit.limit == 64 * 0.75 ** 5 + 1


def test_the_limit_follows_the_latency_of_what_it_admitted() -> None:
    """A window median over 2x the lowest remembered one shrinks the limit; over 1.25x it
    holds; a lasting change in what requests cost becomes the baseline once the old one is
    forgotten."""
    limit = LagLimit(64, floor=2, tolerance=2.0, grow_below=1.25, window_n=4, window_s=0.1,
                     memory_s=10.0, contended=0.0)  # latency always counts here
    limit.observe(0.0)
    for k in range(3):
        limit.done(0.020, 1.0 + k)  # three requests over 2 s: not yet a window (4 needed)
    assert limit.baseline_s is None
    limit.done(0.020, 3.5)
    assert limit.baseline_s == 0.020 and limit.limit == 64 and limit.headroom
    _window(limit, 0.040, at=4.0)  # exactly 2x: within tolerance, but no headroom
    assert limit.limit == 64 and not limit.headroom
    limit.admits(10**6)
    limit.observe(0.0)
    assert limit.limit == 64  # holds
    _window(limit, 0.041, at=5.0)
    assert limit.limit == 48
    for k, seconds in enumerate((0.500, 0.020, 0.020, 0.020)):
        limit.done(seconds, 5.5 + k / 10)  # one slow request among fast ones: median 20 ms
    assert limit.limit == 48 and limit.headroom
    limit.admits(10**6)
    limit.observe(0.0)
    assert limit.limit == 49  # headroom again: it grows
    for k in range(3):
        _window(limit, 0.200, at=6.0 + k)  # everything costs more now (10x: halved each)
    assert limit.limit == 49 * 0.5 ** 3
    _window(limit, 0.200, at=16.0)  # the 20 ms windows are forgotten: the new normal
    assert limit.baseline_s == 0.200 and limit.limit == 49 * 0.5 ** 3 and limit.headroom
    limit.admits(10**6)
    limit.observe(0.0)
    assert limit.limit == 49 * 0.5 ** 3 + 1


def test_a_latency_window_shrinks_the_limit_in_proportion_to_its_overshoot() -> None:
    """Over 2x the baseline: by `decrease` (0.75) when a little over, by 2x baseline ÷ median
    when further over (3x: to two thirds), never by more than `steepest` (0.5)."""
    limit = LagLimit(60, floor=2, tolerance=2.0, window_n=4, window_s=0.1, contended=0.0)
    _window(limit, 0.020, at=1.0)  # the baseline
    _window(limit, 0.044, at=2.0)  # 2.2x
    assert limit.limit == 45
    _window(limit, 0.060, at=3.0)  # 3x
    assert limit.limit == pytest.approx(30)
    _window(limit, 0.400, at=4.0)  # 20x
    assert limit.limit == pytest.approx(15)


def test_slower_departments_do_not_shrink_a_limit_with_cpu_to_spare() -> None:
    """Latency that grows while the loop's thread is mostly idle is the departments' own: the
    limit keeps growing (shrinking it would only starve the hub). The same latency while the
    thread is busy is queueing in the hub: the limit shrinks."""
    limit = LagLimit(64, floor=2, initial=8, window_n=4, window_s=0.1, contended=0.6)
    limit.observe(0.0, 0.2)  # idle: smoothed share 0.1
    _window(limit, 0.020, at=1.0)
    for k in range(5):
        _window(limit, 0.400 + 0.1 * k, at=2.0 + k)  # departments got 20-25x slower
        assert limit.headroom
        limit.admits(10**6)
        limit.observe(0.0, 0.2)
    assert limit.limit == 8 + 5  # grew once per tick, never shrank
    for _ in range(3):
        limit.observe(0.0, 0.8)  # the loop's thread gets busy: share 0.1 -> 0.71
    assert 0.6 <= limit.cpu_share < 0.9 and limit.limit == 13
    _window(limit, 0.900, at=8.0)  # 45x the baseline: the steepest step
    assert limit.limit == 13 * 0.5 and not limit.headroom


def test_growth_with_the_cpu_contended_waits_for_a_latency_window_at_the_new_limit() -> None:
    """With CPU to spare the limit grows by one per tick while binding; with the loop's thread
    busy (contended) it grows by one and then waits until a window of requests finished at
    the new limit shows headroom: a tick (20 ms) is shorter than a window (100 ms or more),
    and one more request in flight then only queues work in the hub."""
    idle = LagLimit(64, initial=4, window_n=4, window_s=0.1, contended=0.6)
    _window(idle, 0.010, at=1.0)
    for _ in range(3):
        assert not idle.admits(10**6)
        idle.observe(0.0, 0.1)
    assert idle.limit == 7 and not idle.probing

    busy = LagLimit(64, initial=4, window_n=4, window_s=0.1, contended=0.6)
    _window(busy, 0.010, at=1.0)
    busy.observe(0.0, 0.8)
    busy.observe(0.0, 0.8)  # smoothed share 0.6: contended, not busy (0.9)
    assert not busy.admits(10**6)
    busy.observe(0.0, 0.8)
    assert busy.limit == 5 and busy.probing
    for _ in range(5):
        assert not busy.admits(10**6)
        busy.observe(0.0, 0.8)
    assert busy.limit == 5  # no window at 5 yet
    for k in range(3):
        busy.done(0.011, 2.0 + k / 10)
    assert busy.probing  # three of four
    busy.done(0.011, 2.3)
    assert not busy.probing and busy.headroom
    assert not busy.admits(10**6)
    busy.observe(0.0, 0.8)
    assert busy.limit == 6
    # A window over `grow_below` x the baseline at the new limit: it holds there.
    _window(busy, 0.016, at=3.0)
    assert not busy.headroom and busy.limit == 6
    assert not busy.admits(10**6)
    busy.observe(0.0, 0.8)
    assert busy.limit == 6


def test_a_probe_that_no_window_answers_ends_after_its_ticks() -> None:
    """Requests that take long at a low limit would fill a window only after seconds: the
    probe ends after `probe_ticks` ticks without one, and the limit may grow again."""
    limit = LagLimit(64, initial=2, window_n=16, window_s=0.1, contended=0.6, probe_ticks=12)
    _window(limit, 0.010, at=1.0)
    limit.observe(0.0, 0.8)
    limit.observe(0.0, 0.8)
    grown = []
    for _ in range(30):
        assert not limit.admits(10**6)
        limit.observe(0.0, 0.8)
        grown.append(limit.limit)
    # One step, then 12 ticks of probing (the 12th ends it and may grow again).
    assert grown[:12] == [3] * 12 and grown[12:24] == [4] * 12 and grown[24] == 5


def test_with_cpu_to_spare_a_window_without_headroom_does_not_stop_growth() -> None:
    """The last window closed while the CPU was busy and found no headroom; then the load
    changed (slow departments: the next window takes seconds at a low limit). With the CPU
    idle the limit grows at once, one per tick."""
    limit = LagLimit(64, initial=2, window_n=4, window_s=0.1, contended=0.6)
    limit.observe(0.0, 0.8)
    limit.observe(0.0, 0.8)  # contended
    _window(limit, 0.010, at=1.0)
    _window(limit, 0.016, at=2.0)  # 1.6x: no headroom, within tolerance
    assert not limit.headroom and limit.limit == 2
    assert not limit.admits(10**6)
    limit.observe(0.0, 0.8)
    assert limit.limit == 2  # busy and no headroom: holds
    for _ in range(4):
        limit.observe(0.0, 0.0)  # the CPU goes idle: 0.6 -> 0.04
    for _ in range(3):
        assert not limit.admits(10**6)
        limit.observe(0.0, 0.0)
    assert limit.limit == 5 and not limit.headroom


def test_a_floods_first_requests_shrink_the_limit_before_a_whole_window() -> None:
    """With the CPU contended, `trip_n` requests in a row over `trip` x the baseline close the
    window at once; fewer of them, a faster one among them, or the same latency with CPU to
    spare wait for the whole window (16 requests over 100 ms)."""
    def limit_at(share: float) -> LagLimit:
        limit = LagLimit(64, initial=8, window_n=16, window_s=0.1, contended=0.6, trip=3.0,
                         trip_n=4)
        _window(limit, 0.010, at=1.0)
        limit.observe(0.0, share)
        limit.observe(0.0, share)
        return limit

    flood = limit_at(0.8)
    for k in range(3):
        flood.done(0.040, 2.0 + k / 1000)
    assert flood.limit == 8
    flood.done(0.040, 2.003)  # 4x the baseline: halved (2 x 10 ms / 40 ms)
    assert flood.limit == 4 and not flood.headroom

    mixed = limit_at(0.8)
    for k, seconds in enumerate((0.040, 0.040, 0.025, 0.040, 0.040, 0.040)):
        mixed.done(seconds, 2.0 + k / 1000)
    assert mixed.limit == 8  # 25 ms is under 3x: the last four are not all over
    mixed.done(0.040, 2.006)
    assert mixed.limit == 4

    spare = limit_at(0.1)
    for k in range(8):
        spare.done(0.040, 2.0 + k / 1000)
    assert spare.limit == 8  # the departments are slower; the hub is not queueing


def test_waiting_for_departments_is_not_the_hubs_latency() -> None:
    """With the CPU contended, a window compares each request with what it would have taken
    with an idle hub: the baseline of the hub's own share plus the request's own wait. 12 ms
    of the hub's against a 4 ms baseline is 3x for a request that waited for nothing, and 2%
    for one that waited 400 ms for a department."""
    limit = LagLimit(64, initial=32, window_n=4, window_s=0.1, contended=0.6)
    limit.observe(0.0, 0.8)
    limit.observe(0.0, 0.8)  # smoothed share 0.6: contended
    _window(limit, 0.004, at=1.0)  # the hub's own 4 ms, nothing waited: the baseline
    for k in range(4):
        limit.done(0.012, 2.0 + k * 0.05, waited=0.400)
    assert limit.limit == 32 and limit.headroom and limit.baseline_s == 0.004
    assert not limit.admits(10**6)
    limit.observe(0.0, 0.8)
    assert limit.limit == 33  # it may even grow: the hub is not what is slow
    for k in range(4):
        limit.done(0.012, 3.0 + k * 0.05)
    assert limit.limit == pytest.approx(33 * 2 / 3) and not limit.headroom  # 3x: by 2/3


def test_a_flood_trips_on_the_hubs_share_only() -> None:
    """Four requests in a row at 10x the hub's baseline trip the window only when that is
    most of their latency."""
    for waited, tripped in ((0.0, True), (0.500, False)):
        limit = LagLimit(64, initial=8, window_n=16, window_s=0.1, contended=0.6)
        _window(limit, 0.004, at=1.0)
        limit.observe(0.0, 0.8)
        limit.observe(0.0, 0.8)
        for k in range(4):
            limit.done(0.040, 2.0 + k / 1000, waited=waited)
        assert (limit.limit < 8) is tripped


async def test_admission_hands_the_limit_the_hubs_share_and_the_wait() -> None:
    now = [100.0]
    admission = Admission(32, {}, clock=lambda: now[0])
    try:
        n = admission.limit.window_n
        for k in range(n):
            assert admission.enter()
            now[0] = 100.0 + k * 0.01
            admission.leave(0.420, 0.400)  # 400 ms of it waiting for departments
        assert admission.limit.baseline_s == pytest.approx(0.020)
    finally:
        await admission.aclose()


def test_thread_demand_counts_time_on_the_cpu_and_waiting_for_it(tmp_path: Path) -> None:
    stat = tmp_path / "schedstat"
    stat.write_text("1500000000 250000000 42\n")  # ns on the CPU, ns waiting on a run queue
    demand = ThreadDemand(str(stat))
    assert demand() == 1.75
    stat.write_text("2000000000 1250000000 50\n")
    assert demand() == 3.25
    demand.close()
    fallback = ThreadDemand(str(tmp_path / "missing"))  # not Linux: CPU time only
    before = time.thread_time()
    assert before <= fallback() <= time.thread_time()
    fallback.close()


async def test_local_buckets_allow_a_burst_then_pace() -> None:
    buckets, quota = LocalBuckets(), Quota(rate=2.0, burst=3)
    assert [await buckets.take("fgw", quota, 100.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert await buckets.take("fgw", quota, 100.0) == pytest.approx(0.5)
    assert await buckets.take("xzsp", quota, 100.0) == 0.0  # per caller
    assert await buckets.take("fgw", quota, 100.6) == 0.0  # refilled 1.2 tokens
    assert await buckets.take("fgw", quota, 100.6) > 0


def test_the_shed_ledger_aggregates_per_caller_and_second() -> None:
    ledger = ShedLedger()
    for t in (10.1, 10.5, 10.9, 11.2):
        ledger.add("fgw", "RATE_LIMITED", t)
    ledger.add(None, "RATE_LIMITED", 10.3)
    assert ledger.take(11.0) == [("fgw", 10, "RATE_LIMITED", 3),
                                 (None, 10, "RATE_LIMITED", 1)]
    assert ledger.take(11.0) == []
    assert ledger.take(12.0) == [("fgw", 11, "RATE_LIMITED", 1)]


async def test_redis_buckets_are_shared_between_processes() -> None:
    url = os.environ.get("HUB_TEST_REDIS_URL")
    if not url:
        pytest.skip("HUB_TEST_REDIS_URL is not set; .ci/run sets it to the machine's Redis")
    from hub.quota_redis import RedisBuckets

    prefix = f"hub:test:{time.time_ns()}:"
    one, two = RedisBuckets(url, prefix=prefix), RedisBuckets(url, prefix=prefix)
    try:
        quota, now = Quota(rate=1.0, burst=2), time.time()
        assert await one.take("fgw", quota, now) == 0.0
        assert await two.take("fgw", quota, now) == 0.0
        assert await one.take("fgw", quota, now) > 0  # the burst is spent across both
        assert await two.take("fgw", quota, now + 1.5) == 0.0
    finally:
        await one.aclose()
        await two.aclose()


async def test_an_unreachable_redis_fails_open() -> None:
    from hub.quota_redis import RedisBuckets

    buckets = RedisBuckets("redis://127.0.0.1:1/0")
    try:
        assert await buckets.take("fgw", Quota(1.0, 1), time.time()) == 0.0
    finally:
        await buckets.aclose()


# -- through the app ---------------------------------------------------------------------------


@pytest.fixture
def tight(sandbox: SandboxProcess, tmp_path: Path) -> Iterator[HubHarness]:
    harness = HubHarness(sandbox, tmp_path, max_in_flight=1, quotas={"court": (0.01, 1)})
    yield harness
    harness.close()


def shed_entries(harness: HubHarness) -> list[dict[str, Any]]:
    async def read() -> list[dict[str, Any]]:
        log = await AuditLog.open(harness.settings.store_url, None)
        try:
            rows, _, _ = await log.search(SearchFilter(outcome="FAILED"), first=200,
                                          before_seq=None)
        finally:
            await log.close()
        return [body for _, body, _ in rows if body["requestId"].startswith("shed-")]

    return asyncio.run(read())


def test_a_request_counts_until_its_audit_entry_is_committed(
        tight: HubHarness, clean_sandbox: SandboxProcess) -> None:
    """One in flight is blocked at its audit append (the store's write lock is held): a second
    request is shed at once with 503 RATE_LIMITED as GraphQL JSON, and that is audited."""
    uscc = clean_sandbox.enterprise("clean")
    store = tight.settings.store_url.removeprefix("sqlite+aiosqlite:///")
    blocker = sqlite3.connect(store, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    first: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: first.update(r=tight.post(
        CHECK, {"kind": "IPO_COMPLIANCE", "uscc": uscc})))
    try:
        thread.start()
        http = sum(1 for t in clean_sandbox.config["sources"].values()
                   if t.get("check") == "IPO_COMPLIANCE" and t["transport"] != "sql"
                   and t.get("enabled", True))
        deadline = time.monotonic() + 30
        while clean_sandbox.total_calls() < http:  # the check ran; its entry now waits
            assert time.monotonic() < deadline
            time.sleep(0.02)
        second = tight.post(CHECK, {"kind": "IPO_COMPLIANCE", "uscc": uscc},
                            headers={"X-Hub-Case": "SHED-1", "X-Request-Id": "shed-me-1"})
        bad_id = tight.post(CHECK, {"kind": "IPO_COMPLIANCE", "uscc": uscc},
                            headers={"X-Request-Id": "no spaces allowed"})
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        thread.join(30)
    assert second.status_code == 503 and second.headers["Retry-After"] == "1"
    assert second.headers["content-type"].startswith("application/graphql-response+json")
    assert second.headers["X-Request-Id"] == "shed-me-1"
    (error,) = second.json()["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED" and "capacity" in error["message"]
    assert bad_id.status_code == 503 and bad_id.headers["X-Request-Id"] != "no spaces allowed"
    assert len(bad_id.headers["X-Request-Id"]) == 32
    assert first["r"].json()["data"]["complianceCheck"]["verdict"] == "CLEAN"
    # The refused requests never counted, and the first let go of its place: one more fits.
    third = tight.post(CHECK, {"kind": "IPO_COMPLIANCE", "uscc": uscc})
    assert third.json()["data"]["complianceCheck"]["verdict"] == "CLEAN"
    tight.close()  # flushes the shed ledger
    sheds = shed_entries(tight)  # one per second: the two may straddle a second's end
    assert {e["caller"] for e in sheds} == {"xzsp"} and sum(e["requests"] for e in sheds) == 2
    assert all(e["denied"] == [{"path": "", "code": "RATE_LIMITED"}] for e in sheds)


def test_a_caller_over_its_quota_gets_429(tight: HubHarness,
                                          clean_sandbox: SandboxProcess) -> None:
    uscc = clean_sandbox.enterprise("clean")
    ok = tight.post(CHECK, {"kind": "BANKRUPTCY", "uscc": uscc}, caller="court",
                    purpose="BANKRUPTCY")
    assert ok.status_code == 200
    calls = clean_sandbox.total_calls()
    over = tight.post(CHECK, {"kind": "BANKRUPTCY", "uscc": uscc}, caller="court",
                      purpose="BANKRUPTCY", headers={"X-Hub-Case": "QUOTA-1"})
    assert over.status_code == 429 and int(over.headers["Retry-After"]) >= 1
    assert over.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert "court is over its quota" in over.json()["errors"][0]["message"]
    assert clean_sandbox.total_calls() == calls  # refused before any work
    other = tight.post(CHECK, {"kind": "BANKRUPTCY", "uscc": uscc}, purpose="BANKRUPTCY")
    assert other.status_code == 200  # another caller's bucket
    r = tight.post('query { auditEntries(filter: {case: "QUOTA-1"}) { edges { node { caller '
                   'outcome denied } } } }', caller="auditor", purpose=None)
    (edge,) = r.json()["data"]["auditEntries"]["edges"]
    assert edge["node"] == {"caller": "court", "outcome": "FAILED",
                            "denied": [": RATE_LIMITED"]}


def test_a_406_is_audited(tight: HubHarness) -> None:
    r = tight.client.post("/graphql", json={"query": "{ sources { name } }"},
                          headers={"Accept": "text/csv", "X-Request-Id": "not-acceptable-1"})
    assert r.status_code == 406
    found = tight.post('query { auditEntries(first: 5) { edges { node { requestId denied } } } }',
                       caller="auditor", purpose=None).json()
    nodes = [e["node"] for e in found["data"]["auditEntries"]["edges"]]
    assert {"requestId": "not-acceptable-1", "denied": [": BAD_USER_INPUT"]} in nodes


async def test_background_work_waits_while_interactive_requests_are_in_flight_and_the_loop_lags(
        ) -> None:
    """A batch job's turn (`background_turn`) waits (5 ms at a time, 20 ms at most) while
    requests are in flight and the last tick was late; otherwise it does not sleep."""
    admission = Admission(8, {})
    loop = asyncio.get_running_loop()
    admission.in_flight = 1
    admission.limit.observe(0.050)  # a late tick: the loop lags
    started = loop.time()
    await admission.background_turn()
    assert loop.time() - started >= 0.019
    for in_flight, lag in ((0, 0.050), (1, 0.0)):  # nothing in flight, or a loop that keeps up
        admission.in_flight = in_flight
        admission.limit.observe(lag)
        turn = asyncio.create_task(admission.background_turn())
        for _ in range(3):  # a few passes of the loop: a sleeping turn would not be done
            await asyncio.sleep(0)
        assert turn.done()


async def test_admission_feeds_the_limit_the_latency_of_each_admitted_request() -> None:
    now = [100.0]
    admission = Admission(32, {}, clock=lambda: now[0])
    n = admission.limit.window_n
    try:
        for _ in range(n):
            assert admission.enter()
        for k in range(n):
            now[0] = 100.0 + k * 0.01
            admission.leave(0.020)  # a window of 20 ms requests: the baseline
        assert admission.in_flight == 0 and admission.limit.baseline_s == 0.020
        admission.limit.cpu_share = 0.8  # the loop's thread is busy: latency is queueing
        for _ in range(n + 1):
            assert admission.enter()
        for k in range(n):
            now[0] = 101.0 + k * 0.01
            admission.leave(0.050)  # a window at 2.5x the baseline: the limit shrinks
        admission.leave(None)  # not counted (nothing to learn from it)
        assert admission.in_flight == 0 and admission.limit.limit == 24
    finally:
        await admission.aclose()


def test_the_served_app_freezes_its_start_up_objects_out_of_the_collector(
        sandbox: SandboxProcess, tmp_path: Path) -> None:
    """Full collections walked every object the hub built at start-up and stopped all
    requests for 60-180 ms every second or two under load (bench --overload); the served app
    (`hub.asgi`) freezes them once started and unfreezes them at shutdown."""
    harness = HubHarness(sandbox, tmp_path)
    harness.close()
    assert gc.get_freeze_count() == 0
    with TestClient(create_app(harness.settings, freeze_gc=True)) as client:
        assert client.get("/healthz").status_code == 200
        assert gc.get_freeze_count() > 10_000
    assert gc.get_freeze_count() == 0
    with TestClient(create_app(harness.settings)):  # tests and embedders: left alone
        assert gc.get_freeze_count() == 0


def test_background_work_reads_the_lag_on_the_loops_own_clock() -> None:
    """The limit follows the lag timed with perf_counter; the batch job's turn keeps reading
    it as the loop's clock shows it (whole milliseconds, as its pacing was tuned on)."""
    limit = LagLimit(64, floor=2)
    _contended(limit)
    limit.observe(0.012, 0.8, loop_lag_s=0.002)
    assert limit.last_lag_s == 0.002 and limit.limit == 48  # the limit saw 12 ms
    limit.observe(0.004, 0.8)
    assert limit.last_lag_s == 0.004 and limit.limit == 48


async def test_a_busy_loop_keeps_two_requests_in_flight() -> None:
    """However long the loop thread wants the CPU, the limit stops at two: with one request
    in flight the loop idles while a department answers, even one answering at once."""
    admission = Admission(32, {})
    try:
        for _ in range(50):
            admission.limit.observe(0.030, 1.0)  # late ticks, the CPU wanted all the time
        assert admission.limit.limit == 2
        assert admission.enter() and admission.enter()
        assert not admission.enter()
        assert Admission(1, {}).limit.limit == 1  # a ceiling of one stays one
    finally:
        await admission.aclose()
