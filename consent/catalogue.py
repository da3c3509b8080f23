"""The purpose catalogue (`matters`): the registered "one things" and the enterprise checks.

For each purpose: who may use it, which data categories it may release, its legal basis (the
subject's consent, or a statutory duty) and the fair-use caps on consents given for it (longest
validity, one-time or reusable, most uses). The defaults follow `shared/domain.md`; a deployment
overrides or extends them with `[matters.CODE]` tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connectors.catalogue import PERSON_CATEGORIES, domains_of

__all__ = ["DEFAULT_MATTERS", "FETCH_TYPES", "Matter", "parse_matters"]

FETCH_TYPES = ("ONE_TIME", "REUSABLE")
LEGAL_BASES = ("CONSENT", "STATUTORY")


@dataclass(frozen=True, slots=True)
class Matter:
    code: str
    title: str
    legal_basis: str  # CONSENT | STATUTORY
    callers: frozenset[str]
    categories: tuple[str, ...]
    max_validity_days: int = 30
    fetch_types: tuple[str, ...] = FETCH_TYPES
    max_uses: int = 1

    def releases(self, category: str) -> bool:
        return category in self.categories


_PORTAL = frozenset({"portal", "window"})
_IPO = tuple(d.code for d in domains_of("IPO_COMPLIANCE"))
_BANKRUPTCY = tuple(d.code for d in domains_of("BANKRUPTCY"))

DEFAULT_MATTERS: Mapping[str, Matter] = {m.code: m for m in (
    Matter("SCHOOL_ENROLMENT", "教育入学 school enrolment", "CONSENT", _PORTAL,
           ("household", "residence_permit", "property", "social_insurance"), 30,
           FETCH_TYPES, 3),
    Matter("PUBLIC_RENTAL_HOUSING", "申请公租房 public rental housing", "CONSENT", _PORTAL,
           ("household", "vehicles", "low_income", "marriage", "education",
            "social_insurance", "property"), 60, FETCH_TYPES, 5),
    Matter("HOUSING_FUND_LOAN", "公积金贷款购房 housing-fund mortgage", "CONSENT", _PORTAL,
           ("household", "marriage", "credit", "property"), 30, FETCH_TYPES, 3),
    Matter("NEWBORN", "新生儿出生 newborn", "CONSENT", _PORTAL,
           ("birth_certificate", "household"), 30, FETCH_TYPES, 2),
    Matter("RETIREMENT", "退休 retirement", "CONSENT", _PORTAL,
           ("social_insurance", "household"), 90, FETCH_TYPES, 3),
    Matter("DISABILITY_SERVICES", "残疾人服务 disability services", "CONSENT", _PORTAL,
           ("disability", "low_income"), 365, FETCH_TYPES, 12),
    Matter("STUDY_ABROAD", "留学服务 studying abroad", "CONSENT", _PORTAL,
           ("household", "social_insurance"), 30, ("ONE_TIME",), 1),
    Matter("IPO_COMPLIANCE", "企业上市合法合规信息核查 IPO compliance check", "STATUTORY",
           frozenset({"fgw", "xzsp"}), _IPO, 0, (), 0),
    Matter("BANKRUPTCY", "企业破产信息核查 bankruptcy information check", "STATUTORY",
           frozenset({"xzsp", "court"}), _BANKRUPTCY, 0, (), 0),
    Matter("SUBJECT_ACCESS", "本人数据使用查询 the subject's own access log", "STATUTORY",
           frozenset({"portal"}), (), 0, (), 0),
)}


def parse_matters(table: Any, callers: frozenset[str]) -> dict[str, Matter]:
    """Defaults overridden by `[matters.CODE]` tables; errors name the bad key."""
    from connectors.errors import ConfigError

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
