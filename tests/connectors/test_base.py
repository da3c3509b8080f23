"""The answer protocol: data older than a source's declared max_age are stale (UNAVAILABLE)."""

from __future__ import annotations

import datetime as dt

import pytest

from connectors.base import Answer, check_age
from connectors.records import Record

CHINA = dt.timezone(dt.timedelta(hours=8))
AS_OF = dt.datetime(2026, 11, 27, 2, 0, tzinfo=CHINA)
DAY = 86400.0


@pytest.mark.parametrize(("now", "status"), [
    (AS_OF + dt.timedelta(days=1), "OK"),
    (AS_OF + dt.timedelta(days=1, microseconds=1), "UNAVAILABLE"),
    (AS_OF - dt.timedelta(hours=1), "OK"),  # a department clock ahead of ours is not stale
])
def test_boundary_of_max_age(now: dt.datetime, status: str) -> None:
    record = Record("violation", {"decision_no": "x"})
    answer = check_age(Answer("OK", (record,), as_of=AS_OF), DAY, now)
    assert answer.status == status and answer.stale == (status != "OK")
    assert answer.records == (record,) and answer.as_of == AS_OF


def test_not_found_ages_too() -> None:
    answer = check_age(Answer("NOT_FOUND", as_of=AS_OF), DAY, AS_OF + dt.timedelta(days=2))
    assert answer.status == "UNAVAILABLE" and answer.stale
    assert "max_age" in (answer.detail or "")


@pytest.mark.parametrize("answer", [
    Answer("OK", as_of=None),  # undated: cannot be checked
    Answer("UNAVAILABLE", detail="down", as_of=AS_OF),
    Answer("INVALID", detail="garbage", as_of=AS_OF),
])
def test_undated_and_failed_answers_are_left_alone(answer: Answer) -> None:
    assert check_age(answer, DAY, AS_OF + dt.timedelta(days=30)) is answer


def test_no_declared_max_age_never_stales() -> None:
    answer = Answer("OK", as_of=AS_OF)
    assert check_age(answer, None, AS_OF + dt.timedelta(days=3650)) is answer
