"""Reading `[matters.CODE]` tables: the packaged matter files overridden or extended.

A table changes what it names of a packaged matter (title, legal basis, callers, caps); its
`categories` replace those of the matter's first role (the applicant, or the enterprise), whose
kind decides which categories are valid. A table for an unknown code adds a matter whose one
role is a person applicant. Errors name the bad key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from connectors.catalogue import CERTIFICATE_KEYED, ENTERPRISE_CATEGORIES, PERSON_CATEGORIES
from consent.catalogue import DEFAULT_MATTERS, FETCH_TYPES, LEGAL_BASES, Matter
from hub.config.errors import ConfigError
from matters.spec import RoleSpec

__all__ = ["parse_matters"]

_KNOWN = ("title", "legal_basis", "callers", "categories", "max_validity_days", "fetch_types",
          "max_uses")


def parse_matters(table: Any, callers: frozenset[str],
                  defaults: Mapping[str, Matter] = DEFAULT_MATTERS) -> dict[str, Matter]:
    """`defaults` overridden by `[matters.CODE]` tables; errors name the bad key."""
    matters = dict(defaults)
    if table is None:
        return matters
    if not isinstance(table, Mapping):
        raise ConfigError("matters: must be a table of [matters.CODE]")
    for code, raw in table.items():
        where = f"matters.{code}"
        if not isinstance(raw, Mapping):
            raise ConfigError(f"{where}: must be a table")
        if not code.isupper() or not code.replace("_", "").isalnum():
            raise ConfigError(f"{where}: a matter code is upper-case letters, digits and _")
        if set(raw) - set(_KNOWN):
            raise ConfigError(f"{where}.{sorted(set(raw) - set(_KNOWN))[0]}: unknown key "
                              f"(known: {', '.join(_KNOWN)})")
        matters[code] = _one(where, code, raw, matters.get(code), callers)
    return matters


def _one(where: str, code: str, raw: Mapping[str, Any], base: Matter | None,
         callers: frozenset[str]) -> Matter:
    values: dict[str, Any] = {
        "title": raw.get("title", base.title if base else code),
        "legal_basis": raw.get("legal_basis", base.legal_basis if base else "CONSENT"),
        "callers": raw.get("callers", sorted(base.callers) if base else []),
        "max_validity_days": raw.get("max_validity_days",
                                     base.max_validity_days if base else 30),
        "fetch_types": raw.get("fetch_types", list(base.fetch_types) if base else
                               list(FETCH_TYPES)),
        "max_uses": raw.get("max_uses", base.max_uses if base else 1),
    }
    if values["legal_basis"] not in LEGAL_BASES:
        raise ConfigError(f"{where}.legal_basis: must be CONSENT or STATUTORY")
    if not isinstance(values["title"], str) or not values["title"]:
        raise ConfigError(f"{where}.title: must be a non-empty string")
    for key in ("callers", "fetch_types"):
        _strings(where, key, values[key])
    unknown_callers = sorted(set(values["callers"]) - callers)
    if unknown_callers:
        raise ConfigError(f"{where}.callers: {unknown_callers[0]!r} is not a declared caller")
    bad_fetch = sorted(set(values["fetch_types"]) - set(FETCH_TYPES))
    if bad_fetch:
        raise ConfigError(f"{where}.fetch_types: {bad_fetch[0]!r} is not ONE_TIME or REUSABLE")
    for key, high in (("max_validity_days", 3650), ("max_uses", 10_000)):
        value = values[key]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
            raise ConfigError(f"{where}.{key}: must be a whole number from 0 to {high}")
    roles = base.roles if base else ()
    if "categories" in raw:
        roles = _roles(where, raw["categories"], roles, values["legal_basis"])
    fields = dict(title=str(values["title"]), legal_basis=values["legal_basis"],
                  callers=frozenset(values["callers"]),
                  max_validity_days=values["max_validity_days"],
                  fetch_types=tuple(values["fetch_types"]), max_uses=values["max_uses"])
    if base is None:
        return Matter(code, categories=(), roles=roles, **fields)
    return dataclasses.replace(base, categories=(), roles=roles, **fields)


def _strings(where: str, key: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}.{key}: must be a list of strings")
    return value


def _roles(where: str, value: Any, roles: tuple[RoleSpec, ...], basis: str
           ) -> tuple[RoleSpec, ...]:
    """The roles with the first one's categories replaced by `value`."""
    categories = _strings(where, "categories", value)
    first = roles[0] if roles else RoleSpec("applicant", "申请人", ())
    if basis == "CONSENT":
        allowed = (ENTERPRISE_CATEGORIES if first.kind == "enterprise" else
                   CERTIFICATE_KEYED if first.kind == "newborn" else
                   [c for c in PERSON_CATEGORIES if c not in CERTIFICATE_KEYED])
        bad = sorted(set(categories) - set(allowed))
        if bad:
            article = "an" if first.kind == "enterprise" else "a"
            raise ConfigError(f"{where}.categories: {bad[0]!r} is not {article} {first.kind} "
                              f"data category ({', '.join(allowed)})")
    return (dataclasses.replace(first, categories=tuple(categories)), *roles[1:])
