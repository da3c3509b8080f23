"""Working-day deadlines, checked against days counted by hand from the State Council's notices
(国办发明电〔2025〕7号 for 2026) and a calendar."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from objection.workdays import CalendarInvalid, load_calendar, parse_calendar

CALENDAR = load_calendar()


def china(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text + "+08:00")


@pytest.mark.parametrize("received, expected", [
    # Monday: Tue-Fri are 1-4, the next Monday the 5th; due by its end.
    ("2026-11-23T10:00:00", "2026-12-01T00:00:00"),
    # The eve of National Day: 1-7 October off, Saturday 10 October worked.
    ("2026-09-30T16:00:00", "2026-10-14T00:00:00"),
    # Friday before the Spring Festival: Sat 14 Feb worked, 15-23 Feb off.
    ("2026-02-13T09:00:00", "2026-02-28T00:00:00"),
    # New Year: 1-3 January off, Sunday 4 January worked.
    ("2025-12-31T09:00:00", "2026-01-09T00:00:00"),
    # Labour Day 2025: Sunday 27 April worked (1), 28-30 April (2-4), 1-5 May off, 6 May (5).
    ("2025-04-25T09:00:00", "2025-05-07T00:00:00"),
])
def test_five_working_days_after_receipt(received: str, expected: str) -> None:
    assert CALENDAR.deadline(china(received), 5) == china(expected)


def test_the_day_of_receipt_is_the_day_in_china() -> None:
    # 17:00 UTC on Friday 27 November is 01:00 on Saturday 28 November in China.
    received = dt.datetime(2026, 11, 27, 17, 0, tzinfo=dt.UTC)
    assert CALENDAR.deadline(received, 5) == china("2026-12-05T00:00:00")
    assert CALENDAR.deadline(received, 1) == china("2026-12-01T00:00:00")


def test_a_year_without_data_knows_weekends_and_the_fixed_holidays_and_says_so() -> None:
    assert not CALENDAR.covers(2027) and CALENDAR.covers(2026)
    # Friday 30 April 2027: 1-2 May are fixed holidays (a weekend anyway), 3-7 May worked.
    assert CALENDAR.deadline(china("2027-04-30T09:00:00"), 5) == china("2027-05-08T00:00:00")
    assert not CALENDAR.is_working_day(dt.date(2027, 10, 1))
    assert CALENDAR.is_working_day(dt.date(2027, 10, 4))


def test_a_deadline_is_at_least_a_day() -> None:
    with pytest.raises(ValueError, match="at least one"):
        CALENDAR.deadline(china("2026-11-23T10:00:00"), 0)


@pytest.mark.parametrize("raw, words", [
    ({"twenty": {}}, "a table per year"),
    ({"2026": {"holidays": ["2026-13-01"]}}, "not a date"),
    ({"2026": {"holidays": ["2026-12-30..2027-01-02"]}}, "within 2026"),
    ({"2026": {"holidays": ["2026-10-01"], "workdays": ["2026-10-01"]}}, "both a holiday"),
    ({"2026": {"workdays": ["2026-11-25"]}}, "is a weekday already"),
    ({"2026": {"days": []}}, "takes notice, holidays and workdays"),
    ({"2026": {"holidays": "2026-10-01"}}, "a list of dates"),
])
def test_a_bad_holiday_file_is_refused_naming_the_fault(raw: dict[str, object],
                                                        words: str) -> None:
    with pytest.raises(CalendarInvalid, match=words):
        parse_calendar(raw)


def test_a_holiday_file_that_is_not_toml_or_not_there_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "h.toml"
    bad.write_text("[2026\n", encoding="utf-8")
    with pytest.raises(CalendarInvalid, match="not valid TOML"):
        load_calendar(bad)
    with pytest.raises(CalendarInvalid, match="no such holiday file"):
        load_calendar(tmp_path / "missing.toml")


def test_the_objection_calendar_agrees_with_the_consoles_every_day() -> None:
    """Two holiday files, one calendar: until they are one, they must say the same."""
    from hub.console.workdays import WorkCalendar as ConsoleCalendar

    console = ConsoleCalendar.load()
    day = dt.date(2024, 1, 1)
    while day <= dt.date(2026, 12, 31):
        worked = day not in console.holidays and (day.weekday() < 5 or day in console.workdays)
        assert CALENDAR.is_working_day(day) is worked, day
        day += dt.timedelta(days=1)
