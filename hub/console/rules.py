"""What looks wrong: rules over a window of audit entries, each giving flags with their entries.

Pure: entries in, flags out, thresholds from `[console.rules.*]`. A flag names its rule, whom
it is about (a caller and operator, a subject pseudonym or a consent), the entries behind it
and the numbers its explanation quotes. Its id is stable for the same finding whatever window
it is seen in and however that window has moved on, so that a review stays attached: it is
derived from the rule, whom it is about and what anchors the finding in the log — the first
entry of a run (fishing, consent_probing), the local day (no_case, out_of_hours), the
ten-minute bucket on a fixed grid, not one counted from the window's start (burst), or nothing
more for a caller's use of a purpose (rare_purpose), which is one finding however many uses
join it. (A review covers the entries it saw; `hub.console.findings` says when later entries
have joined a reviewed flag.) The rules, in words (`hub.console.i18n` words them for the
page):

- fishing: one operator touches at least N distinct subjects within M minutes;
- no_case: person data read (or tried) without a case number or application id;
- out_of_hours: data accessed outside working hours or on a rest day (holidays from the
  calendar file), in the console's time zone;
- rare_purpose: a caller uses a purpose for under a small share of its requests;
- burst: a caller makes far more requests in a short bucket than its own average;
- consent_probing: CONSENT_INVALID again and again for the same subject;
- consent_edge: a reusable consent used up to its very last use, or used in its last minutes.

An auditor's entries name the subjects it searched the log for, so that the log answers who
looked a person up; they are reads of the log, not of the subject's data, and the rules about
reading data (fishing, no_case, out_of_hours) pass them by.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar
from zoneinfo import ZoneInfo

from hub.config.console import RuleSettings
from hub.console.entries import Entry
from workdays.calendar import WorkCalendar

__all__ = ["NO_OPERATOR", "ConsentTerms", "Flag", "RuleContext", "burst", "consent_edge", "consent_probing",
           "evaluate", "fishing", "no_case", "out_of_hours", "rare_purpose"]

Facts = Mapping[str, str | int | float]
K = TypeVar("K", bound=Hashable)
NO_OPERATOR = "—"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)  # the burst buckets' fixed grid starts here
_CONSENT_MANAGEMENT = ("grantConsent", "revokeConsent")


@dataclass(frozen=True, slots=True)
class ConsentTerms:
    """What a rule needs of a stored consent."""

    valid_until: dt.datetime
    max_uses: int
    uses: int


@dataclass(frozen=True, slots=True)
class Flag:
    id: str
    rule: str
    about: str  # whom it concerns: "caller / operator", a pseudonym, a consent id
    seqs: tuple[int, ...]
    start: dt.datetime
    end: dt.datetime
    facts: Facts = field(default_factory=dict)  # the numbers its explanation quotes


@dataclass(frozen=True, slots=True)
class RuleContext:
    settings: RuleSettings
    zone: ZoneInfo
    calendar: WorkCalendar
    work_start: dt.time
    work_end: dt.time
    auditors: frozenset[str] = frozenset()  # auditor callers: their reads are of the log
    consents: Mapping[str, ConsentTerms] = field(default_factory=dict)


def _flag(rule: str, about: str, anchor: str, entries: Sequence[Entry], facts: Facts) -> Flag:
    digest = hashlib.sha256(f"{rule}|{about}|{anchor}".encode()).hexdigest()[:16]
    return Flag(digest, rule, about, tuple(sorted({e.seq for e in entries})),
                min(e.time for e in entries), max(e.time for e in entries), facts)


def _who(e: Entry) -> str:
    return f"{e.caller or '?'} / {e.operator or NO_OPERATOR}"


def _group(entries: Iterable[Entry], key: Callable[[Entry], K | None]) -> dict[K, list[Entry]]:
    groups: dict[K, list[Entry]] = defaultdict(list)
    for e in entries:
        k = key(e)
        if k is not None:
            groups[k].append(e)
    return groups


def _clusters(entries: Sequence[Entry], window: dt.timedelta, items: Callable[[Entry], set[str]],
              threshold: int) -> list[tuple[list[Entry], set[str]]]:
    """Runs of entries (in time order) where some window of `window` holds at least
    `threshold` distinct items; overlapping windows merge into one run."""
    runs: list[tuple[list[Entry], set[str]]] = []
    counts: dict[str, int] = defaultdict(int)
    left = 0
    run_end = -1
    for right, e in enumerate(entries):
        for item in items(e):
            counts[item] += 1
        while e.time - entries[left].time > window:
            for item in items(entries[left]):
                counts[item] -= 1
                if not counts[item]:
                    del counts[item]
            left += 1
        if len(counts) >= threshold:
            if runs and left <= run_end:
                run = runs[-1][0]
                run += entries[run_end + 1:right + 1]
            else:
                runs.append((list(entries[left:right + 1]), set()))
            run_end = right
    return [(run, {i for e in run for i in items(e)}) for run, _ in runs]


def fishing(entries: Sequence[Entry], ctx: RuleContext) -> list[Flag]:
    s = ctx.settings
    window = dt.timedelta(minutes=s.fishing_window_minutes)

    def touched(e: Entry) -> set[str]:
        if e.caller in ctx.auditors:
            return set()
        return set(e.persons if s.fishing_persons_only else e.subjects)

    out = []
    for who, group in _group(entries, lambda e: _who(e) if touched(e) else None).items():
        for run, subjects in _clusters(group, window, touched, s.fishing_distinct_subjects):
            out.append(_flag("fishing", who, str(run[0].seq), run, {
                "subjects": len(subjects), "minutes": s.fishing_window_minutes,
                "threshold": s.fishing_distinct_subjects}))
    return out


def _person_read(e: Entry) -> bool:
    return bool(e.persons) and e.purpose != "SUBJECT_ACCESS" and not any(
        p.startswith(_CONSENT_MANAGEMENT) for p in e.released)


def no_case(entries: Sequence[Entry], ctx: RuleContext) -> list[Flag]:
    def key(e: Entry) -> tuple[str, dt.date] | None:
        if not _person_read(e) or e.case or e.application or e.caller in ctx.auditors:
            return None
        return _who(e), e.time.astimezone(ctx.zone).date()

    return [_flag("no_case", who, day.isoformat(), group,
                  {"count": len(group), "day": day.isoformat()})
            for (who, day), group in _group(entries, key).items()
            if len(group) >= ctx.settings.no_case_min_entries]


def out_of_hours(entries: Sequence[Entry], ctx: RuleContext) -> list[Flag]:
    ignore = ctx.settings.out_of_hours_ignore

    def key(e: Entry) -> tuple[str, dt.date] | None:
        if not e.subjects or e.caller in ignore or e.caller in ctx.auditors:
            return None
        local = e.time.astimezone(ctx.zone)
        if ctx.calendar.working_time(local, ctx.work_start, ctx.work_end):
            return None
        return _who(e), local.date()

    out = []
    for (who, day), group in _group(entries, key).items():
        holiday = ctx.calendar.holiday(day) or ""
        out.append(_flag("out_of_hours", who, day.isoformat(), group, {
            "count": len(group), "day": day.isoformat(), "holiday": holiday,
            "rest_day": int(not ctx.calendar.is_working_day(day)),
            "hours": f"{ctx.work_start:%H:%M}-{ctx.work_end:%H:%M}"}))
    return out


def rare_purpose(entries: Sequence[Entry], ctx: RuleContext) -> list[Flag]:
    s = ctx.settings
    out = []
    for caller, group in _group(entries, lambda e: e.caller if e.purpose else None).items():
        if len(group) < s.rare_purpose_min_entries:
            continue
        for purpose, used in _group(group, lambda e: e.purpose).items():
            share = len(used) / len(group)
            if share < s.rare_purpose_max_share:
                out.append(_flag("rare_purpose", f"{caller} / {purpose}", "", used,
                                 {"count": len(used), "total": len(group),
                                  "share": round(100 * share, 2),
                                  "threshold": round(100 * s.rare_purpose_max_share, 2)}))
    return out


def burst(entries: Sequence[Entry], ctx: RuleContext, since: dt.datetime, until: dt.datetime
          ) -> list[Flag]:
    s = ctx.settings
    width = dt.timedelta(minutes=s.burst_bucket_minutes)
    buckets = max(1, int((until - since) / width))
    out = []
    for caller, group in _group(entries, lambda e: e.caller).items():
        per_bucket = _group(group, lambda e: (e.time - _EPOCH) // width)
        average = sum(e.requests for e in group) / buckets
        floor = max(s.burst_min_count, s.burst_factor * average)
        for index, used in sorted(per_bucket.items()):
            count = sum(e.requests for e in used)
            if count >= floor:
                start = _EPOCH + index * width
                out.append(_flag("burst", caller, start.isoformat(), used, {
                    "count": count, "minutes": s.burst_bucket_minutes,
                    "average": round(average, 2), "factor": s.burst_factor}))
    return out


def consent_probing(entries: Sequence[Entry], ctx: RuleContext) -> list[Flag]:
    s = ctx.settings
    window = dt.timedelta(minutes=s.probing_window_minutes)
    invalid = [e for e in entries if "CONSENT_INVALID" in e.codes and e.persons]
    out = []
    for subject in sorted({p for e in invalid for p in e.persons}):
        tries = [e for e in invalid if subject in e.persons]
        for run, _ in _clusters(tries, window, lambda e: {str(e.seq)}, s.probing_min_denials):
            out.append(_flag("consent_probing", subject, str(run[0].seq), run, {
                "count": len(run), "minutes": s.probing_window_minutes,
                "threshold": s.probing_min_denials,
                "callers": ", ".join(sorted({_who(e) for e in run}))}))
    return out


def consent_edge(entries: Sequence[Entry], ctx: RuleContext) -> list[Flag]:
    s = ctx.settings
    last = dt.timedelta(minutes=s.edge_last_minutes)
    out = []
    by_consent: dict[str, list[Entry]] = defaultdict(list)
    for e in entries:
        if e.categories:  # person data released: the consents were relied on
            for c in e.consents:
                by_consent[c].append(e)
    for consent_id, used in sorted(by_consent.items()):
        terms = ctx.consents.get(consent_id)
        if terms is None:
            continue
        if terms.max_uses >= s.edge_min_uses and terms.uses >= terms.max_uses:
            out.append(_flag("consent_edge", consent_id, "uses", used, {
                "kind": "uses", "uses": terms.uses, "max_uses": terms.max_uses}))
        late = [e for e in used if e.time >= terms.valid_until - last]
        if late:
            out.append(_flag("consent_edge", consent_id, "time", late, {
                "kind": "time", "minutes": s.edge_last_minutes,
                "valid_until": terms.valid_until.astimezone(ctx.zone).strftime(
                    "%Y-%m-%d %H:%M:%S")}))
    return out


def evaluate(entries: Sequence[Entry], ctx: RuleContext, since: dt.datetime,
             until: dt.datetime) -> list[Flag]:
    """Every enabled rule over `entries` (the window since..until), newest flags first."""
    ordered = sorted(entries, key=lambda e: (e.time, e.seq))
    on = ctx.settings.enabled
    flags: list[Flag] = []
    if "fishing" in on:
        flags += fishing(ordered, ctx)
    if "no_case" in on:
        flags += no_case(ordered, ctx)
    if "out_of_hours" in on:
        flags += out_of_hours(ordered, ctx)
    if "rare_purpose" in on:
        flags += rare_purpose(ordered, ctx)
    if "burst" in on:
        flags += burst(ordered, ctx, since, until)
    if "consent_probing" in on:
        flags += consent_probing(ordered, ctx)
    if "consent_edge" in on:
        flags += consent_edge(ordered, ctx)
    return sorted(flags, key=lambda f: (f.end, f.id), reverse=True)
