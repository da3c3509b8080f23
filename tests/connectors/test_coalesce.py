"""Cross-request coalescing: routing of shared department calls back to each fetch.

The unit tests drive a `Coalescer` over a scripted department (`Held`) whose calls return only
when the test lets them, so that "a call is in flight" is a fact the test controls, not a
timing. The last tests run it over the sandbox departments on loopback.
"""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from connectors.base import Answer, Call, CallIds, FetchResult
from connectors.coalesce import Coalescer
from connectors.config import SourceConfig
from connectors.records import Record
from connectors.registry import Connectors
from tests.connectors.helpers import source_configs
from tests.sandbox_process import SandboxProcess

CFG = SourceConfig(name="dept", department="市测试局", subject="enterprise",
                   check="IPO_COMPLIANCE", domain="tax", record="violation",
                   transport="rest-batch", envelope="list", fields={}, timeout_s=5.0,
                   max_batch=4)


def record_of(key: str) -> Record:
    return Record("violation", {"decision_no": f"decision of {key}"})


class Held:
    """A department whose calls wait until `release()` (or their deadline: a call is bounded by
    it, as the real connectors' are); answers each key about that key."""

    config = CFG
    max_batch = CFG.max_batch

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.gate = asyncio.Event()
        self.fail: BaseException | None = None

    async def call(self, keys: list[str], deadline: float, call_id: str
                   ) -> tuple[dict[str, Answer], Call | None]:
        self.calls.append(list(keys))
        try:
            async with asyncio.timeout_at(deadline):
                await self.gate.wait()
        except TimeoutError:
            late = Answer("UNAVAILABLE", detail=f"{CFG.department}未在 "
                          f"{self.config.timeout_s:g} 秒内答复")
            return dict.fromkeys(keys, late), Call(CFG.name, "UNAVAILABLE", 1.0, len(keys),
                                                   call_id)
        if self.fail is not None:
            raise self.fail
        answers = {k: Answer("OK", (record_of(k),)) for k in keys}
        return answers, Call(CFG.name, "OK", 1.0, len(keys), call_id)

    def release(self) -> None:
        self.gate.set()


def coalescer(held: Held, window_s: float = 0.0, quiet_s: float = 0.0,
              **changes: object) -> Coalescer:
    if changes:
        held.config = dataclasses.replace(CFG, **changes)  # type: ignore[arg-type]
    return Coalescer(held, window_s=window_s, call_ids=CallIds("t"), quiet_s=quiet_s)


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def only_about(result: FetchResult, keys: list[str]) -> None:
    assert sorted(result.answers) == sorted(keys)
    for key, answer in result.answers.items():
        assert answer.records == (record_of(key),)


async def test_fetches_arriving_while_a_call_is_in_flight_share_the_next_call() -> None:
    held = Held()
    c = coalescer(held)
    first = asyncio.create_task(c.fetch(["A"]))
    await settle()
    assert held.calls == [["A"]]
    waiting = [asyncio.create_task(c.fetch([k])) for k in ("B", "C", "D")]
    await settle()
    assert held.calls == [["A"]]  # B, C and D wait for the call in flight to return
    held.release()
    results = [await first, *[await t for t in waiting]]
    assert held.calls == [["A"], ["B", "C", "D"]]
    for result, key in zip(results, "ABCD", strict=True):
        only_about(result, [key])
    shared = {r.calls[0].call_id for r in results[1:]}
    assert len(shared) == 1 and shared != {results[0].calls[0].call_id}
    assert [r.calls[0].keys for r in results] == [1, 1, 1, 1]  # each its own keys


async def test_an_idle_source_is_asked_at_once_and_the_rest_of_the_turn_leaves_together(
        ) -> None:
    held = Held()
    c = coalescer(held)
    first = asyncio.create_task(c.fetch(["A", "Ax"]))
    await asyncio.sleep(0)  # one turn: the idle source's call left from the fetch's own task
    assert held.calls == [["A", "Ax"]]
    await settle()
    tasks = [asyncio.create_task(c.fetch([f"K{i}", f"K{i}x"])) for i in range(3)]
    await settle()
    # Busy now: a full batch (four keys) leaves at once, the rest waits for a call to return.
    assert held.calls == [["A", "Ax"], ["K0", "K0x", "K1", "K1x"]]
    held.release()
    results = [await t for t in tasks]
    only_about(await first, ["A", "Ax"])
    assert held.calls == [["A", "Ax"], ["K0", "K0x", "K1", "K1x"], ["K2", "K2x"]]
    only_about(results[1], ["K1", "K1x"])
    assert [c.keys for c in results[1].calls] == [2]
    assert {c.call_id for c in results[0].calls} == {c.call_id for c in results[1].calls}


async def test_fetches_of_the_turn_an_idle_source_was_asked_in_leave_together_after_it(
        ) -> None:
    held = Held()
    c = coalescer(held)
    tasks = [asyncio.create_task(c.fetch([k])) for k in ("A", "B", "C")]
    await settle()
    # A found the source idle and went at once; B and C came in the same turn and left
    # together at its end, not after A's call returned.
    assert held.calls == [["A"], ["B", "C"]]
    held.release()
    results = [await t for t in tasks]
    for result, key in zip(results, "ABC", strict=True):
        only_about(result, [key])
    assert results[1].calls[0].call_id == results[2].calls[0].call_id \
        != results[0].calls[0].call_id


async def test_a_source_whose_call_just_came_back_merges_the_whole_turn() -> None:
    """Not quiet (a call came back within `quiet_s`): no fetch goes alone at once; the fetches
    of a turn leave together at its end, as many checks resuming at once do."""
    held = Held()
    c = coalescer(held, quiet_s=30.0)  # long enough that the test, not a clock, decides
    held.release()
    only_about(await c.fetch(["A"]), ["A"])  # the first call: never one before it
    tasks = [asyncio.create_task(c.fetch([k])) for k in ("B", "C")]
    for result, key in zip([await t for t in tasks], "BC", strict=True):
        only_about(result, [key])
    assert held.calls == [["A"], ["B", "C"]]


async def test_a_key_wanted_by_two_fetches_is_asked_once() -> None:
    held = Held()
    c = coalescer(held)
    busy = asyncio.create_task(c.fetch(["Z"]))
    await settle()
    one, two = asyncio.create_task(c.fetch(["A", "B"])), asyncio.create_task(c.fetch(["B"]))
    await settle()
    held.release()
    await busy
    only_about(await one, ["A", "B"])
    only_about(await two, ["B"])
    assert held.calls == [["Z"], ["A", "B"]]


async def test_a_window_merges_fetches_that_arrive_while_the_source_is_idle() -> None:
    held = Held()
    c = coalescer(held, window_s=30.0)  # long enough that the test, not a clock, decides
    first = asyncio.create_task(c.fetch(["A"]))
    await settle()
    second = asyncio.create_task(c.fetch(["B"]))
    await settle()
    assert held.calls == []
    c._flush()  # the window closes
    await settle()
    held.release()
    only_about(await first, ["A"])
    only_about(await second, ["B"])
    assert held.calls == [["A", "B"]]


async def test_a_fetch_past_its_deadline_reads_unavailable_and_reports_the_call() -> None:
    held = Held()
    c = coalescer(held, timeout_s=0.05)
    result = await c.fetch(["A"])
    assert result.answers["A"].status == "UNAVAILABLE"
    assert "市测试局未在 0.05 秒内答复" in (result.answers["A"].detail or "")
    assert [(x.status, x.keys, x.call_id) for x in result.calls] == [("UNAVAILABLE", 1, "t-1")]


async def test_keys_whose_fetches_all_gave_up_before_their_call_left_are_not_sent() -> None:
    held = Held()
    c = coalescer(held)
    busy = asyncio.create_task(c.fetch(["A"]))  # its call waits (5 s) until released
    await settle()
    c.config = held.config = dataclasses.replace(CFG, timeout_s=0.05)
    late = await c.fetch(["B"])  # waits behind A's call, which does not return in time
    assert late.answers["B"].status == "UNAVAILABLE"
    assert late.calls == []  # B never left
    c.config = held.config = dataclasses.replace(CFG, timeout_s=5.0)
    held.release()
    only_about(await busy, ["A"])
    after = await c.fetch(["C"])
    only_about(after, ["C"])
    assert ["B"] not in held.calls and ["B", "C"] not in held.calls


async def test_a_failure_below_reaches_every_fetch_of_the_call() -> None:
    held = Held()
    held.fail = RuntimeError("a bug below the coalescer")
    c = coalescer(held)
    tasks = [asyncio.create_task(c.fetch([k])) for k in "AB"]
    held.release()
    for task in tasks:
        with pytest.raises(RuntimeError, match="a bug below"):
            await task


# -- over the sandbox departments -------------------------------------------------------------

async def test_concurrent_fetches_over_http_share_calls_and_keep_their_answers(
        clean_sandbox: SandboxProcess) -> None:
    """60 fetches of one enterprise each, at once, to a real batch department: fewer calls
    than fetches, and every fetch gets exactly what a fetch of its key alone gets."""
    name = "sw_penalties"  # HMAC-signed, map envelope
    usccs = [e["uscc"] for e in clean_sandbox.samples["enterprises"]][:60]
    config = source_configs(clean_sandbox)[name]
    alone = await Connectors.open([dataclasses.replace(config, coalesce=False)])
    try:
        expected = {u: (await alone[name].fetch([u])).answers[u] for u in usccs}
    finally:
        await alone.aclose()
    clean_sandbox.reset()
    shared = await Connectors.open([config])
    try:
        results = await asyncio.gather(*(shared[name].fetch([u]) for u in usccs))
    finally:
        await shared.aclose()
    for u, result in zip(usccs, results, strict=True):
        assert list(result.answers) == [u]
        assert result.answers[u].status == expected[u].status
        assert expected[u].status in ("OK", "NOT_FOUND")
        assert result.answers[u].records == expected[u].records
    assert any(expected[u].records for u in usccs)  # the comparison has something to compare
    calls = clean_sandbox.stats()[name]["calls"]
    assert calls < len(usccs)
    assert len({r.calls[0].call_id for r in results}) == calls


async def test_coalescing_off_makes_one_call_per_fetch(clean_sandbox: SandboxProcess) -> None:
    name = "cgj_penalties"
    usccs = [e["uscc"] for e in clean_sandbox.samples["enterprises"]][:20]
    config = dataclasses.replace(source_configs(clean_sandbox)[name], coalesce=False)
    connectors = await Connectors.open([config])
    try:
        await asyncio.gather(*(connectors[name].fetch([u]) for u in usccs))
    finally:
        await connectors.aclose()
    assert clean_sandbox.stats()[name]["calls"] == len(usccs)


class Stepped(Held):
    """A department whose calls each wait for their own release, in the order they were made."""

    def __init__(self) -> None:
        super().__init__()
        self.gates: list[asyncio.Event] = []

    async def call(self, keys: list[str], deadline: float, call_id: str
                   ) -> tuple[dict[str, Answer], Call | None]:
        self.calls.append(list(keys))
        gate = asyncio.Event()
        self.gates.append(gate)
        await gate.wait()
        return ({k: Answer("OK", (record_of(k),)) for k in keys},
                Call(CFG.name, "OK", 1.0, len(keys), call_id))


async def test_each_call_hands_its_answers_to_the_fetch_as_it_returns() -> None:
    """A batch's keys ride on two calls: the first call's answers reach the fetch's `each` as
    that call returns, before the fetch does; they are the fetch result's own answers."""
    held = Stepped()
    c = coalescer(held)
    mine: list[dict[str, Answer]] = []
    keys = ["A", "B", "C", "D", "E", "F", "G", "H"]
    one = asyncio.create_task(c.fetch(keys, mine.append))
    await settle()
    assert held.calls == [["A", "B", "C", "D"], ["E", "F", "G", "H"]]
    held.gates[0].set()
    await settle()
    assert [sorted(m) for m in mine] == [["A", "B", "C", "D"]] and not one.done()
    held.gates[1].set()
    result = await one
    only_about(result, keys)
    assert [sorted(m) for m in mine] == [["A", "B", "C", "D"], ["E", "F", "G", "H"]]
    assert all(result.answers[k] is a for m in mine for k, a in m.items())


async def test_a_shared_key_reaches_every_fetch_that_wants_it_early_and_no_other() -> None:
    held = Stepped()
    c = coalescer(held)
    busy = asyncio.create_task(c.fetch(["Z"]))
    await settle()
    mine: list[dict[str, Answer]] = []
    theirs: list[dict[str, Answer]] = []
    one = asyncio.create_task(c.fetch(["A", "B"], mine.append))
    two = asyncio.create_task(c.fetch(["B"], theirs.append))
    plain = asyncio.create_task(c.fetch(["C"]))
    await settle()
    held.gates[0].set()  # Z returns: the waiting keys leave together
    await busy
    await settle()
    assert held.calls == [["Z"], ["A", "B", "C"]]
    assert mine == [] and theirs == []
    held.gates[1].set()
    only_about(await one, ["A", "B"])
    only_about(await two, ["B"])
    only_about(await plain, ["C"])
    assert [sorted(m) for m in mine] == [["A", "B"]]
    assert [sorted(t) for t in theirs] == [["B"]]
