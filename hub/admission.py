"""Admission control: shed what the hub cannot serve in time, at once and on the record.

A request is counted from the moment the endpoint sees it (before its body is read) until its
audit entry is committed. Two limits apply before any other work:

- the concurrency limit: past it the answer is 503 RATE_LIMITED with `Retry-After`. The limit
  adapts to the event loop's lag (the time a ready task waits for the CPU): when the loop falls
  behind, requests already admitted would only wait longer and shed ones could not be refused
  quickly, so the limit shrinks multiplicatively; while the loop keeps up and the limit is
  binding, it grows by one. `[hub] max_in_flight` caps it.
- per-caller quotas (a token bucket per caller, `[callers.NAME] rate` and `burst`): past them
  the answer is 429 RATE_LIMITED. With several hub processes or instances the buckets live in
  Redis (`[limits] redis_url`), otherwise in the process.

Shed requests are audited, under overload as one aggregate entry per caller and second with the
count (`ShedLedger`), so a flood cannot turn the audit log into the bottleneck.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

__all__ = ["Admission", "LagLimit", "LocalBuckets", "Quota", "QuotaStore", "ShedLedger"]


class LagLimit:
    """A concurrency limit that follows the event loop's lag (AIMD).

    `observe(lag_s)` is fed by a ticker; `binding` says whether requests were refused at the
    limit since the last tick (only then is growing it useful)."""

    def __init__(self, ceiling: int, *, floor: int = 2, initial: int | None = None,
                 high_s: float = 0.010, low_s: float = 0.003, decrease: float = 0.75) -> None:
        self.ceiling = ceiling
        self.floor = min(floor, ceiling)
        self.limit = float(min(ceiling, initial if initial is not None else ceiling))
        self.high_s = high_s
        self.low_s = low_s
        self.decrease = decrease
        self.binding = False
        self.last_lag_s = 0.0

    def observe(self, lag_s: float) -> None:
        self.last_lag_s = lag_s
        if lag_s > self.high_s:
            self.limit = max(float(self.floor), self.limit * self.decrease)
        elif lag_s < self.low_s and self.binding:
            self.limit = min(float(self.ceiling), self.limit + 1)
        self.binding = False

    def admits(self, in_flight: int) -> bool:
        if in_flight < int(self.limit):
            return True
        self.binding = True
        return False


@dataclass(frozen=True, slots=True)
class Quota:
    rate: float  # tokens per second
    burst: int


class QuotaStore(Protocol):
    async def take(self, caller: str, quota: Quota, now: float) -> float:
        """Take one token; 0 if taken, else the seconds until one is available."""
        ...


class LocalBuckets:
    """Token buckets in this process (one hub process)."""

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}  # caller -> (tokens, at)

    async def take(self, caller: str, quota: Quota, now: float) -> float:
        tokens, at = self._buckets.get(caller, (float(quota.burst), now))
        tokens = min(float(quota.burst), tokens + (now - at) * quota.rate)
        if tokens >= 1:
            self._buckets[caller] = (tokens - 1, now)
            return 0.0
        self._buckets[caller] = (tokens, now)
        return (1 - tokens) / quota.rate


class ShedLedger:
    """Counts of shed requests per (caller, second, code), flushed as aggregate entries."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str | None, int, str], int] = {}

    def add(self, caller: str | None, code: str, now: float) -> None:
        key = (caller, int(now), code)
        self._counts[key] = self._counts.get(key, 0) + 1

    def take(self, before: float) -> list[tuple[str | None, int, str, int]]:
        """The counts of every second that ended before `before`, removed from the ledger."""
        done = [k for k in self._counts if k[1] + 1 <= before]
        return [(caller, second, code, self._counts.pop((caller, second, code)))
                for caller, second, code in done]


class Admission:
    """The in-flight count, the adaptive limit and the quotas of one endpoint."""

    def __init__(self, max_in_flight: int, quotas: Mapping[str, Quota],
                 buckets: QuotaStore | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.in_flight = 0
        self.limit = LagLimit(max_in_flight)
        self.quotas = quotas
        self.buckets = buckets or LocalBuckets()
        self.shed = ShedLedger()
        self.clock = clock
        self._ticker: asyncio.Task[None] | None = None

    def enter(self) -> bool:
        """Admit one request (count it) or refuse it at the concurrency limit."""
        if self._ticker is None:
            self._ticker = asyncio.get_running_loop().create_task(self._tick(),
                                                                  name="admission-lag")
        if not self.limit.admits(self.in_flight):
            return False
        self.in_flight += 1
        return True

    def leave(self) -> None:
        self.in_flight -= 1

    async def background_turn(self, step_s: float = 0.005, most: int = 4) -> None:
        """Where background work (a batch job's chunk) waits between its pieces: while
        interactive requests are in flight and the loop lags, 5 ms at a time, at most 20 ms;
        otherwise it only yields. So the job slows down instead of the interactive requests
        (whose lag would otherwise shrink the limit and shed them)."""
        for _ in range(most):
            if self.in_flight == 0 or self.limit.last_lag_s < self.limit.low_s:
                break
            await asyncio.sleep(step_s)
        await asyncio.sleep(0)

    async def quota_wait(self, caller: str) -> float:
        """0 when the caller is within its quota, else the seconds until it is."""
        quota = self.quotas.get(caller)
        if quota is None:
            return 0.0
        return await self.buckets.take(caller, quota, time.time())

    async def _tick(self, every_s: float = 0.02) -> None:
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(every_s)
            self.limit.observe(max(0.0, loop.time() - start - every_s))

    async def aclose(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            try:
                await self._ticker
            except asyncio.CancelledError:
                pass
            self._ticker = None
