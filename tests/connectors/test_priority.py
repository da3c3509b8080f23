"""A source's concurrency cap serves interactive calls first: background (job) calls never
hold every slot, and a waiting interactive call gets the next free slot before any waiting
background call. Driven with real asyncio tasks; no clock, no sleeping."""

from __future__ import annotations

import asyncio

import pytest

from connectors.priority import BACKGROUND, PriorityCap


async def _hold(cap: PriorityCap, background: bool, release: asyncio.Event,
                order: list[str], name: str) -> None:
    BACKGROUND.set(background)
    async with cap:
        order.append(name)
        await release.wait()


async def test_background_calls_leave_one_slot_for_interactive_ones() -> None:
    cap, release, order = PriorityCap(3), asyncio.Event(), []
    jobs = [asyncio.create_task(_hold(cap, True, release, order, f"job{i}")) for i in range(5)]
    await asyncio.sleep(0)
    assert order == ["job0", "job1"] and cap.in_use == 2
    clerk = asyncio.create_task(_hold(cap, False, release, order, "clerk"))
    await asyncio.sleep(0)
    assert order[-1] == "clerk" and cap.in_use == 3  # at once, despite three jobs waiting
    release.set()
    await asyncio.gather(*jobs, clerk)
    assert cap.in_use == 0 and sorted(order) == ["clerk", *[f"job{i}" for i in range(5)]]


async def test_a_waiting_interactive_call_goes_before_waiting_background_calls() -> None:
    cap, order = PriorityCap(1), []
    first = asyncio.Event()
    holder = asyncio.create_task(_hold(cap, True, first, order, "job0"))
    await asyncio.sleep(0)
    done = asyncio.Event()
    done.set()
    queued = [asyncio.create_task(_hold(cap, True, done, order, f"job{i}")) for i in (1, 2)]
    await asyncio.sleep(0)
    clerk = asyncio.create_task(_hold(cap, False, done, order, "clerk"))
    await asyncio.sleep(0)
    first.set()
    await asyncio.gather(holder, *queued, clerk)
    assert order == ["job0", "clerk", "job1", "job2"]


async def test_a_cancelled_waiter_gives_its_place_up() -> None:
    cap, order, hold = PriorityCap(1), [], asyncio.Event()
    holder = asyncio.create_task(_hold(cap, False, hold, order, "a"))
    await asyncio.sleep(0)
    waiter = asyncio.create_task(_hold(cap, False, hold, order, "b"))
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    hold.set()
    await holder
    assert cap.in_use == 0 and order == ["a"]


def test_a_cap_needs_a_slot() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        PriorityCap(0)


async def test_a_waiter_cancelled_while_a_slot_frees_is_skipped_and_forgotten() -> None:
    cap, order, hold = PriorityCap(1), [], asyncio.Event()
    holder = asyncio.create_task(_hold(cap, False, hold, order, "a"))
    await asyncio.sleep(0)
    late = asyncio.Event()
    late.set()
    waiter = asyncio.create_task(_hold(cap, False, late, order, "b"))
    after = asyncio.create_task(_hold(cap, False, late, order, "c"))
    await asyncio.sleep(0)
    hold.set()  # the holder is woken first and frees the slot ...
    waiter.cancel()  # ... before the cancelled waiter's task runs again
    await holder
    with pytest.raises(asyncio.CancelledError):
        await waiter
    await after
    assert cap.in_use == 0 and order == ["a", "c"]
