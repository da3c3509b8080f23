"""Reading `[sources.NAME]` tables into validated `connectors.config.SourceConfig` records.

Everything about a source is validated once, here, when the hub's configuration is loaded; an
error names the source and the bad key, and a misspelt key lists the valid ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from connectors.auth import AUTH_SCHEMES
from connectors.catalogue import (
    CATEGORY_RECORDS,
    CHECK_KINDS,
    ENTERPRISE_CATEGORIES,
    PERSON_CATEGORIES,
    CheckKind,
    domains_of,
)
from connectors.config import (
    BOOL_STYLES,
    DATE_FORMATS,
    ENVELOPES,
    MONEY_UNITS,
    TRANSPORTS,
    SourceConfig,
)
from connectors.records import RECORD_TYPES
from hub.config.errors import ConfigError
from hub.config.reader import TableReader

__all__ = ["parse_sources"]

_KNOWN = (set(SourceConfig.__dataclass_fields__) - {"name", "extra", "max_age_s"}) | {"max_age"}
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_sources(table: Any) -> tuple[SourceConfig, ...]:
    """Validate the `sources` table; raise `ConfigError` naming the source and key."""
    if not isinstance(table, Mapping) or not table:
        raise ConfigError("sources: declare at least one [sources.NAME] table")
    return tuple(_parse_one(name, raw) for name, raw in table.items())


def _parse_one(name: str, raw: Any) -> SourceConfig:
    where = f"sources.{name}"
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: must be a table")
    unknown = sorted(set(raw) - _KNOWN)
    if unknown:
        raise ConfigError(f"{where}.{unknown[0]}: unknown key (known: {', '.join(sorted(_KNOWN))})")
    r = TableReader(where, raw)
    subject = r.choice("subject", ("enterprise", "person"))
    transport = r.choice("transport", TRANSPORTS)
    record = r.choice("record", tuple(RECORD_TYPES))
    check = _check_kind(r) if subject == "enterprise" else None
    domain = r.string("domain")
    if subject == "enterprise" and check is None and domain not in ENTERPRISE_CATEGORIES:
        raise ConfigError(f"{where}.check: required for an enterprise source of a check domain "
                          f"({' or '.join(CHECK_KINDS)}); without one, domain is an enterprise "
                          f"data category ({', '.join(ENTERPRISE_CATEGORIES)})")
    allowed = ([d.code for d in domains_of(check)] if check else
               list(ENTERPRISE_CATEGORIES) if subject == "enterprise" else list(PERSON_CATEGORIES))
    if domain not in allowed:
        raise ConfigError(f"{where}.domain: {domain!r} is not a domain of "
                          f"{check or subject + ' data'}; use one of {', '.join(allowed)}")
    if check is None and record != CATEGORY_RECORDS[domain]:
        raise ConfigError(f"{where}.record: {domain} data is answered as record type "
                          f"{CATEGORY_RECORDS[domain]}, not {record}")
    fields = raw.get("fields")
    if not isinstance(fields, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) and v for k, v in fields.items()):
        raise ConfigError(f"{where}.fields: a table of hub field = department field (strings)")
    specs = RECORD_TYPES[record]
    missing = [f.name for f in specs if f.required and f.name not in fields]
    if missing:
        raise ConfigError(f"{where}.fields: no department field given for {missing[0]!r} "
                          f"of record type {record}")
    stray = sorted(set(fields) - {f.name for f in specs})
    if stray:
        raise ConfigError(f"{where}.fields.{stray[0]}: not a field of record type {record}")
    cfg = SourceConfig(
        name=name, department=r.string("department"), subject=subject, check=check,
        domain=domain, record=record, transport=transport,
        envelope=r.choice("envelope", ENVELOPES[transport]), fields=dict(fields),
        enabled=r.boolean("enabled", True), timeout_s=r.number("timeout_s", 2.0, 0.01, 120),
        max_batch=r.integer("max_batch", 100, 1, 10_000),
        concurrency=r.integer("concurrency", 4, 1, 1_000),
        coalesce=r.boolean("coalesce", True),
        coalesce_window_ms=r.number("coalesce_window_ms", 0.0, 0.0, 1.0),
        date_format=r.choice("date_format", DATE_FORMATS, "iso"),
        money_unit=r.choice("money_unit", MONEY_UNITS, "yuan"),
        bool_style=r.choice("bool_style", BOOL_STYLES, "bool"),
        max_age_s=_duration(r, "max_age"),
    )
    if transport == "sql":
        subjects = _identifier(r, "subjects_table", required=False)
        absent = r.choice("absent", ("empty", "not_found"), "empty" if subjects else "not_found")
        if absent == "empty" and not subjects:
            raise ConfigError(
                f"{where}.absent: \"empty\" cannot tell a subject the department does not hold "
                "from one with no records; declare subjects_table (the view listing the subjects "
                "it holds) or absent = \"not_found\" (every subject it holds has a row)")
        if absent == "not_found" and subjects:
            raise ConfigError(f"{where}.absent: with subjects_table, a subject outside the "
                              "roster is not found and one in it with no rows has no records; "
                              "remove absent")
        return _replace(cfg, dsn=r.string("dsn"), table=_identifier(r, "table"),
                        key_field=_identifier(r, "key_field"),
                        as_of_column=_identifier(r, "as_of_column", required=False),
                        absent=absent, subjects_table=subjects,
                        fields=_checked_columns(where, fields))
    if "absent" in raw or "subjects_table" in raw:
        raise ConfigError(f"{where}.{'absent' if 'absent' in raw else 'subjects_table'}: only "
                          "for SQL sources; a REST source says itself which subjects it knows")
    url = r.string("url")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{where}.url: {url!r} is not an http(s) URL")
    auth = r.choice("auth", AUTH_SCHEMES)
    return _replace(cfg, url=url, auth=auth, auth_header=r.string("auth_header", "X-App-Key"),
                    app_id=r.string("app_id", name), credential=r.string("credential"),
                    key_param=r.string("key_param"), key_field=r.string("key_field"),
                    records_field=r.string("records_field", "records"))


def _duration(r: TableReader, key: str) -> float | None:
    """A duration like "90s", "30m", "36h" or "2d" (or a number of seconds), or None."""
    value = r.raw.get(key)
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif (isinstance(value, str) and len(value) > 1 and value[-1] in _DURATION_UNITS
          and value[:-1].isascii() and value[:-1].isdigit()):
        seconds = float(int(value[:-1]) * _DURATION_UNITS[value[-1]])
    else:
        raise ConfigError(f"{r.where}.{key}: {value!r} is not a duration; write e.g. \"36h\" "
                          "or \"2d\" (units s, m, h, d)")
    if not 60 <= seconds <= 400 * 86400:
        raise ConfigError(f"{r.where}.{key}: must be from 1 minute to 400 days, got {value!r}")
    return seconds


def _check_kind(r: TableReader) -> CheckKind | None:
    value = r.optional_choice("check", CHECK_KINDS)
    return None if value is None else CheckKind(value)


def _replace(cfg: SourceConfig, **changes: Any) -> SourceConfig:
    values = {f: getattr(cfg, f) for f in SourceConfig.__dataclass_fields__}
    values.update(changes)
    return SourceConfig(**values)


def _identifier(r: TableReader, key: str, *, required: bool = True) -> str:
    value = r.string(key, None if required else "")
    if value and not value.replace("_", "").isalnum():
        raise ConfigError(f"{r.where}.{key}: {value!r} is not a plain SQL identifier")
    return value


def _checked_columns(where: str, fields: Mapping[str, str]) -> dict[str, str]:
    for hub_name, column in fields.items():
        if not column.replace("_", "").isalnum():
            raise ConfigError(f"{where}.fields.{hub_name}: {column!r} is not a plain SQL column")
    return dict(fields)
