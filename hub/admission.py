"""Admission control: shed what the hub cannot serve in time, at once and on the record.

A request is counted from the moment the endpoint sees it (before its body is read) until its
audit entry is committed. Two limits apply before any other work:

- the concurrency limit: past it the answer is 503 RATE_LIMITED with `Retry-After`. The limit
  adapts (`LagLimit`) to how busy the event loop's thread is and to how long admitted requests
  take: when the loop falls behind (its lag), its thread wants the CPU nearly all the time, or
  requests take twice as long as they did, more requests in flight would not finish more per
  second, only make each one wait longer and make shed ones slower to refuse, so the limit
  shrinks multiplicatively; while none of that holds and the limit is binding, it grows by one
  per tick. `[hub] max_in_flight` caps it.
- per-caller quotas (a token bucket per caller, `[callers.NAME] rate` and `burst`): past them
  the answer is 429 RATE_LIMITED. With several hub processes or instances the buckets live in
  Redis (`[limits] redis_url`), otherwise in the process.

Shed requests are audited, under overload as one aggregate entry per caller and second with the
count (`ShedLedger`), so a flood cannot turn the audit log into the bottleneck.
"""

from __future__ import annotations

import asyncio
import collections
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO, Protocol

__all__ = ["Admission", "LagLimit", "LocalBuckets", "Quota", "QuotaStore", "ShedLedger",
           "ThreadDemand"]


class LagLimit:
    """A concurrency limit that follows the event loop and the requests' latency (AIMD).

    Three signals shrink it multiplicatively (`decrease`):

    - the loop's lag (`observe`, every tick) over `high_s`, while the loop's thread wants the
      CPU at least `contended` of the time: a late tick with CPU to spare is a pause (a
      garbage collection, another process's turn on the core), which fewer requests in flight
      would not shorten (measured at default latencies, 100 checks/s offered: all 16 shrinks
      in 15 s came from ticks 10–25 ms late at a smoothed demand of 0.4–0.7, and a fifth of
      the requests were shed);
    - the loop thread's demand for the CPU (`observe`: the share of the tick it ran or waited
      to run, smoothed with weight `smoothing` for the newest tick) at or over `busy`: more
      requests in flight would not finish more per second, only wait longer;
    - the latency of the requests it admitted (`done`): once a window of them is complete
      (at least `window_n` requests over at least `window_s`), how much longer they took, at
      the median, than with an idle hub: the baseline (the lowest window median of the hub's
      own share of a request's latency in the last `memory_s`, so a lasting change in what
      requests cost becomes the baseline within that time) plus the request's own wait for
      departments. Over `tolerance` x, and only while the loop's thread wants the CPU at
      least `contended` of the time (then more in flight only queues work in the hub; with
      CPU to spare a slower request is the departments' own latency, which a smaller limit
      would not shorten), it shrinks in proportion (`tolerance` ÷ that median), by
      `decrease` at least and by `steepest` at most. A window closes early when its last
      `trip_n` requests each took over `trip` x that with the CPU contended: a flood's first
      requests.

    It grows by one per tick while it is binding (requests were refused at it since the last
    tick), the loop keeps up (lag under `low_s`), has CPU to spare and the last latency window
    had headroom (its median at most `grow_below` x; between that and `tolerance` the limit
    holds). With the CPU contended it grows by one and then waits for a window of requests
    finished at the new limit, or `probe_ticks` ticks (`probing`): growing every 20 ms tick
    overshot to several times what the CPU could serve before a 100 ms window said so. So it
    is meant to settle at the concurrency that just keeps the hub and its departments busy:
    two when the departments answer at once and the hub's CPU is what runs out (the hub's
    floor, `Admission.FLOOR`), many more when they are slow.
    """

    def __init__(self, ceiling: int, *, floor: int = 1, initial: int | None = None,
                 high_s: float = 0.010, low_s: float = 0.003, decrease: float = 0.75,
                 busy: float = 0.9, smoothing: float = 0.5, tolerance: float = 2.0,
                 grow_below: float = 1.25, contended: float = 0.6, window_n: int = 16,
                 window_s: float = 0.1, memory_s: float = 30.0, steepest: float = 0.5,
                 trip: float = 3.0, trip_n: int = 4, probe_ticks: int = 12) -> None:
        self.ceiling = ceiling
        self.floor = min(floor, ceiling)
        self.limit = float(min(ceiling, initial if initial is not None else ceiling))
        self.high_s = high_s
        self.low_s = low_s
        self.decrease = decrease
        self.steepest = steepest  # the most one latency window may shrink it by
        self.busy = busy
        self.smoothing = smoothing
        self.tolerance = tolerance
        self.grow_below = grow_below
        self.contended = contended
        self.window_n = window_n
        self.window_s = window_s
        self.memory_s = memory_s
        self.trip = trip
        self.trip_n = trip_n
        self.probe_ticks = probe_ticks
        self.cpu_share = 0.0
        self.binding = False  # refused at the limit since the last tick
        # The last tick's lag as the loop's own clock saw it (`Admission.background_turn`
        # reads it; uvloop's clock moves in whole milliseconds and is read at the start of a
        # loop pass, so it shows less lag than `lag_s`: the batch job's pacing was tuned on it).
        self.last_lag_s = 0.0
        self.headroom = True  # the last latency window was near the baseline
        # Grown while the CPU was contended: no more growth until a latency window of
        # requests admitted at the new limit has been seen, or `probe_ticks` ticks went by
        # (requests that take long, at a low limit, would fill a window only after seconds).
        self.probing = False
        self._probe_left = 0
        self._window: list[tuple[float, float]] = []  # (own seconds, waited seconds)
        self._window_start: float | None = None
        self._medians: collections.deque[tuple[float, float]] = collections.deque()

    @property
    def baseline_s(self) -> float | None:
        """The lowest window median remembered, or None before the first window."""
        return min((m for _, m in self._medians), default=None)

    def observe(self, lag_s: float, cpu_share: float = 0.0,
                loop_lag_s: float | None = None) -> None:
        """One tick of the loop's lag and its thread's CPU demand (`loop_lag_s`: the lag on
        the loop's clock, when it differs)."""
        self.last_lag_s = lag_s if loop_lag_s is None else loop_lag_s
        self.cpu_share += self.smoothing * (cpu_share - self.cpu_share)
        if self.probing:
            self._probe_left -= 1
            self.probing = self._probe_left > 0
        if self.cpu_share >= self.busy or (lag_s > self.high_s
                                           and self.cpu_share >= self.contended):
            self.limit = max(float(self.floor), self.limit * self.decrease)
        elif (lag_s < self.low_s and self.binding and not self.probing
              and (self.headroom or self.cpu_share < self.contended)):
            # With CPU to spare there is headroom whatever the last window said: it may have
            # closed while the CPU was busy, and at a low limit with slow departments the
            # next one takes seconds to fill.
            self.limit = min(float(self.ceiling), self.limit + 1)
            if self.cpu_share >= self.contended:
                # One more in flight may only queue work in the hub: see what it does to
                # latency (a fresh window) before growing again. A tick is 20 ms and a window
                # 100 ms or more, so growing every tick overshot to several times the
                # concurrency the CPU could serve before the first window said so.
                self.probing = True
                self._probe_left = self.probe_ticks
                self._window.clear()
                self._window_start = None
        self.binding = False

    def done(self, seconds: float, now: float, waited: float = 0.0) -> None:
        """An admitted request finished after `seconds` of its own (the hub's share of its
        latency) and `waited` seconds in which it only waited for departments; `now` is a
        monotonic clock.

        Windows compare each request's latency with what it would have taken with an idle
        hub, the baseline (the lowest window median of the hub's share) plus its own wait:
        a request that waited 400 ms for a department is slowed by 8 ms of queueing in the
        hub by 2%, a request that waited for nothing, by twice. So slower departments
        neither shrink the limit nor stop it growing; the hub's own queueing does."""
        if self._window_start is None:
            self._window_start = now
        self._window.append((seconds, waited))
        window = self._window
        if len(window) < self.window_n or now - self._window_start < self.window_s:
            # A flood's first requests: do not wait for a whole window while the last few
            # took several times the baseline with the CPU contended (`trip`, `trip_n`). The
            # cheap tests first: this runs for every request that finishes.
            if len(window) < self.trip_n or self.cpu_share < self.contended:
                return
            baseline = self.baseline_s
            if (baseline is None
                    or min(_slowed(r, baseline) for r in window[-self.trip_n:]) <= self.trip):
                return
            window = window[-self.trip_n:]
        median = statistics.median(own for own, _ in window)
        self._window = []  # `window` keeps this one's requests
        self._window_start = None  # the next request to finish opens the next window
        self.probing = False
        while self._medians and self._medians[0][0] < now - self.memory_s:
            self._medians.popleft()
        self._medians.append((now, median))
        baseline = min(m for _, m in self._medians)
        slowed = statistics.median(_slowed(r, baseline) for r in window)
        # Latency counts only while the loop's thread is busy (`contended`): then a slower
        # median is requests queueing in the hub. With CPU to spare it is the departments
        # taking longer, which fewer requests in flight would not cure, only starve.
        contended = self.cpu_share >= self.contended
        self.headroom = not contended or slowed <= self.grow_below
        if contended and slowed > self.tolerance:
            # In proportion to the overshoot (a median 4x the baseline halves the limit), at
            # least by `decrease`: when a flood begins, the limit it meets was set for lighter
            # load, and one window per step of `decrease` let the first half second queue.
            factor = max(self.steepest, self.tolerance / slowed)
            self.limit = max(float(self.floor), self.limit * min(self.decrease, factor))

    def admits(self, in_flight: int) -> bool:
        if in_flight < int(self.limit):
            return True
        self.binding = True
        return False


def _slowed(request: tuple[float, float], baseline: float) -> float:
    """How many times longer a request (own seconds, waited seconds) took than it would have
    with the hub's share at `baseline`."""
    own, waited = request
    return (own + waited) / max(baseline + waited, 1e-9)


class ThreadDemand:
    """Seconds the calling thread has wanted the CPU: on it, or runnable and waiting for it.

    On Linux from `/proc/thread-self/schedstat` (time on the CPU, time waiting on a run
    queue), so a loop starved by other processes on a shared machine still reads as busy;
    elsewhere its CPU time only. Call it from the thread it measures."""

    def __init__(self, path: str = "/proc/thread-self/schedstat") -> None:
        try:
            self._file: IO[bytes] | None = open(path, "rb", buffering=0)
            self()
        except (OSError, ValueError, IndexError):
            self._file = None

    def __call__(self) -> float:
        if self._file is None:
            return time.thread_time()
        self._file.seek(0)
        running_ns, waiting_ns = self._file.read(128).split()[:2]
        return (int(running_ns) + int(waiting_ns)) / 1e9

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


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
    """The in-flight count, the adaptive limit and the quotas of one endpoint.

    The limit never goes below `FLOOR` (2), however busy the loop. Even departments that
    answer at once take a call's time in their own process, and with one request in flight
    the loop has nothing to do meanwhile. Measured with a floor of one against two (bench, 2
    cores, zero department latency, alternated pairs; bench/README.md, Phase 8):

    - eight closed-loop clients: the limit sat at a median of 1.0-1.2 and the hub served
      108-127 checks/s; with two, 134-152. The hub's CPU per check over the direct gather's
      (`cpu.ratio`) fell from 3.32-3.45 to 2.49-3.13;
    - a 4x flood: the hub accepted 106-162 checks/s, with two 131-203; the accepted p99 rose
      from 1.05-1.28 to 1.61-1.77 times the unloaded one (the target is 2); the excess was
      still shed within 50 ms, with no other error.
    """

    FLOOR = 2

    def __init__(self, max_in_flight: int, quotas: Mapping[str, Quota],
                 buckets: QuotaStore | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 on_tick: Callable[[float, float], None] | None = None) -> None:
        """`on_tick(limit, cpu_share)` is told the limit and the loop thread's smoothed CPU
        demand now and after every tick (the metrics)."""
        self.in_flight = 0
        self.on_tick = on_tick
        self.limit = LagLimit(max_in_flight, floor=self.FLOOR)
        if on_tick is not None:
            on_tick(self.limit.limit, self.limit.cpu_share)  # before the first request's tick
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

    def leave(self, seconds: float | None = None, waited: float = 0.0) -> None:
        """One admitted request is done (its audit entry committed), `seconds` after it was
        admitted, `waited` of them only waiting for departments (None: do not count it in
        the latency the limit follows)."""
        self.in_flight -= 1
        if seconds is not None:
            self.limit.done(seconds - waited, self.clock(), waited)

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
        # time.perf_counter for the limit: uvloop's clock moves in whole milliseconds.
        loop = asyncio.get_running_loop()
        demand = ThreadDemand()  # this coroutine runs on the loop's thread
        try:
            while True:
                start, wanted, loop_start = time.perf_counter(), demand(), loop.time()
                await asyncio.sleep(every_s)
                wall = time.perf_counter() - start
                share = (demand() - wanted) / wall if wall > 0 else 0.0
                self.limit.observe(max(0.0, wall - every_s), min(1.0, share),
                                   max(0.0, loop.time() - loop_start - every_s))
                if self.on_tick is not None:
                    self.on_tick(self.limit.limit, self.limit.cpu_share)
        finally:
            demand.close()

    async def aclose(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            try:
                await self._ticker
            except asyncio.CancelledError:
                pass
            self._ticker = None
