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
    "CATEGORY_RECORDS",
    "CERTIFICATE_KEYED",
    "CHECK_KINDS",
    "ENTERPRISE_CATEGORIES",
    "PERSON_CATEGORIES",
    "REGISTRATION",
    "CheckKind",
    "DomainInfo",
    "domain_info",
    "domains_of",
    "reported_domains",
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

# The market registry's registration: a bankruptcy check's domain, and every check's gate.
REGISTRATION = next(d for d in _BANKRUPTCY if d.code == "registration")

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
    # Added for the 21 "one things" (issue 12).
    "vaccination": "预防接种记录 vaccination record",
    "medical_insurance": "医保参保信息 medical insurance",
    "housing_fund": "个人住房公积金账户 own housing-fund account",
    "exit_entry": "出入境记录 exit-entry records",
    "veteran": "退役军人信息 veteran status",
    "overseas_degree": "国(境)外学历学位认证 overseas degree verification",
    "ss_card": "社会保障卡 social security card",
    "pension": "基本养老保险 pension insurance",
    "one_child": "独生子女父母光荣证 one-child certificate",
    "disability_subsidy": "残疾人两项补贴 disability subsidies",
    "subsidised_housing": "保障性住房 subsidised housing held",
    "contract_filing": "商品房网签备案 purchase contract filing",
    "newborn_birth": "新生儿出生医学证明 newborn's birth medical certificate",
    "newborn_vaccination": "新生儿预防接种 newborn's vaccination record",
}

# Person categories keyed by a birth medical certificate number instead of a resident ID: a
# newborn has no ID yet. Their data is released on a parent's consent, and only when the record
# names that parent.
CERTIFICATE_KEYED = frozenset({"newborn_birth", "newborn_vaccination"})

# Enterprise data that enterprise-side matters use under the enterprise's authorisation.
ENTERPRISE_CATEGORIES: Mapping[str, str] = {
    "registration": "注册登记基本信息 registration basics",
    "business_licence": "营业执照 business licence",
    "seal": "印章备案 seal filing",
    "bank_account": "基本存款账户 basic bank account",
    "tax_registration": "税务登记与清税 tax registration and clearance",
    "si_registration": "单位社会保险登记 social insurance registration",
    "fund_unit": "住房公积金单位登记 housing-fund registration",
    "enterprise_vehicles": "单位机动车登记 registered vehicles",
    "transport_permit": "道路运输经营许可证 road transport permit",
    "transport_vehicles": "道路运输证 road transport certificates",
    "oversize_permits": "公路超限运输许可 oversize transport permits",
    "construction_permit": "建设工程规划许可证 construction planning permit",
    "enterprise_property": "单位不动产 real estate held",
    "power_account": "用电户 electricity account",
    "utility_accounts": "供水、燃气户 water and gas accounts",
    "credit_records": "失信信息与信用修复 credit records and repair status",
    "annual_report": "企业年度报告 annual report",
    "financial_statement": "年度财务报表 annual financial statement",
    "customs_filing": "海关报关单位备案 customs registration",
}

# The hub record type each data category's sources answer with.
CATEGORY_RECORDS: Mapping[str, str] = {
    "household": "household", "residence_permit": "residence_permit", "property": "property",
    "social_insurance": "social_insurance", "marriage": "marriage", "low_income": "low_income",
    "education": "education", "birth_certificate": "birth_certificate",
    "disability": "disability", "credit": "credit_report", "vehicles": "vehicle",
    "vaccination": "vaccination", "medical_insurance": "medical_insurance",
    "housing_fund": "fund_account", "exit_entry": "exit_entry", "veteran": "veteran",
    "overseas_degree": "overseas_degree", "ss_card": "ss_card", "pension": "pension",
    "one_child": "one_child", "disability_subsidy": "disability_subsidy",
    "subsidised_housing": "subsidised_housing", "contract_filing": "contract_filing",
    "newborn_birth": "newborn", "newborn_vaccination": "newborn_vaccination",
    "registration": "registration", "business_licence": "business_licence",
    "seal": "seal_filing", "bank_account": "bank_account",
    "tax_registration": "tax_registration", "si_registration": "si_registration",
    "fund_unit": "fund_unit", "enterprise_vehicles": "motor_vehicle",
    "transport_permit": "transport_permit", "transport_vehicles": "transport_vehicle",
    "oversize_permits": "oversize_permit", "construction_permit": "construction_permit",
    "enterprise_property": "property", "power_account": "utility_account",
    "utility_accounts": "utility_account", "credit_records": "credit_record",
    "annual_report": "annual_report", "financial_statement": "financial_statement",
    "customs_filing": "customs_filing",
}


def domains_of(kind: CheckKind) -> tuple[DomainInfo, ...]:
    """The domains of a check, in the order of the policy's attachment."""
    return _DOMAINS[kind]


def reported_domains(kind: CheckKind) -> tuple[DomainInfo, ...]:
    """Every domain a `kind` check reports on: its own, and the registration every check asks
    for first (the subject gate: a revoked or deregistered enterprise is a finding there, in
    an IPO check too)."""
    own = _DOMAINS[kind]
    return own if REGISTRATION in own else (REGISTRATION, *own)


def domain_info(kind: CheckKind, code: str) -> DomainInfo | None:
    """A domain a `kind` check reports on, by code (`reported_domains`); None for a code the
    catalogue does not know."""
    return next((d for d in reported_domains(kind) if d.code == code), None)
