"""The `[console]` table: the auditor's console, its sessions and its "what looks wrong" rules.

Every rule has its own sub-table (`[console.rules.fishing]`, …) with `enabled` and its
thresholds; every bad key is named, and a misspelt one lists the valid keys. Defaults are what
`hub demo` runs with.

```toml
[console]
enabled = true                 # serve /console to auditor callers
session_minutes = 30           # a sign-in lasts this long
secure_cookies = "auto"        # auto (when the request came over https) | always | never
timezone = "Asia/Shanghai"     # working hours and dates are read in this zone
window_days = 7                # the dashboard's and the rules' default window
max_entries = 50000            # most entries read for statistics and rules
export_max = 10000             # most entries in one export
holidays_file = "holidays.toml"  # public holidays and make-up working days (default: bundled;
                               # format and sharing: workdays/holidays-cn.toml)
work_start = "08:30"           # working hours, on working days
work_end = "18:00"

[console.rules.fishing]        # one operator, many distinct subjects, short time
window_minutes = 10
distinct_subjects = 20
persons_only = true            # count person pseudonyms only (lead departments check many USCCs)
```
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from hub.config.errors import ConfigError
from hub.config.reader import TableReader
from workdays.calendar import CalendarInvalid, WorkCalendar, load_calendar

__all__ = ["RULES", "ConsoleSettings", "RuleSettings", "parse_console"]

CookiePolicy = Literal["auto", "always", "never"]


@dataclass(frozen=True, slots=True)
class RuleSettings:
    """Thresholds of the rules; each rule reads its own, `enabled` names the rules that run."""

    enabled: frozenset[str]
    fishing_window_minutes: int = 10
    fishing_distinct_subjects: int = 20
    fishing_persons_only: bool = True
    no_case_min_entries: int = 1
    out_of_hours_ignore: frozenset[str] = frozenset()
    rare_purpose_max_share: float = 0.05
    rare_purpose_min_entries: int = 40
    burst_bucket_minutes: int = 10
    burst_factor: float = 5.0
    burst_min_count: int = 30
    probing_window_minutes: int = 60
    probing_min_denials: int = 3
    edge_last_minutes: int = 1
    edge_min_uses: int = 2


# rule → {key: (kind, default, low, high)}; kind is int, float, bool or callers.
_RULE_KEYS: dict[str, dict[str, tuple[str, Any, float, float]]] = {
    "fishing": {"window_minutes": ("int", 10, 1, 1440),
                "distinct_subjects": ("int", 20, 2, 100_000),
                "persons_only": ("bool", True, 0, 0)},
    "no_case": {"min_entries": ("int", 1, 1, 100_000)},
    "out_of_hours": {"ignore_callers": ("callers", (), 0, 0)},
    "rare_purpose": {"max_share": ("float", 0.05, 0.0001, 0.5),
                     "min_entries": ("int", 40, 1, 10_000_000)},
    "burst": {"bucket_minutes": ("int", 10, 1, 1440), "factor": ("float", 5.0, 1.1, 1000),
              "min_count": ("int", 30, 1, 10_000_000)},
    "consent_probing": {"window_minutes": ("int", 60, 1, 10_080),
                        "min_denials": ("int", 3, 2, 100_000)},
    "consent_edge": {"last_minutes": ("int", 1, 1, 1440), "min_uses": ("int", 2, 1, 1_000_000)},
}
RULES: tuple[str, ...] = tuple(_RULE_KEYS)
_FIELD = {("fishing", "window_minutes"): "fishing_window_minutes",
          ("fishing", "distinct_subjects"): "fishing_distinct_subjects",
          ("fishing", "persons_only"): "fishing_persons_only",
          ("no_case", "min_entries"): "no_case_min_entries",
          ("out_of_hours", "ignore_callers"): "out_of_hours_ignore",
          ("rare_purpose", "max_share"): "rare_purpose_max_share",
          ("rare_purpose", "min_entries"): "rare_purpose_min_entries",
          ("burst", "bucket_minutes"): "burst_bucket_minutes",
          ("burst", "factor"): "burst_factor", ("burst", "min_count"): "burst_min_count",
          ("consent_probing", "window_minutes"): "probing_window_minutes",
          ("consent_probing", "min_denials"): "probing_min_denials",
          ("consent_edge", "last_minutes"): "edge_last_minutes",
          ("consent_edge", "min_uses"): "edge_min_uses"}


@dataclass(frozen=True, slots=True)
class ConsoleSettings:
    enabled: bool = True
    session_minutes: int = 30
    secure_cookies: CookiePolicy = "auto"
    timezone: str = "Asia/Shanghai"
    window_days: int = 7
    max_entries: int = 50_000
    export_max: int = 10_000
    holidays_file: Path | None = None  # None: the bundled calendar
    calendar: WorkCalendar = field(default_factory=load_calendar)  # read from holidays_file
    work_start: dt.time = dt.time(8, 30)
    work_end: dt.time = dt.time(18, 0)
    rules: RuleSettings = field(default_factory=lambda: RuleSettings(frozenset(RULES)))


_TOP = ("enabled", "session_minutes", "secure_cookies", "timezone", "window_days",
        "max_entries", "export_max", "holidays_file", "work_start", "work_end", "rules")


def _clock(reader: TableReader, key: str, default: str) -> dt.time:
    text = reader.string(key, default)
    try:
        return dt.time.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{reader.where}.{key}: {text!r} is not a time of day such as "
                          f"{default!r}") from None


def _rules(raw: Any, callers: frozenset[str]) -> RuleSettings:
    if raw is None:
        return RuleSettings(frozenset(RULES))
    if not isinstance(raw, Mapping):
        raise ConfigError("console.rules: must be a table of [console.rules.NAME] tables")
    unknown = sorted(set(raw) - set(RULES))
    if unknown:
        raise ConfigError(f"console.rules.{unknown[0]}: unknown rule (known: "
                          f"{', '.join(RULES)})")
    enabled: set[str] = set()
    values: dict[str, Any] = {}
    for rule, keys in _RULE_KEYS.items():
        table = raw.get(rule, {})
        where = f"console.rules.{rule}"
        if not isinstance(table, Mapping):
            raise ConfigError(f"{where}: must be a table")
        bad = sorted(set(table) - set(keys) - {"enabled"})
        if bad:
            raise ConfigError(f"{where}.{bad[0]}: unknown key (known: enabled, "
                              f"{', '.join(keys)})")
        reader = TableReader(where, table)
        if reader.boolean("enabled", True):
            enabled.add(rule)
        for key, (kind, default, low, high) in keys.items():
            name = _FIELD[(rule, key)]
            if kind == "int":
                values[name] = reader.integer(key, default, int(low), int(high))
            elif kind == "float":
                values[name] = reader.number(key, default, low, high)
            elif kind == "bool":
                values[name] = reader.boolean(key, default)
            else:
                values[name] = _callers(f"{where}.{key}", table.get(key, default), callers)
    return RuleSettings(frozenset(enabled), **values)


def _callers(where: str, value: Any, callers: frozenset[str]) -> frozenset[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: must be a list of caller names")
    unknown = sorted(set(value) - callers)
    if unknown:
        raise ConfigError(f"{where}: {unknown[0]!r} is not a declared caller")
    return frozenset(value)


def parse_console(raw: Any, base: Path, callers: frozenset[str]) -> ConsoleSettings:
    """The `[console]` table (`raw`, None when absent); paths are relative to `base`."""
    if raw is None:
        return ConsoleSettings()
    if not isinstance(raw, Mapping):
        raise ConfigError("console: must be a table")
    unknown = sorted(set(raw) - set(_TOP))
    if unknown:
        raise ConfigError(f"console.{unknown[0]}: unknown key (known: {', '.join(_TOP)})")
    r = TableReader("console", raw)
    zone = r.string("timezone", "Asia/Shanghai")
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"console.timezone: {zone!r} is not an IANA time zone such as "
                          "'Asia/Shanghai'") from None
    holidays = base / r.string("holidays_file") if "holidays_file" in raw else None
    try:  # a bad calendar is refused now, naming its bad entry
        calendar = load_calendar(holidays)
    except CalendarInvalid as exc:
        raise ConfigError(f"console.holidays_file: {exc}") from None
    start, end = _clock(r, "work_start", "08:30"), _clock(r, "work_end", "18:00")
    if start >= end:
        raise ConfigError("console.work_end: must be later than console.work_start")
    secure = r.choice("secure_cookies", ("auto", "always", "never"), "auto")
    policy: CookiePolicy = "always" if secure == "always" else (
        "never" if secure == "never" else "auto")
    return ConsoleSettings(
        enabled=r.boolean("enabled", True),
        session_minutes=r.integer("session_minutes", 30, 1, 720),
        secure_cookies=policy, timezone=zone,
        window_days=r.integer("window_days", 7, 1, 366),
        max_entries=r.integer("max_entries", 50_000, 100, 5_000_000),
        export_max=r.integer("export_max", 10_000, 1, 1_000_000),
        holidays_file=holidays, calendar=calendar, work_start=start, work_end=end,
        rules=_rules(raw.get("rules"), callers))
