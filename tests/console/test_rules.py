"""Each "what looks wrong" rule on entries the test chose, at its thresholds and just below."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from audit.reviews import FlagReview
from hub.config.console import RULES, RuleSettings
from hub.console.entries import Entry
from hub.console.findings import review_state
from hub.console.rules import (
    ConsentTerms,
    Flag,
    RuleContext,
    burst,
    consent_edge,
    consent_probing,
    evaluate,
    fishing,
    no_case,
    out_of_hours,
    rare_purpose,
)
from tests.console.entries import SHANGHAI, USCC, at, entry, person
from workdays.calendar import load_calendar

WORKDAY = "2026-11-27"  # a Friday
MIN = dt.timedelta(minutes=1)


def ctx(**settings: Any) -> RuleContext:
    rules = dataclasses.replace(RuleSettings(frozenset(RULES)), **settings)
    return RuleContext(rules, SHANGHAI, load_calendar(), dt.time(8, 30), dt.time(18),
                       frozenset({"auditor"}))


def reads(n: int, start: dt.datetime, step: dt.timedelta, **fields: Any) -> list[Entry]:
    return [entry(i + 1, start + i * step, subjects=(person(i),), **fields) for i in range(n)]


# -- fishing -------------------------------------------------------------------------------

def test_twenty_distinct_people_in_ten_minutes_is_a_fishing_expedition() -> None:
    found = fishing(reads(20, at(f"{WORKDAY} 10:00"), 30 * dt.timedelta(seconds=1)), ctx())
    (flag,) = found
    assert flag.rule == "fishing" and flag.about == "portal / clerk-1"
    assert flag.seqs == tuple(range(1, 21)) and flag.facts["subjects"] == 20


def test_nineteen_people_or_twenty_spread_over_more_than_ten_minutes_is_not() -> None:
    assert fishing(reads(19, at(f"{WORKDAY} 10:00"), 10 * dt.timedelta(seconds=1)), ctx()) == []
    # 20 reads 33 s apart: any ten minutes holds at most 19 of them.
    assert fishing(reads(20, at(f"{WORKDAY} 10:00"), dt.timedelta(seconds=33)), ctx()) == []


def test_the_same_person_twenty_times_is_not_fishing() -> None:
    same = [entry(i, at(f"{WORKDAY} 10:00") + i * MIN / 10, subjects=(person(1),))
            for i in range(1, 30)]
    assert fishing(same, ctx()) == []


def test_enterprises_do_not_count_unless_configured() -> None:
    checks = [entry(i, at(f"{WORKDAY} 10:00"), caller="fgw", subjects=(f"{USCC[:-3]}{i:03d}",))
              for i in range(1, 26)]
    assert fishing(checks, ctx()) == []
    assert len(fishing(checks, ctx(fishing_persons_only=False))) == 1


def test_operators_are_counted_apart() -> None:
    a = reads(12, at(f"{WORKDAY} 10:00"), MIN / 10, operator="clerk-1")
    b = [dataclasses.replace(e, seq=e.seq + 100, operator="clerk-2",
                             subjects=(person(e.seq + 100),)) for e in a]
    assert fishing(a + b, ctx()) == []


def test_a_flag_keeps_its_id_as_more_entries_arrive() -> None:
    first = reads(20, at(f"{WORKDAY} 10:00"), dt.timedelta(seconds=5))
    later = first + [entry(100 + i, at(f"{WORKDAY} 10:02") + i * dt.timedelta(seconds=5),
                           subjects=(person(100 + i),)) for i in range(5)]
    (before,), (after,) = fishing(first, ctx()), fishing(later, ctx())
    assert before.id == after.id and len(after.seqs) == 25


# -- no case -------------------------------------------------------------------------------

def test_person_reads_without_a_case_are_flagged_per_operator_and_day() -> None:
    base = at(f"{WORKDAY} 10:00")
    entries = [entry(1, base, subjects=(person(1),)),
               entry(2, base + MIN, subjects=(person(2),), case="(2026)豫07破1号"),
               entry(3, base + 2 * MIN, subjects=(person(3),), application="APP-1"),
               entry(4, base + 3 * MIN, subjects=(USCC,), caller="fgw"),
               entry(5, base + 4 * MIN, subjects=(person(5),), purpose="SUBJECT_ACCESS"),
               entry(6, base + 5 * MIN, subjects=(person(6),), released=("grantConsent",)),
               entry(7, base + 6 * MIN, subjects=(person(7),), outcome="DENIED",
                     denied=(("person.household", "CONSENT_REQUIRED"),))]
    (flag,) = no_case(entries, ctx())
    assert flag.seqs == (1, 7) and flag.facts == {"count": 2, "day": WORKDAY}
    assert no_case(entries, ctx(no_case_min_entries=3)) == []


# -- out of hours --------------------------------------------------------------------------

@pytest.mark.parametrize(("when", "flagged"), [
    (f"{WORKDAY} 08:29", True), (f"{WORKDAY} 08:30", False), (f"{WORKDAY} 17:59", False),
    (f"{WORKDAY} 18:00", True), ("2026-11-28 10:00", True),  # Saturday
    ("2026-10-10 10:00", False),  # a Saturday worked in place of a National Day holiday
    ("2026-10-02 10:00", True)])  # National Day
def test_out_of_hours_in_shanghai_with_the_holiday_calendar(when: str, flagged: bool) -> None:
    found = out_of_hours([entry(1, at(when), subjects=(person(1),))], ctx())
    assert bool(found) is flagged


def test_an_out_of_hours_flag_names_the_holiday() -> None:
    (flag,) = out_of_hours([entry(1, at("2026-10-02 10:00"), subjects=(person(1),))], ctx())
    assert flag.facts["holiday"] == "国庆节" and flag.facts["rest_day"] == 1
    assert flag.facts["day"] == "2026-10-02"


def test_the_local_day_decides_not_the_utc_day() -> None:
    # 2026-11-27 23:30 UTC is Saturday 07:30 in Shanghai: a rest day.
    moment = dt.datetime(2026, 11, 27, 23, 30, tzinfo=dt.UTC)
    (flag,) = out_of_hours([entry(1, moment, subjects=(person(1),))], ctx())
    assert flag.facts["day"] == "2026-11-28"


def test_ignored_callers_auditors_and_subjectless_requests_are_left_alone() -> None:
    night = at(f"{WORKDAY} 23:00")
    entries = [entry(1, night, subjects=(person(1),), caller="fgw"),
               entry(2, night, caller="auditor", subjects=(person(2),)),
               entry(3, night)]
    assert out_of_hours(entries, ctx(out_of_hours_ignore=frozenset({"fgw"}))) == []


def test_an_auditors_searches_by_subject_are_not_data_reads() -> None:
    """An auditor's entry names the subject searched for; no fishing or no_case flag for it."""
    searches = reads(25, at(f"{WORKDAY} 10:00"), dt.timedelta(seconds=10), caller="auditor",
                     purpose=None, released=("console.search",))
    assert fishing(searches, ctx()) == [] and no_case(searches, ctx()) == []
    clerks = reads(25, at(f"{WORKDAY} 10:00"), dt.timedelta(seconds=10))
    assert len(fishing(clerks, ctx())) == 1 and len(no_case(clerks, ctx())) == 1


# -- rare purpose --------------------------------------------------------------------------

def test_a_purpose_under_five_percent_of_a_callers_requests() -> None:
    base = at(f"{WORKDAY} 10:00")
    common = [entry(i, base + i * MIN) for i in range(1, 40)]
    rare = entry(40, base + 40 * MIN, purpose="DISABILITY_SERVICES")
    (flag,) = rare_purpose([*common, rare], ctx())
    assert flag.about == "portal / DISABILITY_SERVICES" and flag.seqs == (40,)
    assert flag.facts["share"] == 2.5 and flag.facts["total"] == 40
    assert rare_purpose([*common[:-1], rare], ctx()) == []  # 39 requests: too few to judge
    two = [*common, rare, dataclasses.replace(rare, seq=41)]  # 2 of 41 = 4.9 %: still rare
    assert rare_purpose(two, ctx())[0].seqs == (40, 41)
    assert rare_purpose(two, ctx(rare_purpose_max_share=0.04)) == []


# -- burst ---------------------------------------------------------------------------------

def test_a_burst_far_above_the_callers_own_average() -> None:
    since = at(f"{WORKDAY} 00:00")
    until = since + dt.timedelta(days=1)  # 144 buckets of ten minutes
    steady = [entry(i, since + i * dt.timedelta(minutes=20), caller="fgw") for i in range(72)]
    spike = [entry(1000 + i, at(f"{WORKDAY} 15:01") + i * dt.timedelta(seconds=10),
                   caller="fgw") for i in range(40)]
    (flag,) = burst(steady + spike, ctx(), since, until)
    # The bucket 15:00-15:10 holds the spike and the steady request of 15:00 (seq 45).
    assert flag.facts["count"] == 41 and flag.seqs == (45, *range(1000, 1040))
    assert flag.facts["average"] == round(112 / 144, 2)
    assert burst(steady + spike[:28], ctx(), since, until) == []  # 29: under min_count 30
    assert len(burst(steady + spike[:29], ctx(), since, until)) == 1


def test_a_shed_aggregate_counts_as_its_requests() -> None:
    since = at(f"{WORKDAY} 00:00")
    shed = [entry(1, at(f"{WORKDAY} 11:00"), caller="fgw", outcome="FAILED", requests=500)]
    (flag,) = burst(shed, ctx(), since, since + dt.timedelta(days=1))
    assert flag.facts["count"] == 500


# -- a flag as the window moves on ---------------------------------------------------------

def reviewed(flag: Flag) -> FlagReview:
    return FlagReview(flag.id, flag.rule, flag.about, flag.seqs, "已核实", "auditor", "aud-7",
                      at(f"{WORKDAY} 12:00"))


def test_a_burst_is_the_same_flag_in_every_window_that_holds_it() -> None:
    """The bucket is on a fixed grid, not counted from the window's start: a review stays
    attached as time moves on and whichever window the auditor looks at."""
    spike = [entry(1000 + i, at(f"{WORKDAY} 15:01") + i * dt.timedelta(seconds=10),
                   caller="fgw") for i in range(40)]
    found = []
    for later, days in ((dt.timedelta(minutes=30), 7), (dt.timedelta(hours=5, seconds=7), 7),
                        (dt.timedelta(days=3, minutes=1), 7), (dt.timedelta(hours=2), 1),
                        (dt.timedelta(days=6), 30)):
        until = at(f"{WORKDAY} 15:00") + later
        (flag,) = burst(spike, ctx(), until - dt.timedelta(days=days), until)
        found.append(flag)
    assert len({f.id for f in found}) == 1
    assert {f.seqs for f in found} == {tuple(range(1000, 1040))}
    review = reviewed(found[0])
    assert all(review_state(f, [review]) == ("reviewed", 0) for f in found)


def test_a_rare_purpose_keeps_its_flag_and_its_review_while_old_uses_leave_the_window() -> None:
    base = at(f"{WORKDAY} 00:00") - dt.timedelta(days=10)
    day = dt.timedelta(days=1)
    common = [entry(i, base + i * dt.timedelta(hours=2)) for i in range(1, 121)]
    rare = [entry(seq, base + when * day, purpose="DISABILITY_SERVICES")
            for seq, when in ((201, 1), (202, 3), (203, 9.5))]

    def flag_until(days: float) -> Flag:
        (flag,) = rare_purpose([e for e in [*common, *rare]
                                if base + (days - 7) * day <= e.time <= base + days * day],
                               ctx())
        return flag

    first = flag_until(7.9)
    assert first.seqs == (201, 202)
    review = reviewed(first)
    moved = flag_until(8.5)  # the first rare use has left the window
    assert moved.seqs == (202,) and moved.id == first.id
    assert review_state(moved, [review]) == ("reviewed", 0)
    grown = flag_until(10)  # another rare use since the review: look again
    assert grown.seqs == (202, 203) and grown.id == first.id
    assert review_state(grown, [review]) == ("grown", 1)
    assert review_state(grown, []) == ("open", 2)
    assert review_state(grown, [review, reviewed(grown)]) == ("reviewed", 0)


# -- consent probing -----------------------------------------------------------------------

def invalid(seq: int, when: dt.datetime, subject: str) -> Entry:
    return entry(seq, when, subjects=(subject,), outcome="DENIED",
                 denied=(("person.household", "CONSENT_INVALID"),))


def test_repeated_consent_invalid_for_one_subject() -> None:
    base = at(f"{WORKDAY} 10:00")
    tries = [invalid(i, base + i * 10 * MIN, person(7)) for i in range(1, 4)]
    (flag,) = consent_probing(tries, ctx())
    assert flag.about == person(7) and flag.seqs == (1, 2, 3)
    assert consent_probing(tries[:2], ctx()) == []
    spread = [invalid(i, base + i * 40 * MIN, person(7)) for i in range(1, 4)]
    assert consent_probing(spread, ctx()) == []
    others = [invalid(i, base + i * MIN, person(i)) for i in range(1, 4)]
    assert consent_probing(others, ctx()) == []


# -- consent edge --------------------------------------------------------------------------

def test_consents_used_to_their_last_use_or_last_minute() -> None:
    base = at(f"{WORKDAY} 10:00")
    used = {"person(1)": ("household",)}
    uses = [entry(i, base + i * MIN, consents=("cst_a",), categories=used) for i in range(1, 4)]
    late = entry(9, base + 59 * MIN + 30 * dt.timedelta(seconds=1), consents=("cst_b",),
                 categories=used)
    one_time = entry(10, base, consents=("cst_c",), categories=used)
    presented = entry(11, base, consents=("cst_d",))  # no data released: not relied on
    terms = {"cst_a": ConsentTerms(base + dt.timedelta(days=30), 3, 3),
             "cst_b": ConsentTerms(base + 60 * MIN, 5, 1),
             "cst_c": ConsentTerms(base + dt.timedelta(days=1), 1, 1),
             "cst_d": ConsentTerms(base + MIN, 2, 2)}
    c = dataclasses.replace(ctx(), consents=terms)
    found = {(f.about, f.facts["kind"]): f for f in consent_edge([*uses, late, one_time,
                                                                  presented], c)}
    assert set(found) == {("cst_a", "uses"), ("cst_b", "time")}
    assert found[("cst_a", "uses")].seqs == (1, 2, 3)
    assert found[("cst_b", "time")].seqs == (9,)


# -- all together --------------------------------------------------------------------------

def test_evaluate_runs_only_the_enabled_rules_newest_first() -> None:
    entries = reads(20, at("2026-11-28 10:00"), dt.timedelta(seconds=5))  # a Saturday
    found = evaluate(entries, ctx(), at("2026-11-27 00:00"), at("2026-11-29 00:00"))
    assert {f.rule for f in found} == {"fishing", "no_case", "out_of_hours"}
    only = dataclasses.replace(ctx(), settings=dataclasses.replace(
        ctx().settings, enabled=frozenset({"fishing"})))
    assert [f.rule for f in evaluate(entries, only, at("2026-11-27 00:00"),
                                     at("2026-11-29 00:00"))] == ["fishing"]
    assert all(isinstance(f, Flag) and len(f.id) == 16 for f in found)
