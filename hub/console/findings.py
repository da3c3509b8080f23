"""A window of the log read for the dashboard and the rules, and the flags found in it.

Reading goes through the request's gateway like any other audit read (recorded as
`console.window`, the consents' terms as `console.consents`, reviews as `console.reviews`), so
the audit entry of a dashboard view says what the auditor looked at.

A review covers the entries it saw (a flag's id stays the same as the window moves on, see
`hub.console.rules`): a flag whose every entry some review of it has seen is reviewed; one that
entries joined after its review (more reads without a case that day, another use of a rarely
used purpose) is to be looked at again, and the page says how many are new.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from audit.entry import format_time
from audit.reviews import FlagReview
from audit.search import SearchFilter
from hub.console.entries import Entry
from hub.console.pipeline import Visit
from hub.console.rules import ConsentTerms, Flag, RuleContext, evaluate
from schema.errors import BadUserInput

__all__ = ["ReviewState", "Window", "days_of", "find_flags", "load_window", "review_state",
           "reviews_of"]

ReviewState = Literal["open", "reviewed", "grown"]


@dataclass(frozen=True, slots=True)
class Window:
    days: int
    since: dt.datetime
    until: dt.datetime
    entries: tuple[Entry, ...]
    capped: bool  # more entries than max_entries: only the newest were read


def days_of(visit: Visit) -> int:
    """The window the page asks for (`?days=N`), else the configured one."""
    given = visit.request.query_params.get("days")
    if given is None:
        return visit.console.settings.console.window_days
    if not given.isdigit() or not 1 <= int(given) <= 366:
        raise BadUserInput("days: a whole number of days from 1 to 366")
    return int(given)


async def load_window(visit: Visit, days: int) -> Window:
    until = visit.now
    since = until - dt.timedelta(days=days)
    limit = visit.console.settings.console.max_entries
    rows, total, _ = await visit.gateway.audit_search(
        "console.window", SearchFilter(since=format_time(since), until=format_time(until)),
        first=limit, before_seq=None)
    entries = tuple(Entry.from_body(seq, body, digest) for seq, body, digest in rows)
    return Window(days, since, until, entries, total > limit)


async def find_flags(visit: Visit, window: Window) -> list[Flag]:
    console = visit.console
    relied = sorted({c for e in window.entries if e.categories for c in e.consents})
    terms: Mapping[str, ConsentTerms] = {}
    if relied and "consent_edge" in console.settings.console.rules.enabled:
        stored = await visit.gateway.audit_consents("console.consents", relied)
        terms = {i: ConsentTerms(c.valid_until, c.max_uses, c.uses) for i, c in stored.items()}
    s = console.settings.console
    ctx = RuleContext(s.rules, console.zone, console.calendar, s.work_start, s.work_end,
                      frozenset(n for n, c in console.callers.items() if c.role == "auditor"),
                      terms)
    return evaluate(window.entries, ctx, window.since, window.until)


async def reviews_of(visit: Visit, flags: list[Flag]) -> dict[str, list[FlagReview]]:
    if not flags:
        return {}
    return await visit.gateway.flag_reviews("console.reviews", [f.id for f in flags])


def review_state(flag: Flag, reviews: Sequence[FlagReview]) -> tuple[ReviewState, int]:
    """Where a flag stands, and how many of its entries no review of it has seen: never
    reviewed (open), every entry seen (reviewed), or reviewed before some joined (grown)."""
    if not reviews:
        return "open", len(flag.seqs)
    seen = {seq for review in reviews for seq in review.seqs}
    unseen = sum(1 for seq in flag.seqs if seq not in seen)
    return ("grown", unseen) if unseen else ("reviewed", 0)
