"""The dashboard's numbers, counted from audit entry bodies: pure, no database, no drawing.

Accesses over time per department (the calling system) and per purpose, denials by code, the
department × purpose matrix, and per department source its availability (calls answered OK or
NOT_FOUND, out of all calls) and its 95th-percentile latency over time. Time buckets are hours
for windows of up to two days and days beyond, in the console's time zone. Shed requests
recorded as one aggregate entry count as the number of requests they stand for; an entry
denied with several codes counts once under each.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from hub.console.charts import MAX_SERIES, Series
from hub.console.entries import Entry

__all__ = ["ANSWERED", "Stats", "buckets", "compute", "percentile", "top"]

ANSWERED = frozenset({"OK", "NOT_FOUND"})  # a source that answered, with or without a record
_NONE = "—"


@dataclass(frozen=True, slots=True)
class Stats:
    labels: tuple[str, ...]  # the time buckets
    by_caller: tuple[Series, ...]
    by_purpose: tuple[Series, ...]
    denials: tuple[tuple[str, int], ...]  # code → entries denied with it, most first
    matrix_callers: tuple[str, ...]
    matrix_purposes: tuple[str, ...]
    matrix: Mapping[tuple[str, str], int]
    availability: tuple[Series, ...]  # percent per bucket, the least available sources
    latency: tuple[Series, ...]  # p95 ms per bucket, the slowest sources
    entries: int  # entries counted
    requests: int  # requests they stand for


def buckets(since: dt.datetime, until: dt.datetime, zone: ZoneInfo
            ) -> tuple[list[dt.datetime], dt.timedelta, str]:
    """Bucket starts covering [since, until), their width, and the label format."""
    hourly = until - since <= dt.timedelta(days=2)
    step = dt.timedelta(hours=1) if hourly else dt.timedelta(days=1)
    start = since.astimezone(zone).replace(minute=0, second=0, microsecond=0)
    if not hourly:
        start = start.replace(hour=0)
    out: list[dt.datetime] = []
    moment = start
    while moment < until:
        out.append(moment)
        moment = (moment + step).astimezone(zone)  # fixed-offset zones: plain addition
    return out, step, "%m-%d %H:00" if hourly else "%m-%d"


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by the nearest-rank method."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def top(counts: Mapping[str, float], n: int = MAX_SERIES - 1, *, reverse: bool = True
        ) -> list[str]:
    """The n keys with the highest (or, reverse=False, lowest) values, ties by name."""
    return sorted(counts, key=lambda k: ((-counts[k]) if reverse else counts[k], k))[:n]


def compute(entries: Iterable[Entry], since: dt.datetime, until: dt.datetime, zone: ZoneInfo,
            names: Mapping[str, str]) -> Stats:
    """Count `entries` (between since and until) in buckets; callers shown by `names`."""
    starts, step, fmt = buckets(since, until, zone)
    first = starts[0]
    n = len(starts)
    per_caller: dict[str, list[float]] = defaultdict(lambda: [0.0] * n)
    per_purpose: dict[str, list[float]] = defaultdict(lambda: [0.0] * n)
    denials: Counter[str] = Counter()
    matrix: Counter[tuple[str, str]] = Counter()
    calls: dict[str, list[list[tuple[str, float]]]] = defaultdict(lambda: [[] for _ in range(n)])
    counted = requests = 0
    for e in entries:
        index = (e.time - first) // step
        if not 0 <= index < n:
            continue
        counted += 1
        requests += e.requests
        caller = names.get(e.caller or "", e.caller or _NONE)
        purpose = e.purpose or _NONE
        per_caller[caller][index] += e.requests
        per_purpose[purpose][index] += e.requests
        matrix[(caller, purpose)] += e.requests
        for code in e.codes:
            denials[code] += e.requests
        for source, status, ms, _ in e.sources:
            calls[source][index].append((status, ms))
    labels = tuple(s.strftime(fmt) for s in starts)
    callers = {k: sum(v) for k, v in per_caller.items()}
    purposes = {k: sum(v) for k, v in per_purpose.items()}
    return Stats(
        labels=labels,
        by_caller=_folded(per_caller, n),
        by_purpose=_folded(per_purpose, n),
        denials=tuple(sorted(denials.items(), key=lambda kv: (-kv[1], kv[0]))),
        matrix_callers=tuple(top(callers)), matrix_purposes=tuple(top(purposes)),
        matrix=dict(matrix), availability=_availability(calls), latency=_latency(calls),
        entries=counted, requests=requests)


def _folded(series: Mapping[str, list[float]], n: int) -> tuple[Series, ...]:
    """The biggest series, and the rest summed as one "others" series (其他)."""
    totals = {k: sum(v) for k, v in series.items()}
    kept = top(totals)
    out = [Series(k, tuple(series[k])) for k in kept]
    rest = [k for k in series if k not in kept]
    if rest:
        out.append(Series("其他 others", tuple(sum(series[k][i] for k in rest)
                                               for i in range(n))))
    return tuple(out)


def _availability(calls: Mapping[str, list[list[tuple[str, float]]]]) -> tuple[Series, ...]:
    overall = {s: sum(st in ANSWERED for b in buckets_ for st, _ in b)
               / max(1, sum(len(b) for b in buckets_)) for s, buckets_ in calls.items()}
    chosen = top(overall, reverse=False)
    return tuple(Series(s, tuple(round(100 * sum(st in ANSWERED for st, _ in b) / len(b), 1)
                                 if b else None for b in calls[s])) for s in chosen)


def _latency(calls: Mapping[str, list[list[tuple[str, float]]]]) -> tuple[Series, ...]:
    overall = {s: percentile([ms for b in buckets_ for _, ms in b], 95)
               for s, buckets_ in calls.items() if any(buckets_)}
    chosen = top(overall)
    return tuple(Series(s, tuple(round(percentile([ms for _, ms in b], 95), 1) if b else None
                                 for b in calls[s])) for s in chosen)
