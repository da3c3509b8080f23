"""Working days in China Standard Time, and the deadline of an objection counted in them.

A working day is a Monday to Friday that is not a public holiday, or a Saturday or Sunday that
the State Council made a working day (调休上班). The holidays come from a data file, one table
per year (`objection/holidays.toml`, or a deployment's own); for a year the file does not hold,
the calendar knows only weekends and the fixed-date holidays of the law (全国年节及纪念日放假办法:
1 January, 1-2 May, 1-3 October) and says so (`WorkCalendar.covers`), so that the hub can warn.

A deadline of N working days runs from the day after the day of receipt: an objection received on
a Monday with a 5-day deadline must be answered by the end of the following Monday (if no
holiday intervenes). `deadline` returns the first instant after that last day, 00:00 the next
day, China time; an objection still open at that instant is overdue.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["CHINA", "CalendarInvalid", "WorkCalendar", "load_calendar", "parse_calendar"]

CHINA = dt.timezone(dt.timedelta(hours=8))  # Asia/Shanghai: no daylight saving since 1991
_FIXED = ((1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3))


class CalendarInvalid(ValueError):
    """A holiday file is malformed; the message names the year and the entry."""


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]  # weekend days that are working days
    years: frozenset[int]  # the years the data cover
    notices: Mapping[int, str]

    def covers(self, year: int) -> bool:
        return year in self.years

    def is_working_day(self, day: dt.date) -> bool:
        if day.year not in self.years:
            return day.weekday() < 5 and (day.month, day.day) not in _FIXED
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

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


def _days(year: int, key: str, entries: Any) -> set[dt.date]:
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        raise CalendarInvalid(f"{year}.{key}: a list of dates (YYYY-MM-DD or FIRST..LAST)")
    out: set[dt.date] = set()
    for entry in entries:
        first, _, last = entry.partition("..")
        try:
            start = dt.date.fromisoformat(first)
            end = dt.date.fromisoformat(last) if last else start
        except ValueError:
            raise CalendarInvalid(f"{year}.{key}: {entry!r} is not a date or a range of "
                                  "dates (YYYY-MM-DD..YYYY-MM-DD)") from None
        if end < start or start.year != year or end.year != year:
            raise CalendarInvalid(f"{year}.{key}: {entry!r} is not a range within {year}")
        out.update(start + dt.timedelta(days=i) for i in range((end - start).days + 1))
    return out


def parse_calendar(raw: Mapping[str, Any]) -> WorkCalendar:
    holidays: set[dt.date] = set()
    workdays: set[dt.date] = set()
    notices: dict[int, str] = {}
    for key, table in raw.items():
        if not key.isdigit() or not 1990 <= int(key) <= 2200:
            raise CalendarInvalid(f"{key}: a table per year, e.g. [2026]")
        year = int(key)
        if not isinstance(table, Mapping) or set(table) - {"notice", "holidays", "workdays"}:
            raise CalendarInvalid(f"{year}: takes notice, holidays and workdays")
        off, on = _days(year, "holidays", table.get("holidays", [])), \
            _days(year, "workdays", table.get("workdays", []))
        if off & on:
            raise CalendarInvalid(f"{year}: {min(off & on)} is both a holiday and a workday")
        weekday = sorted(d for d in on if d.weekday() < 5)
        if weekday:
            raise CalendarInvalid(f"{year}.workdays: {weekday[0]} is a weekday already; list "
                                  "only weekend days that are worked")
        holidays |= off
        workdays |= on
        notices[year] = str(table.get("notice", ""))
    return WorkCalendar(frozenset(holidays), frozenset(workdays), frozenset(notices), notices)


def load_calendar(path: Path | None = None) -> WorkCalendar:
    """The packaged calendar, or the one in `path`; raise `CalendarInvalid` naming the fault."""
    try:
        text = (path.read_text(encoding="utf-8") if path is not None else
                resources.files("objection").joinpath("holidays.toml").read_text("utf-8"))
        return parse_calendar(tomllib.loads(text))
    except FileNotFoundError:
        raise CalendarInvalid(f"{path}: no such holiday file") from None
    except tomllib.TOMLDecodeError as exc:
        raise CalendarInvalid(f"{path or 'holidays.toml'}: not valid TOML ({exc})") from None
