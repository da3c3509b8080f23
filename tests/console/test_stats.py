"""The dashboard's counts, on entries the test chose, checked against counts made by hand."""

from __future__ import annotations

import datetime as dt

from hub.console.stats import buckets, compute, percentile, top
from tests.console.entries import SHANGHAI, at, entry

NAMES = {"fgw": "市发改委", "portal": "一体化政务服务平台"}


def test_hourly_buckets_up_to_two_days_then_daily_in_local_time() -> None:
    starts, step, fmt = buckets(at("2026-11-27 09:40"), at("2026-11-27 12:10"), SHANGHAI)
    assert step == dt.timedelta(hours=1) and fmt == "%m-%d %H:00"
    assert [s.strftime("%H:%M") for s in starts] == ["09:00", "10:00", "11:00", "12:00"]
    starts, step, _ = buckets(at("2026-11-20 22:00"), at("2026-11-27 22:00"), SHANGHAI)
    assert step == dt.timedelta(days=1) and len(starts) == 8
    assert starts[0] == dt.datetime(2026, 11, 20, tzinfo=SHANGHAI)


def test_percentile_is_the_nearest_rank() -> None:
    values = [15.0, 20.0, 35.0, 40.0, 50.0]  # the worked example of the nearest-rank method
    assert (percentile(values, 5), percentile(values, 30), percentile(values, 40),
            percentile(values, 50), percentile(values, 100)) == (15.0, 20.0, 20.0, 35.0, 50.0)


def test_top_keeps_the_biggest_and_breaks_ties_by_name() -> None:
    assert top({"b": 2, "a": 2, "c": 5, "d": 1}, 3) == ["c", "a", "b"]
    assert top({"b": 2, "a": 2, "c": 5, "d": 1}, 2, reverse=False) == ["d", "a"]


def test_counts_by_caller_purpose_code_and_source() -> None:
    since, until = at("2026-11-27 09:00"), at("2026-11-27 12:00")
    ok = ("sw_penalties", "OK", 10.0, 1)
    entries = [
        entry(1, at("2026-11-27 09:10"), caller="fgw", purpose="IPO_COMPLIANCE",
              sources=(ok, ("rs_arrears", "UNAVAILABLE", 2000.0, 1))),
        entry(2, at("2026-11-27 09:20"), caller="fgw", purpose="IPO_COMPLIANCE",
              sources=(("sw_penalties", "NOT_FOUND", 30.0, 1),)),
        entry(3, at("2026-11-27 10:05"), outcome="DENIED",
              denied=(("person.a", "CONSENT_REQUIRED"), ("person.b", "CONSENT_REQUIRED"))),
        entry(4, at("2026-11-27 11:59"), caller=None, purpose=None, outcome="FAILED",
              denied=(("", "RATE_LIMITED"),), requests=7),
        entry(5, at("2026-11-27 12:30")),  # outside the window
    ]
    s = compute(entries, since, until, SHANGHAI, NAMES)
    assert s.labels == ("11-27 09:00", "11-27 10:00", "11-27 11:00")
    assert (s.entries, s.requests) == (4, 10)
    by_caller = {x.name: x.values for x in s.by_caller}
    assert by_caller == {"市发改委": (2, 0, 0), "一体化政务服务平台": (0, 1, 0), "—": (0, 0, 7)}
    assert {x.name: x.values for x in s.by_purpose}["IPO_COMPLIANCE"] == (2, 0, 0)
    assert s.denials == (("RATE_LIMITED", 7), ("CONSENT_REQUIRED", 1))
    assert s.matrix[("市发改委", "IPO_COMPLIANCE")] == 2 and s.matrix[("—", "—")] == 7
    availability = {x.name: x.values for x in s.availability}
    assert availability == {"rs_arrears": (0.0, None, None), "sw_penalties": (100.0, None, None)}
    assert [x.name for x in s.availability] == ["rs_arrears", "sw_penalties"]  # worst first
    latency = {x.name: x.values for x in s.latency}
    assert latency == {"rs_arrears": (2000.0, None, None), "sw_penalties": (30.0, None, None)}


def test_many_series_fold_into_others() -> None:
    since, until = at("2026-11-27 09:00"), at("2026-11-27 10:00")
    entries = [entry(i, at("2026-11-27 09:30"), caller=f"c{i:02d}") for i in range(1, 16)]
    entries += [entry(100, at("2026-11-27 09:31"), caller="c01")]
    s = compute(entries, since, until, SHANGHAI, {})
    assert len(s.by_caller) == 12 and s.by_caller[0].name == "c01"
    assert s.by_caller[-1].name == "其他 others" and s.by_caller[-1].values == (4,)
    assert sum(x.values[0] for x in s.by_caller) == 16
