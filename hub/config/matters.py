"""Reading `[matters.CODE]` tables: the purpose catalogue's defaults overridden or extended."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.catalogue import PERSON_CATEGORIES
from consent.catalogue import DEFAULT_MATTERS, FETCH_TYPES, LEGAL_BASES, Matter
from hub.config.errors import ConfigError

__all__ = ["parse_matters"]


def parse_matters(table: Any, callers: frozenset[str]) -> dict[str, Matter]:
    """Defaults overridden by `[matters.CODE]` tables; errors name the bad key."""
    matters = dict(DEFAULT_MATTERS)
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
        known = {"title", "legal_basis", "callers", "categories", "max_validity_days",
                 "fetch_types", "max_uses"}
        if set(raw) - known:
            raise ConfigError(f"{where}.{sorted(set(raw) - known)[0]}: unknown key")
        base = matters.get(code)
        values: dict[str, Any] = {
            "title": raw.get("title", base.title if base else code),
            "legal_basis": raw.get("legal_basis", base.legal_basis if base else "CONSENT"),
            "callers": raw.get("callers", sorted(base.callers) if base else []),
            "categories": raw.get("categories", list(base.categories) if base else []),
            "max_validity_days": raw.get("max_validity_days",
                                         base.max_validity_days if base else 30),
            "fetch_types": raw.get("fetch_types", list(base.fetch_types) if base else
                                   list(FETCH_TYPES)),
            "max_uses": raw.get("max_uses", base.max_uses if base else 1),
        }
        if values["legal_basis"] not in LEGAL_BASES:
            raise ConfigError(f"{where}.legal_basis: must be CONSENT or STATUTORY")
        for key in ("callers", "categories", "fetch_types"):
            if not isinstance(values[key], list) or not all(isinstance(v, str)
                                                            for v in values[key]):
                raise ConfigError(f"{where}.{key}: must be a list of strings")
        unknown_callers = sorted(set(values["callers"]) - callers)
        if unknown_callers:
            raise ConfigError(f"{where}.callers: {unknown_callers[0]!r} is not a declared caller")
        if values["legal_basis"] == "CONSENT":
            bad = sorted(set(values["categories"]) - set(PERSON_CATEGORIES))
            if bad:
                raise ConfigError(f"{where}.categories: {bad[0]!r} is not a person data "
                                  f"category ({', '.join(PERSON_CATEGORIES)})")
        bad_fetch = sorted(set(values["fetch_types"]) - set(FETCH_TYPES))
        if bad_fetch:
            raise ConfigError(f"{where}.fetch_types: {bad_fetch[0]!r} is not ONE_TIME or REUSABLE")
        for key, high in (("max_validity_days", 3650), ("max_uses", 10_000)):
            value = values[key]
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
                raise ConfigError(f"{where}.{key}: must be a whole number from 0 to {high}")
        matters[code] = Matter(code, str(values["title"]), values["legal_basis"],
                               frozenset(values["callers"]), tuple(values["categories"]),
                               values["max_validity_days"], tuple(values["fetch_types"]),
                               values["max_uses"])
    return matters
