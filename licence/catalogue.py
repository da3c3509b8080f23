"""The kinds of electronic licence (电子证照) the hub verifies, who holds each, and what reading
one needs.

A licence held by an enterprise (business licence, permits) is public registration information
(企业信息公示暂行条例: registration and administrative licensing information is published), so a
caller may verify it under any purpose it is registered for — except under a matter that takes
the enterprise's authorisation for the same data (`enterprise_category`), where that
authorisation is needed as for the data itself. A licence held by a person is person data: it
belongs to a data category (`property`, `disability`) and is released only like that category,
with the person's consent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = ["LICENCE_TYPES", "HolderKind", "LicenceType", "by_library_code"]

HolderKind = Literal["enterprise", "person"]


@dataclass(frozen=True, slots=True)
class LicenceType:
    code: str  # the hub's name, the GraphQL enum value: BUSINESS_LICENCE
    title: str  # 营业执照
    english: str
    holder: HolderKind
    library_code: str  # the licence library's type code (证照类型代码), e.g. "yyzz"
    category: str | None  # the person data category whose consent it needs; None: public
    issuer: str  # the issuing department's code (颁发机构), as the issuer keys are configured
    enterprise_category: str | None = None  # the enterprise data it is (matters' consents)

    @property
    def public(self) -> bool:
        return self.category is None


LICENCE_TYPES: Mapping[str, LicenceType] = {t.code: t for t in (
    LicenceType("BUSINESS_LICENCE", "营业执照", "business licence", "enterprise", "yyzz", None,
                "scjg", "business_licence"),
    LicenceType("FOOD_BUSINESS_PERMIT", "食品经营许可证", "food business permit", "enterprise",
                "spjyxkz", None, "scjg"),
    LicenceType("ROAD_TRANSPORT_PERMIT", "道路运输经营许可证", "road transport permit",
                "enterprise", "dlysjyxkz", None, "jtj", "transport_permit"),
    LicenceType("PROPERTY_CERTIFICATE", "不动产权证书", "property certificate", "person", "bdcqz",
                "property", "bdc"),
    LicenceType("DISABILITY_CERTIFICATE", "残疾人证", "disability certificate", "person", "cjrz",
                "disability", "cl"),
)}


def by_library_code(code: str) -> LicenceType | None:
    """The licence type a library code names (None: a type this hub does not know)."""
    return next((t for t in LICENCE_TYPES.values() if t.library_code == code), None)
