"""The legal basis and policy citation printed with each domain of a report, and with the check.

Every check is one of the "one things" of the city's plan (新乡市人民政府《新乡市关于进一步优化政务
服务提升行政效能推动“高效办成一件事”的实施方案》, 2024-10-10, 附件1 第6项 and 第7项); each domain
cites the line of that list it answers and the law under which its department holds the data.
The IPO check covers the last three years by default because the registration rules ask about
them (《首次公开发行股票注册管理办法》第十三条); the bankruptcy inventory follows the order of
claims of 《企业破产法》第一百一十三条.
"""

from __future__ import annotations

from collections.abc import Mapping

from connectors.catalogue import CheckKind

__all__ = ["CHECK_BASIS", "DOMAIN_BASIS", "REGISTRY_BASIS", "legal_basis"]

_PLAN = "《新乡市关于进一步优化政务服务提升行政效能推动“高效办成一件事”的实施方案》附件1"
_IPO_ITEM = f"{_PLAN}第6项“企业上市合法合规信息核查”"
_BANKRUPTCY_ITEM = f"{_PLAN}第7项“企业破产信息核查”"

CHECK_BASIS: Mapping[CheckKind, str] = {
    CheckKind.IPO_COMPLIANCE: f"{_IPO_ITEM}；《首次公开发行股票注册管理办法》第十三条（最近三年内"
                              "不存在重大违法行为）",
    CheckKind.BANKRUPTCY: f"{_BANKRUPTCY_ITEM}；《中华人民共和国企业破产法》第二十五条、第一百零九条、"
                          "第一百一十三条",
}

REGISTRY_BASIS = "《中华人民共和国市场主体登记管理条例》；主体确认：核查前先经市场监管部门确认企业登记状态"

# (check, domain) → the plan's line and the law the department applies.
DOMAIN_BASIS: Mapping[tuple[CheckKind, str], str] = {
    (CheckKind.IPO_COMPLIANCE, "urban_management"):
        "企业城市管理领域无违法违规信息核查；《城市市容和环境卫生管理条例》",
    (CheckKind.IPO_COMPLIANCE, "planning_resources"):
        "企业规划自然资源领域无违法违规信息核查；《中华人民共和国土地管理法》《中华人民共和国城乡规划法》",
    (CheckKind.IPO_COMPLIANCE, "labour"):
        "企业违反劳动保障法律法规信息核查；《劳动保障监察条例》",
    (CheckKind.IPO_COMPLIANCE, "environment"):
        "企业生态环境保护领域无违法违规信息核查；《中华人民共和国环境保护法》",
    (CheckKind.IPO_COMPLIANCE, "market_regulation"):
        "企业市场监管领域无违法违规信息核查；《中华人民共和国行政处罚法》",
    (CheckKind.IPO_COMPLIANCE, "health"):
        "企业卫生和人员健康领域无违法违规信息核查；《公共场所卫生管理条例》",
    (CheckKind.IPO_COMPLIANCE, "culture_tourism"):
        "企业文化和旅游市场领域无违法违规信息核查（条件成熟时纳入）；《娱乐场所管理条例》《旅行社条例》",
    (CheckKind.IPO_COMPLIANCE, "emergency"):
        "企业应急管理领域无违法违规信息核查；《中华人民共和国安全生产法》",
    (CheckKind.IPO_COMPLIANCE, "housing_construction"):
        "企业住房、工程建设领域无违法违规信息核查；《建设工程质量管理条例》《城市房地产开发经营管理条例》",
    (CheckKind.IPO_COMPLIANCE, "housing_fund"):
        "企业人员住房公积金缴存信息核查；《住房公积金管理条例》第十五条、第二十条",
    (CheckKind.IPO_COMPLIANCE, "science_tech"):
        "企业科技领域无违法违规信息核查；《中华人民共和国科学技术进步法》",
    (CheckKind.IPO_COMPLIANCE, "transport"):
        "企业交通运输领域无违法违规信息核查；《中华人民共和国道路运输条例》",
    (CheckKind.IPO_COMPLIANCE, "tax"):
        "企业合法纳税情况无违法违规信息核查；《中华人民共和国税收征收管理法》",
    (CheckKind.IPO_COMPLIANCE, "intellectual_property"):
        "企业知识产权领域无违法违规信息核查；《中华人民共和国专利法》《中华人民共和国商标法》",
    (CheckKind.IPO_COMPLIANCE, "water"):
        "企业水资源保护领域无违法违规信息核查；《中华人民共和国水法》",
    (CheckKind.IPO_COMPLIANCE, "fire_safety"):
        "企业消防安全无违法违规信息核查；《中华人民共和国消防法》",
    (CheckKind.IPO_COMPLIANCE, "telecom"):
        "电信监管领域无行政处罚信息核查；《中华人民共和国电信条例》",
    (CheckKind.BANKRUPTCY, "vehicles"):
        "企业车辆信息核查；《中华人民共和国企业破产法》第三十条（债务人财产）",
    (CheckKind.BANKRUPTCY, "real_estate"):
        "企业不动产登记信息核查；《不动产登记暂行条例》；《中华人民共和国企业破产法》第三十条、第一百零九条",
    (CheckKind.BANKRUPTCY, "social_insurance"):
        "社会保险参保缴费记录核查；《中华人民共和国社会保险法》；《中华人民共和国企业破产法》第一百一十三条",
    (CheckKind.BANKRUPTCY, "registration"):
        "企业注册、登记等基本信息核查；《中华人民共和国市场主体登记管理条例》",
    (CheckKind.BANKRUPTCY, "medical_insurance"):
        "职工医保缴存信息核查；《中华人民共和国社会保险法》；《中华人民共和国企业破产法》第一百一十三条",
    (CheckKind.BANKRUPTCY, "buildings"):
        "企业房产信息核查；《不动产登记暂行条例》；《中华人民共和国企业破产法》第三十条、第一百零九条",
    (CheckKind.BANKRUPTCY, "housing_fund"):
        "职工住房公积金缴存信息核查；《住房公积金管理条例》；《中华人民共和国企业破产法》第一百一十三条",
    (CheckKind.BANKRUPTCY, "tax"):
        "企业纳税缴税信息核查；《中华人民共和国税收征收管理法》；《中华人民共和国企业破产法》第一百一十三条",
    (CheckKind.BANKRUPTCY, "customs"):
        "海关税款缴纳、货物通关信息核查；《中华人民共和国海关法》；《中华人民共和国企业破产法》第一百一十三条",
}


def legal_basis(kind: CheckKind, domain: str) -> str:
    """The citation of one domain of a check (the plan's item alone when none is recorded)."""
    item = _IPO_ITEM if kind == CheckKind.IPO_COMPLIANCE else _BANKRUPTCY_ITEM
    return DOMAIN_BASIS.get((kind, domain), item)
