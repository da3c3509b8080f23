"""Report numbers reserved a block at a time: unique, consecutive per request, one reservation
per block, and a block's unissued numbers never issued again."""

from __future__ import annotations

import asyncio

import pytest

from reports.pool import NumberPool


class Register:
    """An independent register: a counter per year, and a log of every reservation."""

    def __init__(self) -> None:
        self.issued: dict[int, int] = {}
        self.reservations: list[tuple[int, int]] = []

    async def reserve(self, year: int, count: int) -> list[str]:
        await asyncio.sleep(0)  # another request may come in while the register answers
        first = self.issued.get(year, 0) + 1
        self.issued[year] = first + count - 1
        self.reservations.append((year, count))
        return [f"XXHC-{year}-{n:06d}" for n in range(first, first + count)]


def seq(numbers: list[str]) -> list[int]:
    return [int(n[-6:]) for n in numbers]


async def test_single_checks_share_one_reservation_per_block() -> None:
    register = Register()
    pool = NumberPool(register.reserve, 20)
    got = [n for _ in range(45) for n in await pool.take(2026, 1)]
    assert seq(got) == list(range(1, 46))
    assert register.reservations == [(2026, 20)] * 3


async def test_a_request_gets_consecutive_numbers_and_leftovers_serve_later_requests() -> None:
    register = Register()
    pool = NumberPool(register.reserve, 10)
    assert seq(await pool.take(2026, 7)) == [1, 2, 3, 4, 5, 6, 7]
    assert seq(await pool.take(2026, 5)) == [11, 12, 13, 14, 15]  # 8-10 cannot hold five
    assert seq(await pool.take(2026, 1000)) == list(range(21, 1021))  # one reservation
    assert seq(await pool.take(2026, 3)) == [8, 9, 10]
    assert seq(await pool.take(2026, 2)) == [16, 17]
    assert register.reservations == [(2026, 10), (2026, 10), (2026, 1000)]
    assert await pool.take(2026, 0) == []


async def test_concurrent_requests_never_share_a_number_nor_reserve_twice_at_once() -> None:
    register = Register()
    pool = NumberPool(register.reserve, 8)
    batches = await asyncio.gather(*(pool.take(2026, 1 + i % 3) for i in range(60)))
    numbers = [n for b in batches for n in b]
    assert len(numbers) == len(set(numbers)) == sum(1 + i % 3 for i in range(60))
    for b in batches:
        assert seq(b) == list(range(seq(b)[0], seq(b)[0] + len(b)))
    assert sum(c for _, c in register.reservations) < len(numbers) + 8


async def test_block_one_reserves_exactly_what_each_request_needs() -> None:
    register = Register()
    pool = NumberPool(register.reserve, 1)
    assert seq(await pool.take(2026, 3)) == [1, 2, 3]
    assert seq(await pool.take(2026, 1)) == [4]
    assert register.reservations == [(2026, 3), (2026, 1)]


async def test_a_new_year_starts_its_own_count_and_the_old_block_lapses() -> None:
    register = Register()
    pool = NumberPool(register.reserve, 10)
    assert await pool.take(2026, 1) == ["XXHC-2026-000001"]
    assert await pool.take(2027, 1) == ["XXHC-2027-000001"]
    assert await pool.take(2026, 1) == ["XXHC-2026-000011"]  # 2-10 of 2026 are a gap
    assert register.reservations == [(2026, 10), (2027, 10), (2026, 10)]


async def test_a_failed_reservation_issues_nothing_and_the_next_one_is_tried_afresh() -> None:
    register = Register()
    calls = 0

    async def flaky(year: int, count: int) -> list[str]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OSError("the store is down")
        return await register.reserve(year, count)

    pool = NumberPool(flaky, 5)
    with pytest.raises(OSError):
        await pool.take(2026, 1)
    assert seq(await pool.take(2026, 2)) == [1, 2]


@pytest.mark.parametrize("block", [0, -1, 100_001])
def test_a_block_outside_1_to_100000_is_refused(block: int) -> None:
    with pytest.raises(ValueError, match="1-100000 numbers"):
        NumberPool(Register().reserve, block)
