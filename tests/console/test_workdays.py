"""The working-day calendar: the bundled holiday file against an independent oracle, the
boundaries of working hours, and a bad file refused naming its entry."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from hub.config.errors import ConfigError
from hub.console.workdays import WorkCalendar, working_time

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_the_bundled_calendar_agrees_with_chinese_calendar_every_day(year: int) -> None:
    """chinese-calendar is maintained from the State Council's notices independently of us."""
    calendar = WorkCalendar.load()
    assert calendar.covers(year)
    day = dt.date(year, 1, 1)
    while day.year == year:
        assert calendar.is_working_day(day) == chinese_calendar.is_workday(day), day
        day += dt.timedelta(days=1)


def test_known_days() -> None:
    calendar = WorkCalendar.load()
    assert not calendar.is_working_day(dt.date(2026, 10, 1))  # National Day
    assert calendar.holidays[dt.date(2026, 10, 1)] == "国庆节"
    assert calendar.is_working_day(dt.date(2026, 10, 10))  # a Saturday worked instead
    assert not calendar.is_working_day(dt.date(2026, 11, 28))  # a plain Saturday
    assert calendar.is_working_day(dt.date(2026, 11, 27))  # a plain Friday
    assert not calendar.covers(2031)
    assert calendar.is_working_day(dt.date(2031, 3, 3))  # uncovered years: weekdays work


@pytest.mark.parametrize(("clock", "working"), [
    ("08:29:59", False), ("08:30:00", True), ("12:00:00", True), ("17:59:59", True),
    ("18:00:00", False), ("23:30:00", False), ("00:00:00", False)])
def test_working_hours_boundaries(clock: str, working: bool) -> None:
    moment = dt.datetime.fromisoformat(f"2026-11-27T{clock}").replace(tzinfo=SHANGHAI)
    assert working_time(moment, WorkCalendar.load(), dt.time(8, 30), dt.time(18)) is working


def test_a_holiday_is_not_working_time_at_noon() -> None:
    noon = dt.datetime(2026, 10, 2, 12, tzinfo=SHANGHAI)
    assert not working_time(noon, WorkCalendar.load(), dt.time(8, 30), dt.time(18))


@pytest.mark.parametrize(("raw", "named"), [
    ({"holiday": [{"from": dt.date(2026, 1, 1), "to": dt.date(2026, 1, 1)}]},
     r"holiday 1: give its name"),
    ({"holiday": [{"name": "x", "from": "2026-01-01", "to": dt.date(2026, 1, 1)}]},
     r"holiday 1 \(x\): `from` and `to` must be dates"),
    ({"holiday": [{"name": "x", "from": dt.date(2026, 1, 3), "to": dt.date(2026, 1, 1)}]},
     r"holiday 1 \(x\): `to` must be from `from` to 31 days after it"),
    ({"workday": [{"date": dt.date(2026, 10, 9)}]}, r"workday 1: 2026-10-09 is a weekday"),
    ({"workday": [{"date": dt.datetime(2026, 10, 10, 8)}]}, r"workday 1: `date` must be a date"),
    ({"holiday": [{"name": "x", "from": dt.date(2026, 10, 10), "to": dt.date(2026, 10, 10)}],
      "workday": [{"date": dt.date(2026, 10, 10)}]}, r"workday 1: 2026-10-10 is also a holiday"),
    ({"holidays": []}, r"holidays: unknown table \(known: holiday, workday\)"),
    ({"holiday": {"name": "x"}}, r"holiday: write each as a \[\[holiday\]\] table"),
])
def test_a_bad_calendar_entry_is_named(raw: dict[str, object], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        WorkCalendar.parse(raw, "cal.toml")
