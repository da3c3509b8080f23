"""Canonical JSON: fixed vectors, and values that have no canonical form."""

from __future__ import annotations

import pytest

from signing.canonical import CanonicalError, canonical


def test_fixed_vector() -> None:
    doc = {"b": [1, 2.5, None, True], "a": "新乡 \"x\"", "c": {"z": 0, "y": -1}}
    assert canonical(doc) == ('{"a":"新乡 \\"x\\"","b":[1,2.5,null,true],'
                              '"c":{"y":-1,"z":0}}').encode()


@pytest.mark.parametrize(("doc", "says"), [
    ({"a": float("nan")}, "$.a: NaN"),
    ({"a": [1, {"b": float("inf")}]}, "$.a[1].b: NaN and infinities"),
    ({"a": {1: "x"}}, "$.a: object keys must be strings"),
    ({"a": {1, 2}}, "$.a: set is not a JSON value"),
    ({"a": b"bytes"}, "$.a: bytes is not a JSON value"),
    ({"a": [1, (2, 3)]}, "$.a[1]: tuple is not a JSON value"),
    ({"a": {"b": [{"c": float("-inf")}]}}, "$.a.b[0].c: NaN and infinities"),
    ({"a": [1.5, 2.0, float("nan")]}, "$.a[2]: NaN and infinities"),  # finite floats before
    ({"a": 0.5, "b": float("inf")}, "$.b: NaN and infinities"),
    ({"ok": [{"ms": 1.25}], "a": [{"ms": 2.5}, {"ms": float("nan")}]},
     "$.a[1].ms: NaN and infinities"),
])
def test_values_without_a_canonical_form(doc: object, says: str) -> None:
    with pytest.raises(CanonicalError, match=f"^{says}".replace("[", r"\[").replace("$", r"\$")):
        canonical(doc)


def test_subclasses_of_json_types_are_taken_as_those_types() -> None:
    """A `StrEnum` value or a dict subclass is canonical as the plain value it is."""
    import enum

    class Colour(enum.StrEnum):
        RED = "red"

    class Ordered(dict):  # type: ignore[type-arg]
        pass

    assert canonical(Ordered(b=Colour.RED, a=[True, 1])) == b'{"a":[true,1],"b":"red"}'
