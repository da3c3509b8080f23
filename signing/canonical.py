"""Canonical JSON: the exact bytes that are signed, so that anyone can recompute them.

Rules (a subset of RFC 8785, JSON Canonicalization Scheme):

1. The value is a JSON object built only of objects, arrays, strings, integers, finite floats,
   booleans and null. Dates and times are ISO 8601 strings; money is an integer number of fen.
2. Object members are sorted by key (keys are ASCII, so byte order is code-point order); no key
   appears twice.
3. No insignificant whitespace: `,` and `:` with nothing around them.
4. Strings are UTF-8, not ASCII-escaped; only `"`, `\\` and control characters are escaped.
5. Floats use the shortest decimal that round-trips (as ECMAScript and RFC 8785 do); NaN and
   infinities are refused.

A signature covers `canonical(document)` where the document excludes the signature itself.
"""

from __future__ import annotations

import math
from typing import Any

import orjson

__all__ = ["CanonicalError", "canonical"]


class CanonicalError(ValueError):
    """The value cannot be put in canonical form; the message says where."""


_SCALARS = frozenset({str, int, bool, type(None)})  # always canonical-ready, by exact type


def _valid(value: Any) -> bool:
    """Whether a value is canonical-ready. Every signed document and audit entry passes here,
    so the common cases — a plain scalar or a float, checked by exact type — cost no call
    (subclasses such as a `StrEnum` take the slower `isinstance` path)."""
    kind = type(value)
    if kind in _SCALARS:
        return True
    if kind is dict or isinstance(value, dict):
        for key, item in value.items():
            if type(key) is str:
                inner = type(item)
                if inner in _SCALARS or (inner is float and _finite(item)):
                    continue
            if not isinstance(key, str) or not _valid(item):
                return False
        return True
    if kind is list or isinstance(value, list):
        for item in value:
            inner = type(item)
            if inner in _SCALARS or (inner is float and _finite(item)):
                continue
            if not _valid(item):
                return False
        return True
    if isinstance(value, float):
        return _finite(value)
    return isinstance(value, str | int | bool)


_finite = math.isfinite


def _where(value: Any, path: str) -> str:
    """The path of the first offending value (only computed for the error message)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"{path}: object keys must be strings"
            if not _valid(item):
                return _where(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if not _valid(item):
                return _where(item, f"{path}[{i}]")
    elif isinstance(value, float):
        return f"{path}: NaN and infinities have no canonical form"
    return f"{path}: {type(value).__name__} is not a JSON value"


def canonical(document: Any) -> bytes:
    """The canonical bytes of a JSON document (rules in the module docstring)."""
    if not _valid(document):
        raise CanonicalError(_where(document, "$"))
    # orjson's bytes keep the buffer they grew in (up to twice their length); signed documents
    # are kept (a batch holds a thousand until they are filed), so keep an exact-size copy.
    return memoryview(orjson.dumps(document, option=orjson.OPT_SORT_KEYS)).tobytes()
