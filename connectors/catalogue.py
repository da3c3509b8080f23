"""The checks and data categories the hub knows, with their domains and human titles.

This is the domain of `shared/domain.md` as data: which domains make up the IPO compliance check
and the bankruptcy information check, their Chinese titles, and the person data categories of
the portal. Sources declare in configuration which of these they serve.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "CHECK_KINDS",
    "PERSON_CATEGORIES",
    "CheckKind",
    "DomainInfo",
    "domains_of",
]



class CheckKind(StrEnum):
    """The one-shot checks a lead department runs (the GraphQL enum `CheckKind` is this)."""

    IPO_COMPLIANCE = "IPO_COMPLIANCE"
    BANKRUPTCY = "BANKRUPTCY"


CHECK_KINDS: tuple[CheckKind, ...] = tuple(CheckKind)


@dataclass(frozen=True, slots=True)
class DomainInfo:
    code: str
    title: str
    english: str


_IPO = (
    DomainInfo("urban_management", "城市管理", "urban management"),
    DomainInfo("planning_resources", "规划自然资源", "planning and natural resources"),
    DomainInfo("labour", "劳动保障", "labour and social security law"),
    DomainInfo("environment", "生态环境保护", "ecology and environment"),
    DomainInfo("market_regulation", "市场监管", "market regulation"),
    DomainInfo("health", "卫生和人员健康", "health"),
    DomainInfo("culture_tourism", "文化和旅游市场", "culture and tourism market"),
    DomainInfo("emergency", "应急管理", "emergency management and work safety"),
    DomainInfo("housing_construction", "住房、工程建设", "housing and construction"),
    DomainInfo("housing_fund", "住房公积金缴存", "housing provident fund contributions"),
    DomainInfo("science_tech", "科技", "science and technology"),
    DomainInfo("transport", "交通运输", "transport"),
    DomainInfo("tax", "企业合法纳税情况", "lawful tax payment"),
    DomainInfo("intellectual_property", "知识产权", "intellectual property"),
    DomainInfo("water", "水资源保护", "water resources protection"),
    DomainInfo("fire_safety", "消防安全", "fire safety"),
    DomainInfo("telecom", "电信监管", "telecom regulation"),
)

_BANKRUPTCY = (
    DomainInfo("vehicles", "车辆", "vehicles"),
    DomainInfo("real_estate", "不动产登记", "real-estate registration"),
    DomainInfo("social_insurance", "社会保险参保缴费", "social insurance contributions and arrears"),
    DomainInfo("registration", "注册登记基本信息", "registration basics"),
    DomainInfo("medical_insurance", "医保缴存", "staff medical insurance contributions"),
    DomainInfo("buildings", "房产", "buildings owned"),
    DomainInfo("housing_fund", "住房公积金缴存", "staff housing provident fund contributions"),
    DomainInfo("tax", "纳税缴税", "taxes paid and owed"),
    DomainInfo("customs", "海关税款缴纳、货物通关", "customs duties and clearance"),
)

_DOMAINS: Mapping[CheckKind, tuple[DomainInfo, ...]] = {
    CheckKind.IPO_COMPLIANCE: _IPO,
    CheckKind.BANKRUPTCY: _BANKRUPTCY,
}

PERSON_CATEGORIES: Mapping[str, str] = {
    "household": "户籍 household registration",
    "residence_permit": "居住证 residence permit",
    "property": "不动产权证书 property certificates",
    "social_insurance": "社保缴费记录 social insurance record",
    "marriage": "婚姻登记 marriage",
    "low_income": "低保、特困 subsistence / low-income status",
    "education": "学历 education degree",
    "birth_certificate": "出生医学证明 birth medical certificate",
    "disability": "残疾人证 disability certificate",
    "credit": "征信 credit report",
    "vehicles": "机动车 vehicles",
}


def domains_of(kind: CheckKind) -> tuple[DomainInfo, ...]:
    """The domains of a check, in the order of the policy's attachment."""
    return _DOMAINS[kind]
