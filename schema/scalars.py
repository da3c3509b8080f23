"""Scalars: `USCC` and `ResidentId` normalise and verify their input; `Money` is yuan as text;
`DateTime` is ISO 8601 with an offset.

A bad identifier is refused at the edge with the reason (length, alphabet, check character,
birth date), before any resolver runs, so no source is ever called for it. So is a time
without an offset, or one that names no instant the hub can represent (year 1 at +23:59, year
9999 at -23:59).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NewType

import strawberry
from graphql import GraphQLError
from strawberry.types.scalar import ScalarDefinition

from connectors.identifiers import InvalidIdentifier, verify_resident_id, verify_uscc

__all__ = ["CHINA", "SCALAR_MAP", "USCC", "Money", "ResidentId", "parse_datetime"]

CHINA = dt.timezone(dt.timedelta(hours=8))


# Scalars raise ValueError (InvalidIdentifier): graphql-core then reports the error at the
# offending value, naming the variable or the argument, and the hub codes it BAD_USER_INPUT.

def _parse_uscc(value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidIdentifier("a USCC is a string of 18 characters")
    return verify_uscc(value)


def _parse_resident_id(value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidIdentifier("a resident ID is a string of 18 characters")
    return verify_resident_id(value, today=dt.datetime.now(CHINA).date())


def parse_datetime(value: Any) -> dt.datetime:
    """An ISO 8601 time with offset, as an aware datetime; ValueError with the reason."""
    if not isinstance(value, str):
        raise ValueError("a DateTime is a string, e.g. 2026-11-01T09:00:00+08:00")
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError("not an ISO 8601 date and time, e.g. 2026-11-01T09:00:00+08:00") \
            from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("give a time zone offset, e.g. 2026-11-01T09:00:00+08:00")
    try:
        moment.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError("the time lies outside the years 1 to 9999 once converted to UTC") \
            from None
    return moment


USCC = NewType("USCC", str)
ResidentId = NewType("ResidentId", str)
Money = NewType("Money", int)


def _money(fen: int) -> str:
    return f"{'-' if fen < 0 else ''}{abs(fen) // 100}.{abs(fen) % 100:02d}"


# Scalars are declared on NewTypes and mapped in the schema config (strawberry's scalar_map),
# so annotations stay plain types that mypy understands.
SCALAR_MAP: dict[object, ScalarDefinition] = {
    USCC: strawberry.scalar(
        name="USCC",
        description="统一社会信用代码 unified social credit code (GB 32100-2015), check "
        "character verified; whitespace, full-width characters and lower case are normalised.",
        serialize=str, parse_value=_parse_uscc),
    ResidentId: strawberry.scalar(
        name="ResidentId",
        description="居民身份证号码 resident identity number (GB 11643), check character and "
        "birth date verified; a lower-case x and full-width digits are normalised.",
        serialize=str, parse_value=_parse_resident_id),
    dt.datetime: strawberry.scalar(
        name="DateTime",
        description="ISO 8601 date and time with a time zone offset, e.g. "
        "2026-11-01T09:00:00+08:00.",
        serialize=dt.datetime.isoformat, parse_value=parse_datetime),
    Money: strawberry.scalar(
        name="Money",
        description="An amount in yuan, written as a decimal string with two places (e.g. "
        "\"1234.50\"); exact, never a float.",
        serialize=_money, parse_value=lambda v: _output_only("Money")),
}


def _output_only(name: str) -> Any:
    raise GraphQLError(f"{name} is an output type and cannot be given as input",
                       extensions={"code": "BAD_USER_INPUT"})
