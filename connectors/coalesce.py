"""Cross-request coalescing: concurrent fetches of one batch source share department calls.

Each request fetches through its own loader (the gateway's, one per request), so two requests
checking two enterprises at the same moment would make two calls to every department. A
`Coalescer` sits beneath the loaders, transparent to them: keys that arrive while the source
already has a call in flight wait for a call to return and then leave together, in one call up
to the source's max batch; a full batch leaves at once. Keys that arrive while the source is
idle leave after `window_s`; with no window (0, the default) they leave at the end of the
current turn of the event loop, together with every fetch of that turn — except on a quiet
source (no call in flight or back within the last `QUIET_S`): there the first fetch sends its
call itself, at once, and the fetches of the same turn leave together at its end. (Sent from
the fetch's own task, a lone check's slowest department is asked before the loop turns over,
not after every other source's dispatch; a busy source keeps merging whole turns, which saves
calls when many checks resume at once, as when a shared registry call returns.) A key wanted
by several fetches at once is asked for once.

Each fetch gets the answers to its own keys and nothing else, and reports every call its keys
rode on: the call's id (the same for every request that shared it), status and latency, and
its own number of keys. Each fetch keeps its own deadline; a call lasts until the latest
deadline of the fetches waiting on it. A fetch that gives up on a call that has left reports it
as UNAVAILABLE; keys whose every fetch has given up before their call left are not sent.
Person data reaches a connector only after the gateway allowed each key for its request, so
coalescing never releases a key to a request that was not allowed it.
"""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from connectors.base import Answer, Call, CallIds, Each, FetchResult
from connectors.config import SourceConfig
from connectors.rest import fetch_budget_s

__all__ = ["QUIET_S", "Coalescer", "DepartmentCalls"]

QUIET_S = 0.010  # a source with no call back for this long sends a lone fetch's call at once


class DepartmentCalls(Protocol):
    """A connector that can make one department call for up to `max_batch` keys."""

    config: SourceConfig

    @property
    def max_batch(self) -> int: ...

    async def call(self, keys: list[str], deadline: float, call_id: str
                   ) -> tuple[dict[str, Answer], Call | None]:
        """An answer for every key and the call made, if one was sent, by `deadline` (loop
        time); never raises for what the department does."""
        ...

    async def aclose(self) -> None: ...


Outcome = tuple[Answer, Call | None]


@dataclass(slots=True)
class _Slot:
    """One key waiting for, or riding on, a call."""

    future: asyncio.Future[Outcome]
    deadline: float  # the latest deadline of the fetches that want this key
    call_id: str = ""  # set when the key's call leaves
    left_at: float = 0.0  # perf_counter when it left
    listeners: list[Each] | None = None  # the `each` of fetches that want it early


async def _until_done_or(loop: asyncio.AbstractEventLoop, futures: list[asyncio.Future[Outcome]],
                         deadline: float) -> None:
    """Wait until every future is done or `deadline` passes, never cancelling the futures (other
    fetches share them). `asyncio.wait` does the same at several times the cost per call."""
    waiter: asyncio.Future[None] = loop.create_future()
    remaining = 0

    def one_done(_: asyncio.Future[Outcome]) -> None:
        nonlocal remaining
        remaining -= 1
        if remaining == 0 and not waiter.done():
            waiter.set_result(None)

    def expired() -> None:
        if not waiter.done():
            waiter.set_result(None)

    pending = [f for f in futures if not f.done()]
    remaining = len(pending)
    if not pending:
        return
    context = contextvars.copy_context()  # one for all: a copy per future, per key, adds up
    for future in pending:
        future.add_done_callback(one_done, context=context)
    timer = loop.call_at(deadline, expired)
    try:
        await waiter
    finally:
        timer.cancel()
        for future in pending:
            future.remove_done_callback(one_done)


class Coalescer:
    def __init__(self, inner: DepartmentCalls, *, window_s: float, call_ids: CallIds,
                 quiet_s: float = QUIET_S) -> None:
        self.config = inner.config
        self._inner = inner
        self._window = window_s
        self._ids = call_ids
        self._pending: dict[str, _Slot] = {}
        self._in_flight = 0
        self._timer: asyncio.Handle | None = None
        self._flights: set[asyncio.Task[None]] = set()
        self._turn_open = False  # a fetch sent its call at once in this turn of the loop
        self._back_at = -math.inf  # loop time the last call came back
        self._quiet = quiet_s

    async def fetch(self, keys: Sequence[str], each: Each | None = None) -> FetchResult:
        """Every key's answer, from the calls its keys rode on; with `each`, every call's
        answers to this fetch's keys as the call returns."""
        loop = asyncio.get_running_loop()
        calls = -(-len(keys) // self._inner.max_batch)
        deadline = loop.time() + fetch_budget_s(self.config, calls)
        busy = self._in_flight > 0 and not self._turn_open
        slots: dict[str, _Slot] = {}
        for key in keys:
            if key in slots:
                continue
            slot = self._pending.get(key)
            if slot is None:
                slot = self._pending[key] = _Slot(loop.create_future(), deadline)
            elif slot.deadline < deadline:
                slot.deadline = deadline
            if each is not None:
                if slot.listeners is None:
                    slot.listeners = [each]
                else:
                    slot.listeners.append(each)
            slots[key] = slot
        if not slots:
            return FetchResult()
        if self._in_flight == 0 and self._window == 0 and self._timer is None \
                and len(self._pending) <= self._inner.max_batch \
                and loop.time() - self._back_at >= self._quiet:
            # Idle: this fetch's keys (all that wait) leave now, from this task.
            self._turn_open = True
            loop.call_soon(self._close_turn)
            taken = self._take(loop, len(self._pending))
            if taken is not None:
                await self._fly(*taken)
        else:
            self._schedule(loop, busy)
        await _until_done_or(loop, [s.future for s in slots.values()], deadline)
        return self._result(slots)

    def _close_turn(self) -> None:
        self._turn_open = False

    def _schedule(self, loop: asyncio.AbstractEventLoop, busy: bool) -> None:
        size = self._inner.max_batch
        while len(self._pending) >= size:
            self._dispatch(loop, size)
        if not self._pending or self._timer is not None or busy:
            return  # a timer is set, or a call in flight takes the rest when it returns
        if self._window > 0:
            self._timer = loop.call_later(self._window, self._flush)
        else:
            self._timer = loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._timer = None
        loop = asyncio.get_running_loop()
        while self._pending:
            self._dispatch(loop, self._inner.max_batch)

    def _dispatch(self, loop: asyncio.AbstractEventLoop, size: int) -> None:
        taken = self._take(loop, size)
        if taken is None:
            return
        task = loop.create_task(self._fly(*taken))
        self._flights.add(task)
        task.add_done_callback(self._flights.discard)

    def _take(self, loop: asyncio.AbstractEventLoop, size: int
              ) -> tuple[dict[str, _Slot], float, str] | None:
        """Up to `size` waiting keys for one call, counted in flight: (their slots, the call's
        deadline, its id); None if every fetch that wanted them has given up (not sent)."""
        now = loop.time()
        taken = list(itertools.islice(self._pending, size))
        live: dict[str, _Slot] = {}
        for key in taken:
            slot = self._pending.pop(key)
            if slot.deadline > now and not slot.future.done():
                live[key] = slot
            else:
                slot.future.cancel()  # every fetch that wanted it has given up: not sent
        if not live:
            return None
        call_id = self._ids.next()
        left_at = time.perf_counter()
        for slot in live.values():
            slot.call_id, slot.left_at = call_id, left_at
        self._in_flight += 1
        return live, max(s.deadline for s in live.values()), call_id

    async def _fly(self, slots: dict[str, _Slot], deadline: float, call_id: str) -> None:
        try:
            answers, call = await self._inner.call(list(slots), deadline, call_id)
        except BaseException as exc:  # a bug below, or shutdown: the fetches see it, not lost
            for slot in slots.values():
                if slot.future.done():
                    continue
                if isinstance(exc, asyncio.CancelledError):
                    slot.future.cancel()  # read as not answered by any fetch still waiting
                else:
                    slot.future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        finally:
            self._in_flight -= 1
            self._back_at = asyncio.get_running_loop().time()
            if self._pending and self._timer is None:
                self._flush()  # keys that waited for a call to return leave now
        early: dict[int, tuple[Each, dict[str, Answer]]] = {}
        for key, slot in slots.items():
            if not slot.future.done():
                slot.future.set_result((answers[key], call))
            for listener in slot.listeners or ():
                early.setdefault(id(listener), (listener, {}))[1][key] = answers[key]
        for listener, handed in early.values():
            listener(handed)

    def _result(self, slots: dict[str, _Slot]) -> FetchResult:
        cfg = self.config
        result = FetchResult()
        mine: dict[str, tuple[Call, int]] = {}
        for key, slot in slots.items():
            future = slot.future
            if future.done() and not future.cancelled():
                answer, call = future.result()
            else:
                latency = (time.perf_counter() - slot.left_at) * 1000 if slot.call_id else 0.0
                answer = Answer("UNAVAILABLE", detail=f"{cfg.department}未在 "
                                f"{cfg.timeout_s:g} 秒内答复", latency_ms=latency)
                call = Call(cfg.name, "UNAVAILABLE", latency, 0, slot.call_id) \
                    if slot.call_id else None
            result.answers[key] = answer
            if call is not None:
                seen = mine.get(call.call_id)
                mine[call.call_id] = (call, 1 if seen is None else seen[1] + 1)
        result.calls = [Call(c.source, c.status, c.latency_ms, n, c.call_id)
                        for c, n in mine.values()]
        return result

    async def aclose(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for task in list(self._flights):
            task.cancel()
        await asyncio.gather(*self._flights, return_exceptions=True)
        await self._inner.aclose()
