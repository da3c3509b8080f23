"""The working-day calendar of the People's Republic of China, from the State Council's notices.

A working day is a Monday to Friday that is not a public holiday, or a Saturday or Sunday that
the State Council made a working day (调休上班). The holidays come from a data file with one
table per year (the bundled `holidays-cn.toml`, or a deployment's own with later years): the
notice it follows, each holiday's days by name, and the weekend days worked. For a year the file
does not hold, the calendar knows only weekends and the fixed-date holidays of the law
(全国年节及纪念日放假办法: 1 January, 1-2 May, 1-3 October) and says so (`covers`), so that the
hub can warn that its holidays are out of date.

Two readings serve the hub. `deadline` counts N working days from the day after receipt (an
objection received on a Monday with 5 days is due by the end of the following Monday, if no
holiday intervenes) and returns the first instant after the last day, 00:00 China time.
`working_time` says whether a local time falls in working hours of a working day (the console's
out-of-hours rule), and `holiday` names the holiday a day off belongs to.

A malformed file raises `CalendarInvalid`, whose message names the file, the year and the entry;
the configuration readers put the configuration key in front.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["BUNDLED", "CHINA", "CalendarInvalid", "WorkCalendar", "load_calendar",
           "parse_calendar"]

CHINA = dt.timezone(dt.timedelta(hours=8))  # Asia/Shanghai: no daylight saving since 1991
BUNDLED = "holidays-cn.toml"
# The solar-date holidays of the law (as amended in 2024), for years the file does not hold.
_FIXED = {(1, 1): "元旦", (5, 1): "劳动节", (5, 2): "劳动节", (10, 1): "国庆节",
          (10, 2): "国庆节", (10, 3): "国庆节"}
_YEAR_KEYS = ("notice", "holidays", "workdays")
_LONGEST = 31  # days in one holiday's run, weekends included


class CalendarInvalid(ValueError):
    """A holiday file is malformed or missing; the message names the file and the entry."""


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    holidays: Mapping[dt.date, str]  # day off -> the holiday's name
    workdays: frozenset[dt.date]  # weekend days that are working days
    notices: Mapping[int, str]  # year covered -> the notice its days follow

    def covers(self, year: int) -> bool:
        return year in self.notices

    def holiday(self, day: dt.date) -> str | None:
        """The name of the public holiday `day` is off for (None: not a holiday)."""
        if not self.covers(day.year):
            return _FIXED.get((day.month, day.day))
        return self.holidays.get(day)

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and self.holiday(day) is None

    def working_time(self, local: dt.datetime, start: dt.time, end: dt.time) -> bool:
        """Whether `local` (a wall-clock time in China) is in working hours of a working day."""
        return self.is_working_day(local.date()) and start <= local.time() < end

    def deadline(self, received: dt.datetime, working_days: int) -> dt.datetime:
        """The first instant after the last of `working_days` working days after receipt."""
        if working_days < 1:
            raise ValueError("a deadline is at least one working day")
        day = received.astimezone(CHINA).date()
        left = working_days
        while left:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), CHINA)


def _run(where: str, year: int, entry: Any) -> list[dt.date]:
    """The days of "YYYY-MM-DD" or "FIRST..LAST" (both included), within `year`."""
    if not isinstance(entry, str):
        raise CalendarInvalid(f"{where}: write the dates as text, \"YYYY-MM-DD\" or "
                              "\"YYYY-MM-DD..YYYY-MM-DD\"")
    first, _, last = entry.partition("..")
    try:
        start = dt.date.fromisoformat(first.strip())
        end = dt.date.fromisoformat(last.strip()) if last else start
    except ValueError:
        raise CalendarInvalid(f"{where}: {entry!r} is not a date or a range of dates "
                              "(YYYY-MM-DD..YYYY-MM-DD)") from None
    if end < start or start.year != year or end.year != year:
        raise CalendarInvalid(f"{where}: {entry!r} is not a range within {year}")
    if (end - start).days >= _LONGEST:
        raise CalendarInvalid(f"{where}: {entry!r} is longer than {_LONGEST} days")
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def _year(where: str, year: int, table: Any, holidays: dict[dt.date, str],
          workdays: set[dt.date]) -> str:
    """Read one year's table into `holidays` and `workdays`; its notice."""
    here = f"{where}: {year}"
    if not isinstance(table, Mapping):
        raise CalendarInvalid(f"{here}: must be a table [{year}] with {', '.join(_YEAR_KEYS)}")
    unknown = sorted(set(table) - set(_YEAR_KEYS))
    if unknown:
        raise CalendarInvalid(f"{here}.{unknown[0]}: unknown key (known: "
                              f"{', '.join(_YEAR_KEYS)})")
    notice = table.get("notice", "")
    if not isinstance(notice, str):
        raise CalendarInvalid(f"{here}.notice: the notice's number as text, e.g. "
                              "\"国办发明电〔2025〕7号\"")
    named = table.get("holidays", {})
    if not isinstance(named, Mapping):
        raise CalendarInvalid(f"{here}.holidays: a table of holiday names and their days, "
                              f"e.g. [{year}.holidays] \"国庆节\" = \"{year}-10-01..{year}-10-07\"")
    for name, days in named.items():
        if not name.strip():
            raise CalendarInvalid(f"{here}.holidays: a holiday needs a name")
        for day in _run(f"{here}.holidays.{name}", year, days):
            if day in holidays:
                raise CalendarInvalid(f"{here}.holidays.{name}: {day} is also "
                                      f"{holidays[day]}")
            holidays[day] = name
    listed = table.get("workdays", [])
    if not isinstance(listed, list):
        raise CalendarInvalid(f"{here}.workdays: a list of dates, e.g. [\"{year}-10-10\"]")
    for entry in listed:
        for day in _run(f"{here}.workdays", year, entry):
            if day.weekday() < 5:
                raise CalendarInvalid(f"{here}.workdays: {day} is a weekday already; list only "
                                      "the Saturdays and Sundays that are worked")
            if day in holidays:
                raise CalendarInvalid(f"{here}.workdays: {day} is also a holiday "
                                      f"({holidays[day]})")
            workdays.add(day)
    return notice


def parse_calendar(raw: Mapping[str, Any], where: str = BUNDLED) -> WorkCalendar:
    """The calendar in a parsed holiday file; raise `CalendarInvalid` naming the bad entry
    (`where` names the file in the message)."""
    holidays: dict[dt.date, str] = {}
    workdays: set[dt.date] = set()
    notices: dict[int, str] = {}
    for key, table in raw.items():
        if not key.isdigit() or not 1990 <= int(key) <= 2200:
            raise CalendarInvalid(f"{where}: {key}: unknown table; write one table per year, "
                                  "e.g. [2026]")
        notices[int(key)] = _year(where, int(key), table, holidays, workdays)
    return WorkCalendar(holidays, frozenset(workdays), notices)


def load_calendar(path: Path | None = None) -> WorkCalendar:
    """The bundled calendar, or the one in `path`; raise `CalendarInvalid` naming the fault."""
    where = BUNDLED if path is None else str(path)
    try:
        text = (resources.files("workdays").joinpath(BUNDLED).read_text("utf-8")
                if path is None else path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CalendarInvalid(f"{where}: no such holiday file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CalendarInvalid(f"{where}: cannot read the holiday file ({exc})") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CalendarInvalid(f"{where}: not valid TOML ({exc})") from None
    return parse_calendar(raw, where)
