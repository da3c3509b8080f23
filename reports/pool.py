"""Report numbers reserved a block at a time: one register transaction per block, not per check.

A hub process reserves `block` numbers of a year in one transaction of the register
(`ReportStore.allocate`, serialised by the store across every process) and hands them out from
memory. A request's numbers always come from one reserved range, so a batch is consecutive; a
request that needs more than any range holds reserves a fresh range of `max(needed, block)`, and
what was left of the older ranges serves later requests. The numbers stay unique across every
process sharing the store; what changes is the order and the gaps: with several processes the
numbers of one year are not in the order of their checks, and numbers a process reserved but
had not issued when it stopped are never issued (a gap of fewer than `block`). With `block = 1`
every request reserves exactly what it needs, as the register alone does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

__all__ = ["NumberPool"]

Reserve = Callable[[int, int], Awaitable[list[str]]]  # (year, count) -> fresh numbers


class NumberPool:
    def __init__(self, reserve: Reserve, block: int) -> None:
        if not 1 <= block <= 100_000:
            raise ValueError(f"a report number block must be 1-100000 numbers, not {block}")
        self._reserve = reserve
        self.block = block
        self._ranges: dict[int, list[list[str]]] = {}  # per year: reserved, not yet issued
        self._lock = asyncio.Lock()

    async def take(self, year: int, count: int) -> list[str]:
        """`count` numbers of `year`, consecutive, never issued before by any process."""
        if count <= 0:
            return []
        taken = self._from_ranges(year, count)
        if taken is not None:
            return taken
        async with self._lock:  # one reservation at a time; others wait and then reuse it
            taken = self._from_ranges(year, count)
            if taken is not None:
                return taken
            fresh = await self._reserve(year, max(count, self.block))
            for old in [y for y in self._ranges if y < year]:
                del self._ranges[old]  # a new year: the last year's unissued numbers lapse
            if len(fresh) > count:
                self._ranges.setdefault(year, []).append(fresh[count:])
            return fresh[:count]

    def _from_ranges(self, year: int, count: int) -> list[str] | None:
        ranges = self._ranges.get(year, [])
        for i, numbers in enumerate(ranges):
            if len(numbers) >= count:
                taken, ranges[i] = numbers[:count], numbers[count:]
                if not ranges[i]:
                    del ranges[i]
                return taken
        return None
