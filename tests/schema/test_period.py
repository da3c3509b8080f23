"""The scope of a check: default periods, and the bad periods refused before any call."""

from __future__ import annotations

import datetime as dt

import pytest

from connectors.catalogue import CheckKind
from schema.errors import BadUserInput
from schema.period import CheckScope, check_scope, months_before

TODAY = dt.date(2026, 11, 28)
IPO, BANKRUPTCY = CheckKind.IPO_COMPLIANCE, CheckKind.BANKRUPTCY


@pytest.mark.parametrize(("day", "months", "expected"), [
    (dt.date(2026, 11, 28), 36, dt.date(2023, 11, 28)),
    (dt.date(2024, 2, 29), 12, dt.date(2023, 2, 28)),  # no 29 February in 2023
    (dt.date(2026, 3, 31), 1, dt.date(2026, 2, 28)),
    (dt.date(2026, 1, 15), 1, dt.date(2025, 12, 15)),
    (dt.date(2026, 11, 28), 120, dt.date(2016, 11, 28)),
])
def test_months_before(day: dt.date, months: int, expected: dt.date) -> None:
    assert months_before(day, months) == expected


def test_an_ipo_check_covers_the_last_36_months_by_default() -> None:
    assert check_scope(IPO, None, None, None, TODAY) == CheckScope(dt.date(2023, 11, 28), TODAY)
    until = dt.date(2025, 6, 30)
    assert check_scope(IPO, None, until, None, TODAY) == CheckScope(dt.date(2022, 6, 30), until)


def test_a_bankruptcy_check_takes_everything_held_and_its_base_date() -> None:
    base = dt.date(2026, 11, 20)
    assert check_scope(BANKRUPTCY, None, None, base, TODAY) == CheckScope(None, TODAY, base)


def test_a_period_of_exactly_ten_years_is_accepted() -> None:
    scope = check_scope(IPO, dt.date(2016, 11, 28), TODAY, None, TODAY)
    assert scope.since == dt.date(2016, 11, 28)
    assert scope.covers(dt.date(2016, 11, 28)) and scope.covers(TODAY)
    assert not scope.covers(dt.date(2016, 11, 27)) and not scope.covers(dt.date(2026, 11, 29))


@pytest.mark.parametrize(("kind", "since", "until", "base", "says"), [
    (IPO, dt.date(2026, 5, 1), dt.date(2026, 4, 30), None, "since: 2026-05-01 is after until"),
    (IPO, dt.date(2016, 11, 27), None, None, "longer than 10 years"),
    (IPO, dt.date(2000, 1, 1), dt.date(2020, 1, 1), None, "longer than 10 years"),
    (IPO, None, dt.date(2026, 11, 29), None, "until: 2026-11-29 is after today"),
    (IPO, None, None, dt.date(2026, 11, 1), "bankruptcy checks only"),
    (BANKRUPTCY, None, None, dt.date(2026, 12, 1), "baseDate: 2026-12-01 is after today"),
])
def test_bad_scopes_are_refused_naming_the_argument(kind: CheckKind, since: dt.date | None,
                                                    until: dt.date | None,
                                                    base: dt.date | None, says: str) -> None:
    with pytest.raises(BadUserInput, match=says) as caught:
        check_scope(kind, since, until, base, TODAY)
    assert caught.value.code == "BAD_USER_INPUT"
