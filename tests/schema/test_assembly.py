"""A batch's reports are made as their subjects' answers come in (schema.gateway.assembly).

The loads here are futures the test settles itself, in the order it chooses: what is under
test is which reports can be made when, and when they are handed over, not a department.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable

import pytest

from schema.gateway.assembly import SLICE_S, Assembly

Made = tuple[int, tuple[str | None, ...]]  # a "report": its index and the answers it was made of


class Batch:
    """An assembly over `columns` with `items` loads the test settles by hand."""

    def __init__(self, items: int, columns: list[str], subjects: list[str | None]) -> None:
        self.columns = columns
        reports_of = [[k for k, s in enumerate(subjects) if s == c] for c in columns]
        loose = [k for k, s in enumerate(subjects) if s is None]
        self.assembly: Assembly[str, Made] = Assembly(items, columns, reports_of, loose)
        loop = asyncio.get_running_loop()
        self.loads: list[asyncio.Future[list[str]]] = [loop.create_future()
                                                        for _ in range(items)]
        self.each = [self.assembly.answer(i) for i in range(items)]
        for i, load in enumerate(self.loads):
            self.assembly.expect(i, load)
        self.made: list[int] = []
        self.finished_with: list[int] | None = None
        self.waits = 0

    def make(self, k: int, answers: list[str | None]) -> Made:
        self.made.append(k)
        return k, tuple(answers)

    def finish(self) -> None:
        self.finished_with = list(self.made)

    def waited(self, start: float, end: float) -> None:
        assert end >= start
        self.waits += 1

    def run(self, between: object = None) -> Awaitable[list[Made] | None]:
        return self.assembly.run(self.make, self.finish, waited=self.waited,
                                 between=between)  # type: ignore[arg-type]


async def turns(n: int = 5) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


async def test_a_subject_is_made_when_its_last_answer_is_in_and_handed_over_at_once() -> None:
    batch = Batch(2, ["A", "B", "C"], ["A", "B", "C"])
    items = [asyncio.ensure_future(i) for i in batch.assembly.items()]
    runner = asyncio.ensure_future(batch.run())
    batch.each[0]({"B": "b0"})
    await turns()
    assert batch.made == []  # item 1 has not answered about B
    batch.each[1]({"B": "b1", "A": "a1"})
    await turns()
    assert batch.made == [1] and items[1].done() and not items[0].done()
    assert items[1].result() == (1, ("b0", "b1"))
    batch.loads[1].set_result(["a1-final", "b1-final", "c1"])  # what `each` gave stays
    await turns()
    assert batch.made == [1] and not runner.done()
    batch.loads[0].set_result(["a0", "b0-final", "c0"])
    assert await runner is None
    assert [i.result() for i in items] == [(0, ("a0", "a1")), (1, ("b0", "b1")),
                                           (2, ("c0", "c1"))]
    assert batch.made == [1, 0, 2] and batch.finished_with == [1, 0, 2]
    assert batch.waits >= 2


async def test_the_last_report_waits_for_finish_and_every_load() -> None:
    """Every answer is in through `each`, but a load has not returned (its calls are not yet
    on record): the last report is made, not handed over, until the load ends and `finish`
    has run."""
    batch = Batch(2, ["A", "B"], ["A", "B"])
    items = [asyncio.ensure_future(i) for i in batch.assembly.items()]
    runner = asyncio.ensure_future(batch.run())
    batch.loads[0].set_result(["a0", "b0"])
    batch.each[1]({"A": "a1", "B": "b1"})
    await turns()
    assert sorted(batch.made) == [0, 1]
    assert items[0].done() and not items[1].done()
    assert batch.finished_with is None and not runner.done()
    batch.loads[1].set_result(["a1", "b1"])
    await runner
    assert batch.finished_with == [0, 1] and items[1].done()


async def test_reports_about_one_subject_are_made_together_and_loose_ones_at_once() -> None:
    batch = Batch(1, ["A", "B"], ["A", None, "B", "A"])
    items = [asyncio.ensure_future(i) for i in batch.assembly.items()]
    runner = asyncio.ensure_future(batch.run())
    await turns()
    assert batch.made == [1] and items[1].result() == (1, ())  # unconfirmed: no answers
    batch.each[0]({"A": "a"})
    await turns()
    assert batch.made == [1, 0, 3]
    assert items[0].result() == (0, ("a",)) and items[3].result() == (3, ("a",))
    batch.loads[0].set_result(["a", "b"])
    await runner
    assert items[2].result() == (2, ("b",))


async def test_without_hand_over_the_reports_come_back_in_order_with_turns_between() -> None:
    batch = Batch(1, ["A", "B"], ["B", "A", None])
    turned: list[int] = []

    async def between() -> None:
        turned.append(len(batch.made))

    runner = asyncio.ensure_future(batch.run(between))
    batch.loads[0].set_result(["a", "b"])
    assert await runner == [(0, ("b",)), (1, ("a",)), (2, ())]
    assert turned == [0, 1, 2]  # before each report


async def test_a_failed_load_fails_every_report_not_yet_handed_and_stops_the_others() -> None:
    batch = Batch(2, ["A", "B"], ["A", "B"])
    items = [asyncio.ensure_future(i) for i in batch.assembly.items()]
    runner = asyncio.ensure_future(batch.run())
    batch.each[0]({"A": "a0"})
    batch.each[1]({"A": "a1"})
    await turns()
    assert items[0].done()
    batch.loads[0].set_exception(RuntimeError("a bug below"))
    with pytest.raises(RuntimeError, match="a bug below"):
        await runner
    with pytest.raises(RuntimeError, match="a bug below"):
        await items[1]
    assert items[0].result() == (0, ("a0", "a1"))  # handed before the failure
    assert batch.loads[1].cancelled() and batch.finished_with is None


async def test_a_cancelled_report_cancels_the_batch_and_its_loads() -> None:
    batch = Batch(2, ["A", "B"], ["A", "B"])
    items = [asyncio.ensure_future(i) for i in batch.assembly.items()]
    runner = asyncio.ensure_future(batch.run())
    await turns()
    items[0].cancel()
    await turns()
    assert runner.cancelled() or isinstance(runner.exception(), asyncio.CancelledError)
    assert all(load.cancelled() for load in batch.loads)
    assert items[1].cancelled() and batch.made == [] and batch.finished_with is None


async def test_an_abandoned_batch_asks_no_more() -> None:
    batch = Batch(2, ["A", "B"], ["A", "B"])
    batch.assembly.abandon()
    await turns()
    assert all(load.cancelled() for load in batch.loads)


async def test_a_check_of_one_subject_leaves_its_loads_to_finish() -> None:
    """Its loads may be shared with another check of the same request (one fetch per source
    and subject): giving up cancels none of them."""
    batch = Batch(2, ["A"], ["A"])
    batch.assembly.abandon()
    runner = asyncio.ensure_future(batch.run())
    batch.loads[0].set_exception(RuntimeError("a bug below"))
    with pytest.raises(RuntimeError):
        await runner
    assert not batch.loads[1].done()


async def test_the_maker_gives_the_loop_a_turn_between_reports() -> None:
    """Making many reports at once would hold the loop: the departments' answers still to come
    would wait to be read. A report that takes longer than a slice ends the maker's turn."""
    assert SLICE_S < 0.002
    batch = Batch(1, ["A", "B", "C", "D"], ["A", "B", "C", "D"])
    ticks: list[int] = []
    made_at_tick: list[int] = []
    make = batch.make

    def slow_make(k: int, answers: list[str | None]) -> Made:
        time.sleep(0.002)
        made_at_tick.append(len(ticks))
        return make(k, answers)

    batch.make = slow_make  # type: ignore[method-assign]

    async def ticker() -> None:
        while True:
            ticks.append(1)
            await asyncio.sleep(0)

    beat = asyncio.ensure_future(ticker())
    items = [asyncio.ensure_future(i) for i in batch.assembly.items()]
    batch.loads[0].set_result(["a", "b", "c", "d"])
    await batch.run()
    await turns()
    beat.cancel()
    assert len(made_at_tick) == 4 and len(set(made_at_tick)) == 4  # a turn between each
    assert all(i.done() for i in items)


async def test_a_load_that_leaves_a_subject_unanswered_fails_the_batch_not_hangs_it() -> None:
    batch = Batch(1, ["A", "B"], ["A", "B"])
    items = [asyncio.ensure_future(i) for i in batch.assembly.items()]
    runner = asyncio.ensure_future(batch.run())
    batch.loads[0].set_result(["a"])  # one answer for two subjects: a bug below
    with pytest.raises(RuntimeError, match="1 of the batch's subjects not answered"):
        await asyncio.wait_for(runner, 5)
    assert items[0].done() and not items[0].cancelled()
    with pytest.raises(RuntimeError):
        await items[1]
