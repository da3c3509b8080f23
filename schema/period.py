"""The scope of a check as the caller asked for it: the period covered and the base date.

An IPO check covers the last 36 months unless told otherwise (the registration rules ask about
the last three years); a bankruptcy check takes everything the departments hold up to today and
may name its 受理日 (`baseDate`, the day the court accepted the petition). Bad scopes are refused
before any department is asked: a period that ends after today, starts after it ends, or spans
more than ten years; a base date in the future or on an IPO check.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from connectors.catalogue import CheckKind
from schema.errors import BadUserInput

__all__ = ["DEFAULT_IPO_MONTHS", "MAX_YEARS", "CheckScope", "check_scope", "months_before"]

DEFAULT_IPO_MONTHS = 36
MAX_YEARS = 10


@dataclass(frozen=True, slots=True)
class CheckScope:
    since: dt.date | None  # None: everything the departments hold
    until: dt.date
    base_date: dt.date | None = None

    def covers(self, day: dt.date) -> bool:
        return (self.since is None or self.since <= day) and day <= self.until


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` earlier (the month's last day when it has no such day)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    for last in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month + 1, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(f"no day {months} months before {day}")  # unreachable: day 28 exists


def check_scope(kind: CheckKind, since: dt.date | None, until: dt.date | None,
                base_date: dt.date | None, today: dt.date) -> CheckScope:
    """The scope of one check, defaults filled in; raise BAD_USER_INPUT naming the argument."""
    if until is not None and until > today:
        raise BadUserInput(f"until: {until} is after today ({today}); a check covers the past")
    end = until or today
    if since is not None and since > end:
        raise BadUserInput(f"since: {since} is after until ({end}); give since <= until")
    if since is not None and since < months_before(end, MAX_YEARS * 12):
        raise BadUserInput(f"since: the period {since} to {end} is longer than {MAX_YEARS} "
                           "years; split it into shorter checks")
    if base_date is not None:
        if kind != CheckKind.BANKRUPTCY:
            raise BadUserInput("baseDate: the 受理日 applies to bankruptcy checks only; leave "
                               "it out of an IPO check")
        if base_date > today:
            raise BadUserInput(f"baseDate: {base_date} is after today ({today}); give the day "
                               "the court accepted the petition")
    if since is None and kind == CheckKind.IPO_COMPLIANCE:
        since = months_before(end, DEFAULT_IPO_MONTHS)
    return CheckScope(since, end, base_date)
