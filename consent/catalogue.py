"""The purpose catalogue (`matters`): the registered "one things" and the enterprise checks.

For each purpose: who may use it, which data categories it may release, its legal basis (the
subject's consent, or a statutory duty) and the fair-use caps on consents given for it (longest
validity, one-time or reusable, most uses). The defaults follow `shared/domain.md`; a deployment
overrides or extends them with `[matters.CODE]` tables (read by `hub.config.matters`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from connectors.catalogue import CheckKind, domains_of
from consent.artefact import FetchType

__all__ = ["DEFAULT_MATTERS", "FETCH_TYPES", "LEGAL_BASES", "LegalBasis", "Matter"]

LegalBasis = Literal["CONSENT", "STATUTORY"]
FETCH_TYPES: tuple[FetchType, ...] = ("ONE_TIME", "REUSABLE")
LEGAL_BASES: tuple[LegalBasis, ...] = ("CONSENT", "STATUTORY")


@dataclass(frozen=True, slots=True)
class Matter:
    code: str
    title: str
    legal_basis: LegalBasis
    callers: frozenset[str]
    categories: tuple[str, ...]
    max_validity_days: int = 30
    fetch_types: tuple[FetchType, ...] = FETCH_TYPES
    max_uses: int = 1

    def releases(self, category: str) -> bool:
        return category in self.categories


_PORTAL = frozenset({"portal", "window"})
_IPO = tuple(d.code for d in domains_of(CheckKind.IPO_COMPLIANCE))
_BANKRUPTCY = tuple(d.code for d in domains_of(CheckKind.BANKRUPTCY))

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
