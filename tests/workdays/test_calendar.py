"""The working-day calendar: the bundled holiday file against an independent oracle, deadlines
counted by hand from the State Council's notices, working hours at their boundaries, years the
file does not hold, and bad files refused naming the entry."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from workdays.calendar import CHINA, CalendarInvalid, load_calendar, parse_calendar

CALENDAR = load_calendar()
SHANGHAI = ZoneInfo("Asia/Shanghai")


def china(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text + "+08:00")


# -- the bundled file ------------------------------------------------------------------------


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_the_bundled_calendar_agrees_with_chinese_calendar_every_day(year: int) -> None:
    """chinese-calendar is maintained from the State Council's notices independently of us."""
    assert CALENDAR.covers(year)
    day = dt.date(year, 1, 1)
    while day.year == year:
        assert CALENDAR.is_working_day(day) == chinese_calendar.is_workday(day), day
        day += dt.timedelta(days=1)


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_every_holiday_is_named_as_chinese_calendar_names_it(year: int) -> None:
    """The console shows the holiday's name; chinese-calendar knows each day off's festival."""
    names = {"New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
             "Labour Day": "劳动节", "Dragon Boat Festival": "端午节",
             "Mid-autumn Festival": "中秋节", "National Day": "国庆节"}
    day = dt.date(year, 1, 1)
    while day.year == year:
        on_holiday, festival = chinese_calendar.get_holiday_detail(day)
        if on_holiday and festival is not None:
            named = CALENDAR.holiday(day)
            assert named is not None and names[festival] in named, (day, festival, named)
        day += dt.timedelta(days=1)


def test_known_days_and_their_names() -> None:
    assert not CALENDAR.is_working_day(dt.date(2026, 10, 1))  # National Day
    assert CALENDAR.holiday(dt.date(2026, 10, 1)) == "国庆节"
    assert CALENDAR.holiday(dt.date(2025, 10, 6)) == "国庆节、中秋节"  # one run, two festivals
    assert CALENDAR.is_working_day(dt.date(2026, 10, 10))  # a Saturday worked instead
    assert CALENDAR.holiday(dt.date(2026, 10, 10)) is None
    assert not CALENDAR.is_working_day(dt.date(2026, 11, 28))  # a plain Saturday
    assert CALENDAR.holiday(dt.date(2026, 11, 28)) is None  # a weekend is not a holiday
    assert CALENDAR.is_working_day(dt.date(2026, 11, 27))  # a plain Friday
    assert CALENDAR.notices[2026] == "国办发明电〔2025〕7号"


# -- years the file does not hold ------------------------------------------------------------


def test_a_year_without_data_knows_weekends_and_the_fixed_holidays_and_says_so() -> None:
    assert not CALENDAR.covers(2027) and CALENDAR.covers(2026)
    # Friday 30 April 2027: 1-2 May are fixed holidays (a weekend anyway), 3-7 May worked.
    assert CALENDAR.deadline(china("2027-04-30T09:00:00"), 5) == china("2027-05-08T00:00:00")
    assert not CALENDAR.is_working_day(dt.date(2027, 10, 1))  # a Friday, National Day
    assert CALENDAR.holiday(dt.date(2027, 10, 1)) == "国庆节"
    assert CALENDAR.is_working_day(dt.date(2027, 10, 4))  # the Golden Week is not known yet
    assert CALENDAR.is_working_day(dt.date(2031, 3, 3))  # a plain Monday


# -- deadlines -------------------------------------------------------------------------------


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
    assert CALENDAR.deadline(received, 1).tzinfo == CHINA


def test_a_deadline_is_at_least_a_day() -> None:
    with pytest.raises(ValueError, match="at least one"):
        CALENDAR.deadline(china("2026-11-23T10:00:00"), 0)


# -- working hours ---------------------------------------------------------------------------


@pytest.mark.parametrize(("clock", "working"), [
    ("08:29:59", False), ("08:30:00", True), ("12:00:00", True), ("17:59:59", True),
    ("18:00:00", False), ("23:30:00", False), ("00:00:00", False)])
def test_working_hours_boundaries(clock: str, working: bool) -> None:
    moment = dt.datetime.fromisoformat(f"2026-11-27T{clock}").replace(tzinfo=SHANGHAI)
    assert CALENDAR.working_time(moment, dt.time(8, 30), dt.time(18)) is working


def test_a_holiday_is_not_working_time_at_noon_and_a_worked_saturday_is() -> None:
    hours = (dt.time(8, 30), dt.time(18))
    assert not CALENDAR.working_time(dt.datetime(2026, 10, 2, 12, tzinfo=SHANGHAI), *hours)
    assert CALENDAR.working_time(dt.datetime(2026, 10, 10, 12, tzinfo=SHANGHAI), *hours)


# -- bad files -------------------------------------------------------------------------------


@pytest.mark.parametrize("raw, words", [
    ({"twenty": {}}, r"cal\.toml: twenty: unknown table; write one table per year"),
    ({"1700": {}}, r"1700: unknown table"),
    ({"2026": []}, r"cal\.toml: 2026: must be a table \[2026\]"),
    ({"2026": {"days": []}}, r"2026\.days: unknown key \(known: notice, holidays, workdays\)"),
    ({"2026": {"notice": 7}}, r"2026\.notice: the notice's number as text"),
    ({"2026": {"holidays": ["2026-10-01"]}}, r"2026\.holidays: a table of holiday names"),
    ({"2026": {"holidays": {" ": "2026-10-01"}}}, r"2026\.holidays: a holiday needs a name"),
    ({"2026": {"holidays": {"国庆节": "2026-13-01"}}},
     r"2026\.holidays\.国庆节: '2026-13-01' is not a date"),
    ({"2026": {"holidays": {"国庆节": dt.date(2026, 10, 1)}}},
     r"2026\.holidays\.国庆节: write the dates as text"),
    ({"2026": {"holidays": {"元旦": "2026-12-30..2027-01-02"}}}, r"not a range within 2026"),
    ({"2026": {"holidays": {"国庆节": "2026-10-07..2026-10-01"}}}, r"not a range within 2026"),
    ({"2026": {"holidays": {"国庆节": "2026-09-01..2026-10-07"}}}, r"longer than 31 days"),
    ({"2026": {"holidays": {"中秋节": "2026-10-01", "国庆节": "2026-10-01..2026-10-07"}}},
     r"2026\.holidays\.国庆节: 2026-10-01 is also 中秋节"),
    ({"2026": {"holidays": {"国庆节": "2026-10-01"}, "workdays": ["2026-10-01"]}},
     r"2026\.workdays: 2026-10-01 is a weekday already"),
    ({"2026": {"holidays": {"国庆节": "2026-10-10"}, "workdays": ["2026-10-10"]}},
     r"2026\.workdays: 2026-10-10 is also a holiday \(国庆节\)"),
    ({"2026": {"workdays": ["2026-11-25"]}}, r"2026\.workdays: 2026-11-25 is a weekday already"),
    ({"2026": {"workdays": "2026-10-10"}}, r"2026\.workdays: a list of dates"),
])
def test_a_bad_holiday_file_is_refused_naming_the_entry(raw: dict[str, Any], words: str
                                                        ) -> None:
    with pytest.raises(CalendarInvalid, match=words):
        parse_calendar(raw, "cal.toml")


def test_a_holiday_file_that_is_not_toml_or_not_there_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "h.toml"
    bad.write_text("[2026\n", encoding="utf-8")
    with pytest.raises(CalendarInvalid, match=r"h\.toml: not valid TOML"):
        load_calendar(bad)
    with pytest.raises(CalendarInvalid, match=r"missing\.toml: no such holiday file"):
        load_calendar(tmp_path / "missing.toml")
    bad.write_bytes(b"\xff\xfe[2026]")
    with pytest.raises(CalendarInvalid, match=r"h\.toml: cannot read"):
        load_calendar(bad)


def test_a_deployments_file_with_a_later_year_is_read(tmp_path: Path) -> None:
    later = tmp_path / "later.toml"
    later.write_text('[2027]\nnotice = "国办发明电〔2026〕X号"\nworkdays = ["2027-02-20"]\n'
                     '[2027.holidays]\n"春节" = "2027-02-06..2027-02-13"\n', encoding="utf-8")
    calendar = load_calendar(later)
    assert calendar.covers(2027) and not calendar.covers(2026)
    assert calendar.holiday(dt.date(2027, 2, 8)) == "春节"
    assert not calendar.is_working_day(dt.date(2027, 2, 8))  # a Monday off
    assert calendar.is_working_day(dt.date(2027, 2, 20))  # a Saturday worked
    assert calendar.is_working_day(dt.date(2027, 5, 3))  # not listed: an ordinary Monday
