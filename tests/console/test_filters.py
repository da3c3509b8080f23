"""The search form: each field checked and named, subjects matched by pseudonym and never
kept in clear, cursors as the GraphQL API gives them."""

from __future__ import annotations

import datetime as dt

import pytest

from hub.console.filters import (
    ConsoleFilter,
    FilterProblem,
    cursor,
    mask,
    parse_filter,
    seq_after,
)
from hub.console.i18n import LANGS, Translator
from schema.errors import BadUserInput
from tests.console.entries import SHANGHAI
from tests.identifier_oracle import oracle_ric, unknown_uscc

USCC = unknown_uscc("110000", 60003734)
RID = oracle_ric("41070219670814457")
WRONG_CHECK = RID[:-1] + ("0" if RID[-1] != "0" else "1")
TODAY = dt.date(2026, 11, 28)


def parse(**form: str) -> ConsoleFilter:
    return parse_filter(form, zone=SHANGHAI, today=TODAY, callers={"fgw", "portal"},
                        pseudonyms=lambda rid: (f"v1:{'a' * 64}", f"v2:{'b' * 64}"))


def test_an_empty_form_is_no_filter() -> None:
    assert parse() == ConsoleFilter()
    assert parse(caller="", operator="  ") == ConsoleFilter()


def test_fields_are_taken() -> None:
    f = parse(caller="fgw", operator="clerk-7", purpose="IPO_COMPLIANCE", consent="cst_1",
              case="(2026)豫07破1号", outcome="DENIED", since="2026-11-27T09:30",
              until="2026-11-28T10:00", application="APP-1", job="job-9")
    assert f.since == dt.datetime(2026, 11, 27, 9, 30, tzinfo=SHANGHAI)
    s = f.search()
    assert (s.caller, s.operator, s.purpose, s.consent_id, s.case, s.outcome) == (
        "fgw", "clerk-7", "IPO_COMPLIANCE", "cst_1", "(2026)豫07破1号", "DENIED")
    assert s.since == "2026-11-27T01:30:00.000000Z" and (s.application, s.job) == ("APP-1", "job-9")


def test_a_resident_id_becomes_its_pseudonyms_and_is_never_kept() -> None:
    rid = RID
    f = parse(subject=rid)
    assert f.subject_keys == (f"v1:{'a' * 64}", f"v2:{'b' * 64}")
    assert f.subject_label == mask(rid) == rid[:6] + "********" + rid[-4:]
    for text in (f.to_json(), str(f.describe())):
        assert rid not in text and rid[6:14] not in text
    assert "subject_label" not in f.describe()
    assert ConsoleFilter.from_json(f.to_json()) == f


def test_a_uscc_is_matched_as_it_is_and_the_kept_subject_survives_the_next_search() -> None:
    f = parse(subject=USCC.lower())
    assert f.subject_keys == (USCC,)
    kept = parse(subject_keys=",".join(f.subject_keys), subject_label=USCC, caller="fgw")
    assert kept.subject_keys == (USCC,) and kept.caller == "fgw"
    assert parse(subject_keys=USCC, clear_subject="1").subject_keys == ()


@pytest.mark.parametrize(("form", "field", "problem"), [
    ({"caller": "nobody"}, "caller", "caller"),
    ({"purpose": "school"}, "purpose", "purpose"),
    ({"outcome": "MAYBE"}, "outcome", "outcome"),
    ({"operator": "clerk 7"}, "operator", "token"),
    ({"consent": "x" * 129}, "consent", "token"),
    ({"application": "a/b"}, "application", "token"),
    ({"case": "a\x07b"}, "case", "case"),
    ({"since": "yesterday"}, "since", "time"),
    ({"since": "2026-11-28T10:00", "until": "2026-11-27T10:00"}, "until", "order"),
    ({"subject": "12345"}, "subject", "subject"),
    ({"subject": WRONG_CHECK}, "subject", "subject"),
    ({"subject_keys": "v1:xyz"}, "subject", "kept"),
])
def test_a_bad_field_is_named(form: dict[str, str], field: str, problem: str) -> None:
    with pytest.raises(FilterProblem) as caught:
        parse(**form)
    assert (caught.value.field, caught.value.problem) == (field, problem)
    for lang in LANGS:  # the page can say it in either language
        assert Translator(lang)(f"f.{field}") and Translator(lang)(f"err.{problem}",
                                                                   **caught.value.values)


def test_cursors_round_trip_and_foreign_ones_are_refused() -> None:
    assert seq_after(cursor(42)) == 42 and seq_after(None) is None
    for bad in ("bm90IGEgY3Vyc29y", "c2VxOi0x", "!!", "c2VxOjEyMzQ1Njc4OTAxMjM0NTY3ODkw"):
        with pytest.raises(BadUserInput, match="after: not a cursor"):
            seq_after(bad)
