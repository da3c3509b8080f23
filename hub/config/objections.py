"""Reading `[objections]`: deadlines, the holiday calendar, and the departments' desks.

    [objections]
    deadline_working_days = 5              # a department answers within so many working days
    holidays = "holidays.toml"             # optional: a calendar with later years (format as
                                           # workdays/holidays-cn.toml); default: the bundled one
    sweep_s = 30                           # how often open objections are followed up

    [objections.departments.sw]            # one desk per department
    name = "市税务局"                       # as its sources name it (sources.*.department)
    url = "https://…/sw/sjyy"
    credential = "env:HUB_CRED_SW_DESK"
    auth_header = "X-App-Key"
    timeout_s = 2.0

An objection about a department without a desk is recorded and stays RECEIVED (and, in time,
OVERDUE): the hub cannot forward it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from connectors.objections import DeskConfig
from hub.config.errors import ConfigError
from hub.config.reader import TableReader
from workdays.calendar import CalendarInvalid, WorkCalendar, load_calendar

__all__ = ["ObjectionSettings", "parse_objections"]

_KNOWN = {"deadline_working_days", "holidays", "sweep_s", "departments"}
_DESK = {"name", "url", "credential", "auth_header", "timeout_s"}


@dataclass(frozen=True)
class ObjectionSettings:
    calendar: WorkCalendar = field(default_factory=load_calendar)
    holidays_file: Path | None = None  # where `calendar` came from (None: the bundled file)
    deadline_working_days: int = 5
    sweep_s: float = 30.0
    desks: Mapping[str, DeskConfig] = field(default_factory=dict)  # department name -> desk


def parse_objections(table: Any, base: Path) -> ObjectionSettings:
    if table is None:
        return ObjectionSettings()
    if not isinstance(table, Mapping):
        raise ConfigError("objections: must be a table")
    unknown = sorted(set(table) - _KNOWN)
    if unknown:
        raise ConfigError(f"objections.{unknown[0]}: unknown key (known: "
                          f"{', '.join(sorted(_KNOWN))})")
    r = TableReader("objections", table)
    holidays = base / r.string("holidays") if "holidays" in table else None
    try:
        calendar = load_calendar(holidays)
    except CalendarInvalid as exc:
        raise ConfigError(f"objections.holidays: {exc}") from None
    return ObjectionSettings(
        calendar=calendar, holidays_file=holidays,
        deadline_working_days=r.integer("deadline_working_days", 5, 1, 60),
        sweep_s=r.number("sweep_s", 30.0, 0.05, 86400),
        desks=_desks(table.get("departments", {})))


def _desks(table: Any) -> dict[str, DeskConfig]:
    if not isinstance(table, Mapping):
        raise ConfigError("objections.departments: a table of [objections.departments.CODE]")
    out: dict[str, DeskConfig] = {}
    for code, raw in table.items():
        where = f"objections.departments.{code}"
        if not isinstance(raw, Mapping):
            raise ConfigError(f"{where}: must be a table")
        unknown = sorted(set(raw) - _DESK)
        if unknown:
            raise ConfigError(f"{where}.{unknown[0]}: unknown key (known: "
                              f"{', '.join(sorted(_DESK))})")
        r = TableReader(where, raw)
        url = r.string("url")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"{where}.url: {url!r} is not an http(s) URL")
        name = r.string("name")
        if name in out:
            raise ConfigError(f"{where}.name: {name} has a desk already "
                              f"({out[name].code})")
        out[name] = DeskConfig(code, name, url, r.string("credential"),
                               r.string("auth_header", "X-App-Key"),
                               r.number("timeout_s", 2.0, 0.01, 120))
    return out
