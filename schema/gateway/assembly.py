"""A batch's reports, each made as soon as every source has answered about its subject.

A check of a thousand enterprises asks each source once for all of them, and one-key sources
answer them over seconds, one call after another. Waiting for every answer before making any
report left the CPU idle for those seconds and then busy making a thousand reports (and the
executor completing their fields) after the last answer. Here the sources report answers as
their calls return (`each`), a subject's reports are made once all its answers are in, and a
report is handed over (its awaitable resolved) at once, so the executor completes its fields
while the departments are still answering about the others.

What must happen once for the whole batch (filing the reports, recording the release) happens
after the last report is made and every load has finished (the calls are on record), and
before the last report is handed over: the request cannot end before its record is whole.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Generic, TypeVar

__all__ = ["SLICE_S", "Assembly"]

# The longest the maker runs without giving the loop a turn (one report takes about as long).
SLICE_S = 0.0005

A = TypeVar("A")  # an answer
R = TypeVar("R")  # a report


class Assembly(Generic[A, R]):
    """Which of a batch's reports can be made, and their hand-over.

    `columns` are the subjects asked (each source is asked about all of them); `reports_of[j]`
    the indices of the reports about column `j`; `loose` the reports about no asked subject
    (the registry did not confirm it), made at once. `expect(i, load)` registers plan item
    `i`'s load: `answer(i)` is its `each` callback (key -> answer, as calls return), and the
    load's own result (an answer per column) fills in what was not reported early.
    """

    def __init__(self, items: int, columns: Sequence[str], reports_of: Sequence[Sequence[int]],
                 loose: Sequence[int]) -> None:
        self._column = {key: j for j, key in enumerate(columns)}
        self._answers: list[list[A | None] | None] = [None] * items
        self._missing = [0] * len(columns)  # answers still to come; -1: its reports are made
        self._reports_of = reports_of
        self._ready: deque[int] = deque()  # columns whose answers are all in
        self._loose = list(reversed(loose))
        self._units = len(columns) + len(loose)
        self._loads: list[asyncio.Future[list[A]]] = []  # those not finished
        self._failure: BaseException | None = None
        self._wake: asyncio.Future[None] | None = None
        self._futures: list[asyncio.Future[R]] = []
        self._reports = len(loose) + sum(map(len, reports_of))
        # The task running `run` while the reports are handed over: kept here, since the loop
        # holds its tasks only weakly.
        self.maker: asyncio.Future[list[R]] | None = None

    # -- the answers ---------------------------------------------------------------------------

    def expect(self, item: int, load: Awaitable[list[A]]) -> None:
        """Item `item`'s answers, one per column in order, come from `load`."""
        self._answers[item] = [None] * len(self._missing)
        for j in range(len(self._missing)):
            self._missing[j] += 1
        future = asyncio.ensure_future(load)
        self._loads.append(future)
        future.add_done_callback(lambda done: self._loaded(item, done))

    def answer(self, item: int) -> Callable[[Mapping[str, A]], None]:
        """The `each` callback of item `item`'s load: answers as its calls return."""
        column = self._column

        def each(answers: Mapping[str, A]) -> None:
            for key, answer in answers.items():
                j = column.get(key)
                if j is not None:
                    self._set(item, j, answer)
            self._poke()

        return each

    def _set(self, item: int, j: int, answer: A) -> None:
        row = self._answers[item]
        if row is None or self._missing[j] <= 0 or row[j] is not None:
            return  # not asked, already made, or already answered
        row[j] = answer
        self._missing[j] -= 1
        if self._missing[j] == 0:
            self._ready.append(j)

    def _loaded(self, item: int, done: asyncio.Future[list[A]]) -> None:
        self._loads.remove(done)
        if done.cancelled():
            self._failure = self._failure or asyncio.CancelledError()
        elif (exc := done.exception()) is not None:
            self._failure = self._failure or exc
        else:
            for j, answer in enumerate(done.result()):
                self._set(item, j, answer)
        self._poke()

    def _poke(self) -> None:
        """Wake the maker if it has something to do: a report to make, the end, a failure."""
        wake = self._wake
        if wake is not None and not wake.done() and (
                self._ready or not self._loads or self._failure is not None):
            wake.set_result(None)

    def abandon(self) -> None:
        """Stop asking: the batch will not be made. A check of one subject leaves its loads
        to finish: another check of the same request may share them (`_load_batch`), and
        each is one call, bounded by its source's timeout."""
        if len(self._missing) <= 1:
            return
        for load in list(self._loads):
            load.cancel()

    # -- making the reports --------------------------------------------------------------------

    def items(self) -> list[Awaitable[R]]:
        """One awaitable per report, in order: resolved once the report is made (the last
        one once the batch is on record). Cancelling one cancels the batch."""
        loop = asyncio.get_running_loop()
        self._futures = [loop.create_future() for _ in range(self._reports)]
        return [self._item(f) for f in self._futures]

    async def _item(self, future: asyncio.Future[R]) -> R:
        try:
            return await future
        except asyncio.CancelledError:
            self._cancel()
            raise

    def _cancel(self) -> None:
        for f in self._futures:
            f.cancel()
        self._failure = self._failure or asyncio.CancelledError()
        self._poke()

    async def run(self, make: Callable[[int, list[A | None]], R],
                  finish: Callable[[], None], *,
                  waited: Callable[[float, float], None],
                  between: Callable[[], Awaitable[None]] | None = None) -> list[R] | None:
        """Make every report as its answers come in (`make(index, answers by item)`), then
        `finish()` once every load has finished. With `items()` taken, each report is handed
        to its awaitable (the last ones after `finish`) and None is returned; otherwise the
        reports are returned in order. `between` is awaited before each report (a job's
        chunk gives interactive requests their turn there); `waited(start, end)` gets every
        stretch spent only waiting for departments."""
        handing = bool(self._futures)
        made: list[R | None] = [None] * (0 if handing else self._reports)
        held: list[tuple[asyncio.Future[R], R]] = []  # the last reports, handed after `finish`
        turn_at = time.perf_counter() + SLICE_S
        try:
            while self._units or self._loads:
                if self._failure is not None:
                    raise self._failure
                if self._loose or self._ready:
                    last = self._units == 1
                    indices, answers = self._next()
                    for k in indices:
                        if between is not None:
                            await between()
                        elif time.perf_counter() >= turn_at:
                            # The loop's turn: departments' answers are read, and the reports
                            # already handed over completed, between reports, not after all.
                            await asyncio.sleep(0)
                            turn_at = time.perf_counter() + SLICE_S
                        report = make(k, answers)
                        if not handing:
                            made[k] = report
                        elif last:
                            held.append((self._futures[k], report))
                        else:
                            self._futures[k].set_result(report)
                    continue
                if not self._loads:  # a load answered fewer subjects than it was asked about
                    raise RuntimeError(f"the sources' answers ended with {self._units} of the "
                                       "batch's subjects not answered")
                started = time.perf_counter()
                self._wake = asyncio.get_running_loop().create_future()
                await self._wake
                self._wake = None
                waited(started, time.perf_counter())
            if self._failure is not None:
                raise self._failure
            finish()
        except BaseException as exc:
            self.abandon()
            for f in self._futures:
                if not f.done():
                    if isinstance(exc, asyncio.CancelledError):
                        f.cancel()
                    else:
                        f.set_exception(exc)
            raise
        if not handing:
            return made  # type: ignore[return-value]  # every index was made
        for future, report in held:
            future.set_result(report)
        return None

    def _next(self) -> tuple[Sequence[int], list[A | None]]:
        """The next unit to make: a loose report (no answers), or a column's reports with its
        answers by item (let go of here: the reports keep what they need of them)."""
        self._units -= 1
        if self._loose:
            return (self._loose.pop(),), []
        j = self._ready.popleft()
        self._missing[j] = -1
        answers: list[A | None] = []
        for row in self._answers:
            if row is None:
                answers.append(None)
            else:
                answers.append(row[j])
                row[j] = None
        return self._reports_of[j], answers
