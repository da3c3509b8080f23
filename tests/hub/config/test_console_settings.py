"""`[console]`: defaults, values taken, and every bad key named with what to do."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from hub.config.console import RULES
from hub.config.errors import ConfigError
from hub.config.settings import Settings, hash_key, load_settings
from tests.hub.config.test_settings import SOURCE

CALLERS = f"""
[callers.fgw]
name = "市发改委"
role = "lead"
key_sha256 = "{hash_key('k1')}"
[callers.auditor]
name = "监督审计"
role = "auditor"
key_sha256 = "{hash_key('k2')}"
"""


def load(tmp_path: Path, console: str) -> Settings:
    path = tmp_path / "hub.toml"
    # Root keys (`console = 5`) must come before the first table.
    text = console + CALLERS + SOURCE if not console.startswith("[") else CALLERS + SOURCE + console
    path.write_text(text, encoding="utf-8")
    return load_settings(path, environ={})


def test_without_a_console_table_the_defaults_hold(tmp_path: Path) -> None:
    c = load(tmp_path, "").console
    assert c.enabled and c.session_minutes == 30 and c.timezone == "Asia/Shanghai"
    assert (c.work_start, c.work_end) == (dt.time(8, 30), dt.time(18, 0))
    assert c.rules.enabled == frozenset(RULES) and c.holidays_file is None
    assert c.rules.fishing_distinct_subjects == 20 and c.secure_cookies == "auto"


def test_values_given_are_taken(tmp_path: Path) -> None:
    (tmp_path / "cal.toml").write_text('[2027.holidays]\n"元旦" = "2027-01-01..2027-01-02"\n',
                                       encoding="utf-8")
    c = load(tmp_path, """
[console]
session_minutes = 10
secure_cookies = "always"
timezone = "Asia/Urumqi"
window_days = 3
work_start = "09:00"
work_end = "17:30"
holidays_file = "cal.toml"
[console.rules.fishing]
window_minutes = 5
distinct_subjects = 8
persons_only = false
[console.rules.burst]
enabled = false
[console.rules.out_of_hours]
ignore_callers = ["fgw"]
[console.rules.rare_purpose]
max_share = 0.1
""").console
    assert (c.session_minutes, c.secure_cookies, c.timezone, c.window_days) == (
        10, "always", "Asia/Urumqi", 3)
    assert (c.work_start, c.work_end) == (dt.time(9), dt.time(17, 30))
    assert c.holidays_file == tmp_path / "cal.toml"
    assert c.calendar.covers(2027) and c.calendar.holiday(dt.date(2027, 1, 2)) == "元旦"
    r = c.rules
    assert (r.fishing_window_minutes, r.fishing_distinct_subjects, r.fishing_persons_only) == (
        5, 8, False)
    assert "burst" not in r.enabled and "fishing" in r.enabled
    assert r.out_of_hours_ignore == {"fgw"} and r.rare_purpose_max_share == 0.1


@pytest.mark.parametrize(("text", "named"), [
    ("[console]\nsesion_minutes = 5", r"console\.sesion_minutes: unknown key \(known: enabled, "
                                      r"session_minutes"),
    ("[console]\nsession_minutes = 0", r"console\.session_minutes: must be a whole number from "
                                       r"1 to 720"),
    ("[console]\nsession_minutes = \"30\"", r"console\.session_minutes"),
    ("[console]\nenabled = \"yes\"", r"console\.enabled: must be true or false"),
    ("[console]\ntimezone = \"Mars/Olympus\"", r"console\.timezone: 'Mars/Olympus' is not an "
                                               r"IANA time zone"),
    ("[console]\nsecure_cookies = \"sometimes\"", r"console\.secure_cookies: 'sometimes' is not "
                                                  r"one of auto, always, never"),
    ("[console]\nwork_start = \"8h\"", r"console\.work_start: '8h' is not a time of day"),
    ("[console]\nwork_start = \"19:00\"", r"console\.work_end: must be later than"),
    ("[console]\nholidays_file = \"nowhere.toml\"", r"console\.holidays_file: .*nowhere\.toml: "
                                                  r"no such holiday file"),
    ("[console]\nrules = 3", r"console\.rules: must be a table"),
    ("[console.rules.fishin]\nenabled = true", r"console\.rules\.fishin: unknown rule \(known: "
                                               r"fishing, no_case"),
    ("[console.rules.fishing]\nthreshold = 5", r"console\.rules\.fishing\.threshold: unknown key "
                                               r"\(known: enabled, window_minutes, "
                                               r"distinct_subjects, persons_only\)"),
    ("[console.rules.fishing]\ndistinct_subjects = 1", r"console\.rules\.fishing\."
                                                       r"distinct_subjects: must be a whole "
                                                       r"number from 2"),
    ("[console.rules.burst]\nfactor = true", r"console\.rules\.burst\.factor: must be a number"),
    ("[console.rules.burst]\nenabled = 1", r"console\.rules\.burst\.enabled: must be true or "
                                           r"false"),
    ("[console.rules.out_of_hours]\nignore_callers = [\"nobody\"]",
     r"console\.rules\.out_of_hours\.ignore_callers: 'nobody' is not a declared caller"),
    ("[console.rules.out_of_hours]\nignore_callers = \"fgw\"",
     r"console\.rules\.out_of_hours\.ignore_callers: must be a list of caller names"),
    ("console = 5", r"console: must be a table"),
])
def test_a_bad_console_key_is_named(tmp_path: Path, text: str, named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load(tmp_path, text)


def test_a_bad_holiday_file_is_refused_naming_its_entry(tmp_path: Path) -> None:
    (tmp_path / "cal.toml").write_text('[2026]\nworkdays = ["2026-10-09"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"console\.holidays_file: .*cal\.toml: 2026\.workdays: "
                                          r"2026-10-09 is a weekday"):
        load(tmp_path, '[console]\nholidays_file = "cal.toml"')


LATER = '[2027]\nnotice = "n"\n[2027.holidays]\n"元旦" = "2027-01-01"\n'


@pytest.mark.parametrize("table", ['[console]\nholidays_file = "cal.toml"',
                                   '[objections]\nholidays = "cal.toml"',
                                   '[console]\nholidays_file = "cal.toml"\n'
                                   '[objections]\nholidays = "./cal.toml"'])
def test_one_holiday_file_serves_the_console_and_the_objections(tmp_path: Path,
                                                                 table: str) -> None:
    """The hub keeps one working-day calendar, whichever key names the file."""
    (tmp_path / "cal.toml").write_text(LATER, encoding="utf-8")
    settings = load(tmp_path, table)
    for calendar in (settings.console.calendar, settings.objections.calendar):
        assert calendar.covers(2027) and not calendar.covers(2026)
    assert settings.console.holidays_file == settings.objections.holidays_file


def test_two_different_holiday_files_are_refused(tmp_path: Path) -> None:
    for name in ("a.toml", "b.toml"):
        (tmp_path / name).write_text(LATER, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"console\.holidays_file: .*a\.toml is not "
                                          r"objections\.holidays \(.*b\.toml\); the hub keeps "
                                          r"one working-day calendar"):
        load(tmp_path, '[console]\nholidays_file = "a.toml"\n[objections]\nholidays = "b.toml"')
