"""Interactive calls first: a source's concurrency cap that serves waiting interactive calls
before background ones (batch check jobs), and never gives background calls every slot.

The hub marks the department calls it makes for a job with the `BACKGROUND` context variable
(as it marks the request id, `connectors.propagation`). A source of concurrency n lets
background calls hold at most n - 1 of its slots (1 when n is 1), and when a slot frees, a
waiting interactive call gets it before any waiting background call. So an interactive check
during a large job waits at most for one call of the source to end, never for the job's queue.
"""

from __future__ import annotations

import asyncio
from collections import deque
from contextvars import ContextVar
from types import TracebackType

__all__ = ["BACKGROUND", "PriorityCap"]

BACKGROUND: ContextVar[bool] = ContextVar("hub_background_call", default=False)


class PriorityCap:
    """An async context manager like `asyncio.Semaphore(slots)`, with interactive priority."""

    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError("a source's concurrency must be at least 1")
        self.slots = slots
        self.background_slots = max(1, slots - 1)
        self._used = 0
        self._background = 0
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._waiting_background: deque[asyncio.Future[None]] = deque()

    @property
    def in_use(self) -> int:
        return self._used

    def _may_enter(self, background: bool) -> bool:
        if self._used >= self.slots:
            return False
        if background:
            return not self._waiting and self._background < self.background_slots
        return True

    async def __aenter__(self) -> None:
        background = BACKGROUND.get()
        queue = self._waiting_background if background else self._waiting
        if not queue and self._may_enter(background):
            self._take(background)
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._give(background)  # granted as it was cancelled: hand the slot on
            elif waiter in queue:  # (a slot handed out meanwhile skipped it already)
                queue.remove(waiter)
            raise

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        self._give(BACKGROUND.get())

    def _take(self, background: bool) -> None:
        self._used += 1
        if background:
            self._background += 1

    def _give(self, background: bool) -> None:
        self._used -= 1
        if background:
            self._background -= 1
        self._wake()

    def _wake(self) -> None:
        while self._used < self.slots:
            if self._waiting:
                waiter, background = self._waiting.popleft(), False
            elif self._waiting_background and self._background < self.background_slots:
                waiter, background = self._waiting_background.popleft(), True
            else:
                return
            if waiter.done():
                continue
            self._take(background)
            waiter.set_result(None)
