"""Working days and hours in China: weekends, public holidays and make-up working days (调休).

The calendar comes from a data file (`data/holidays-cn.toml`, or `[console] holidays_file`):
runs of public holidays and the weekend days that are working days instead, as the State
Council announces them each year. A year the file does not cover is read as plain weekdays and
weekends, and `covers` says so, so the console can warn that its holidays are out of date.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from hub.config.errors import ConfigError

__all__ = ["WorkCalendar", "working_time"]


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    holidays: Mapping[dt.date, str]  # day off → the holiday's name
    workdays: frozenset[dt.date]  # weekend days that are working days
    years: frozenset[int]  # the years the file speaks for

    @classmethod
    def load(cls, path: Path | None = None) -> WorkCalendar:
        """The calendar in `path` (default: the bundled file); raise `ConfigError` naming the
        bad entry."""
        if path is None:
            text = resources.files("hub.console").joinpath("data/holidays-cn.toml").read_text(
                encoding="utf-8")
            where = "holidays-cn.toml"
        else:
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise ConfigError(f"console.holidays_file: cannot read {path} ({exc})") \
                    from None
            where = str(path)
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{where}: not valid TOML ({exc})") from None
        return cls.parse(raw, where)

    @classmethod
    def parse(cls, raw: Mapping[str, Any], where: str) -> WorkCalendar:
        unknown = sorted(set(raw) - {"holiday", "workday"})
        if unknown:
            raise ConfigError(f"{where}: {unknown[0]}: unknown table (known: holiday, workday)")
        holidays: dict[dt.date, str] = {}
        workdays: set[dt.date] = set()
        for i, item in enumerate(_list(raw, "holiday", where), start=1):
            name = item.get("name")
            if not isinstance(name, str) or not name:
                raise ConfigError(f"{where}: holiday {i}: give its name")
            start, end = item.get("from"), item.get("to")
            if not isinstance(start, dt.date) or not isinstance(end, dt.date) or isinstance(
                    start, dt.datetime) or isinstance(end, dt.datetime):
                raise ConfigError(f"{where}: holiday {i} ({name}): `from` and `to` must be "
                                  "dates such as 2026-10-01")
            if end < start or (end - start).days > 31:
                raise ConfigError(f"{where}: holiday {i} ({name}): `to` must be from `from` to "
                                  "31 days after it")
            for n in range((end - start).days + 1):
                holidays[start + dt.timedelta(days=n)] = name
        for i, item in enumerate(_list(raw, "workday", where), start=1):
            day = item.get("date")
            if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
                raise ConfigError(f"{where}: workday {i}: `date` must be a date such as "
                                  "2026-10-10")
            if day.weekday() < 5:
                raise ConfigError(f"{where}: workday {i}: {day} is a weekday; list only "
                                  "Saturdays and Sundays that are working days")
            if day in holidays:
                raise ConfigError(f"{where}: workday {i}: {day} is also a holiday")
            workdays.add(day)
        years = {d.year for d in holidays} | {d.year for d in workdays}
        return cls(holidays, frozenset(workdays), frozenset(years))

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.holidays:
            return False
        return day.weekday() < 5 or day in self.workdays

    def covers(self, year: int) -> bool:
        return year in self.years


def _list(raw: Mapping[str, Any], key: str, where: str) -> list[Mapping[str, Any]]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise ConfigError(f"{where}: {key}: write each as a [[{key}]] table")
    return value


def working_time(local: dt.datetime, calendar: WorkCalendar, start: dt.time, end: dt.time
                 ) -> bool:
    """Whether `local` (a time in the console's zone) falls in working hours of a working day."""
    return calendar.is_working_day(local.date()) and start <= local.time() < end
