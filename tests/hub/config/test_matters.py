"""`[matters.CODE]` tables: defaults kept, overrides applied, every bad value named by key."""

from __future__ import annotations

from typing import Any

import pytest

from consent.catalogue import DEFAULT_MATTERS
from hub.config.errors import ConfigError
from hub.config.matters import parse_matters

CALLERS = frozenset({"portal", "window", "fgw", "xzsp", "court", "auditor"})


def test_no_table_keeps_the_defaults() -> None:
    assert parse_matters(None, CALLERS) == dict(DEFAULT_MATTERS)


def test_an_override_changes_only_what_it_names() -> None:
    matters = parse_matters({"SCHOOL_ENROLMENT": {"max_uses": 2, "callers": ["portal"]}},
                            CALLERS)
    school = matters["SCHOOL_ENROLMENT"]
    assert school.max_uses == 2 and school.callers == frozenset({"portal"})
    default = DEFAULT_MATTERS["SCHOOL_ENROLMENT"]
    assert school.categories == default.categories
    assert school.max_validity_days == default.max_validity_days
    assert matters["NEWBORN"] == DEFAULT_MATTERS["NEWBORN"]


def test_a_new_matter_is_added() -> None:
    matters = parse_matters({"VETERAN_SERVICES": {
        "title": "退役军人服务", "callers": ["portal"], "categories": ["household"],
        "max_validity_days": 60, "fetch_types": ["ONE_TIME"], "max_uses": 1}}, CALLERS)
    veteran = matters["VETERAN_SERVICES"]
    assert veteran.legal_basis == "CONSENT" and veteran.fetch_types == ("ONE_TIME",)
    assert veteran.releases("household") and not veteran.releases("credit")


@pytest.mark.parametrize(("table", "says"), [
    ([], "matters: must be a table of [matters.CODE]"),
    ({"SCHOOL_ENROLMENT": "x"}, "matters.SCHOOL_ENROLMENT: must be a table"),
    ({"school": {}}, "matters.school: a matter code is upper-case letters, digits and _"),
    ({"NEWBORN": {"colour": 1}}, "matters.NEWBORN.colour: unknown key"),
    ({"NEWBORN": {"legal_basis": "WHIM"}}, "matters.NEWBORN.legal_basis: must be CONSENT or "
                                           "STATUTORY"),
    ({"NEWBORN": {"callers": "portal"}}, "matters.NEWBORN.callers: must be a list of strings"),
    ({"NEWBORN": {"callers": ["nobody"]}}, "matters.NEWBORN.callers: 'nobody' is not a "
                                           "declared caller"),
    ({"NEWBORN": {"categories": ["horoscope"]}}, "matters.NEWBORN.categories: 'horoscope' is "
                                                 "not a person data category"),
    ({"NEWBORN": {"fetch_types": ["FOREVER"]}}, "matters.NEWBORN.fetch_types: 'FOREVER' is not "
                                                "ONE_TIME or REUSABLE"),
    ({"NEWBORN": {"max_uses": -1}}, "matters.NEWBORN.max_uses: must be a whole number from 0"),
    ({"NEWBORN": {"max_uses": True}}, "matters.NEWBORN.max_uses: must be a whole number"),
    ({"NEWBORN": {"max_validity_days": 4000}}, "matters.NEWBORN.max_validity_days: must be a "
                                               "whole number from 0 to 3650"),
])
def test_bad_values_name_the_key(table: Any, says: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_matters(table, CALLERS)
    assert says in str(info.value)


def test_an_override_keeps_the_form_and_restricts_the_first_role() -> None:
    matters = parse_matters({"OPEN_RESTAURANT": {"categories": ["registration",
                                                                "business_licence"]}}, CALLERS)
    restaurant = matters["OPEN_RESTAURANT"]
    base = DEFAULT_MATTERS["OPEN_RESTAURANT"]
    assert restaurant.form == base.form and restaurant.materials == base.materials
    assert restaurant.categories == ("registration", "business_licence")
    assert not restaurant.releases("enterprise_property", "enterprise")
    school = parse_matters({"SCHOOL_ENROLMENT": {"categories": ["household"]}},
                           CALLERS)["SCHOOL_ENROLMENT"]
    assert school.releases("household", "guardian") and not school.releases("property")
    assert school.releases("vaccination", "child")  # the other roles are left as they are


@pytest.mark.parametrize(("table", "says"), [
    ({"OPEN_RESTAURANT": {"categories": ["household"]}},
     "matters.OPEN_RESTAURANT.categories: 'household' is not an enterprise data category"),
    ({"NEWBORN": {"categories": ["business_licence"]}},
     "matters.NEWBORN.categories: 'business_licence' is not a person data category"),
    ({"NEWBORN": {"title": ""}}, "matters.NEWBORN.title: must be a non-empty string"),
    ({"NEWBORN": {"form": []}}, "matters.NEWBORN.form: unknown key (known: title"),
])
def test_overrides_of_the_new_matters_name_the_key(table: Any, says: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_matters(table, CALLERS)
    assert says in str(info.value)
