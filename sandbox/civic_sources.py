"""The departments that serve the matters' data: 32 more sources, each with its own interface.

Like the check and person sources (`sandbox.departments`), each is one simulated department
interface with its own envelope, field-name dialect, date, money and boolean formats, credential
scheme, path and latency — the police's seal filing signs its requests, the power company wants
its own key header, the credit platform takes the key in the query string. They answer from the
`CivicWorld`'s matter categories; the two newborn sources are keyed by the birth medical
certificate number, since a newborn has no ID yet.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sandbox.civic import civic
from sandbox.data import World

if TYPE_CHECKING:
    from sandbox.departments import SourceSpec

__all__ = ["civic_sources"]

Records = list[dict[str, Any]] | None

def _person(category: str) -> Callable[[World, str], Records]:
    def select(world: World, key: str) -> Records:
        return civic(world).person_records(key, category)
    return select


def _newborn(part: int) -> Callable[[World, str], Records]:
    def select(world: World, key: str) -> Records:
        found = civic(world).newborn(key)
        return None if found is None else [found[part]]
    return select


def _enterprise(category: str) -> Callable[[World, str], Records]:
    def select(world: World, key: str) -> Records:
        return civic(world).enterprise_records(key, category)
    return select


def _pp(name: str, department: str, category: str, record: str, **kw: Any) -> SourceSpec:
    from sandbox.departments import SourceSpec

    select = (_newborn(0 if category == "newborn_birth" else 1)
              if category.startswith("newborn_") else _person(category))
    return SourceSpec(name, department, "person", None, category, record,
                      kw.pop("transport", "rest-batch"), select, **kw)


def _ee(name: str, department: str, category: str, record: str, **kw: Any) -> SourceSpec:
    from sandbox.departments import SourceSpec

    return SourceSpec(name, department, "enterprise", None, category, record,
                      kw.pop("transport", "rest-batch"), _enterprise(category), **kw)


def civic_sources() -> tuple[SourceSpec, ...]:
    """The matters' sources; `sandbox.departments` appends them to its `SOURCES` (built here,
    on call, because they are made of its `SourceSpec`)."""
    return (
        # Person data of the 21 matters.
        _pp("cdc_vaccination", "市卫健委", "vaccination", "vaccination", envelope="list",
            dialect="camel", auth_header="X-CDC-Key", latency_ms=90, path="/cdc/ymjz/batch"),
        _pp("ybj_person_insurance", "市医保局", "medical_insurance", "medical_insurance",
            envelope="hits", dialect="prefixed", date_format="compact", money_unit="fen",
            bool_style="digit", auth="app-key-query", latency_ms=110, path="/ybj/api/grcb"),
        _pp("gjj_person_account", "市住房公积金管理中心", "housing_fund", "fund_account",
            envelope="map", dialect="pinyin", money_unit="fen", auth="hmac-sha256",
            latency_ms=100, path="/gjj/api/grzh"),
        _pp("ga_exit_entry", "市公安局", "exit_entry", "exit_entry", envelope="list",
            dialect="upper", date_format="slash", auth="hmac-sha256", latency_ms=130,
            path="/ga/crj/cx"),
        _pp("tyjr_veterans", "市退役军人事务局", "veteran", "veteran", transport="rest-single",
            envelope="single", dialect="camel", concurrency=8, latency_ms=70,
            path="/tyjr/api/person"),
        _pp("jyj_overseas_degree", "市教育局", "overseas_degree", "overseas_degree",
            envelope="hits", dialect="camel", date_format="epoch_ms", auth="app-key-query",
            latency_ms=160, max_batch=50, path="/jyj/lxfw/xlrz"),
        _pp("rsj_ss_card", "市人社局", "ss_card", "ss_card", envelope="list", dialect="pinyin",
            bool_style="zh", latency_ms=80, path="/rsj/sbk/batch"),
        _pp("rsj_pension", "市人社局", "pension", "pension", envelope="map", dialect="upper",
            money_unit="yuan_str", auth="hmac-sha256", latency_ms=120, path="/rsj/yl/grzh"),
        _pp("wjw_one_child", "市卫健委", "one_child", "one_child", envelope="list",
            dialect="prefixed", date_format="compact", latency_ms=60, path="/wjw/jsfw/dszn"),
        _pp("mzj_disability_subsidy", "市民政局", "disability_subsidy", "disability_subsidy",
            envelope="hits", dialect="pinyin", money_unit="fen", auth="app-key-query",
            latency_ms=85, path="/mzj/cjrbt/cx"),
        _pp("zjj_subsidised_housing", "市住建局", "subsidised_housing", "subsidised_housing",
            envelope="map", dialect="camel", date_format="slash", latency_ms=95,
            path="/zjj/bzf/cx"),
        _pp("bdc_contract_filing", "不动产登记和交易中心", "contract_filing", "contract_filing",
            envelope="list", dialect="camel", money_unit="yuan_str", auth="app-key-query",
            latency_ms=100, path="/bdc/open/wqba"),
        _pp("wjw_newborn_certificate", "市卫健委", "newborn_birth", "newborn",
            transport="rest-single", envelope="single", dialect="pinyin", auth="hmac-sha256",
            concurrency=6, latency_ms=55, path="/wjw/fy/cszm", keyed_by="birth_certificate"),
        _pp("cdc_newborn_vaccination", "市卫健委", "newborn_vaccination", "newborn_vaccination",
            envelope="list", dialect="camel", auth_header="X-CDC-Key", latency_ms=90,
            path="/cdc/ymjz/xsr", keyed_by="birth_certificate"),
        # Enterprise data of the enterprise-side matters, under the enterprise's authorisation.
        _ee("scjg_licence", "市市场监管局", "business_licence", "business_licence",
            envelope="list", dialect="pinyin", money_unit="yuan_str", max_batch=200,
            latency_ms=70, path="/scjg/dzzz/yyzz"),
        _ee("ga_seals", "市公安局", "seal", "seal_filing", envelope="hits", dialect="upper",
            date_format="compact", auth="hmac-sha256", latency_ms=90, path="/ga/yzba/cx"),
        _ee("rmyh_bank_accounts", "中国人民银行新乡市分行", "bank_account", "bank_account",
            envelope="map", dialect="camel", auth="hmac-sha256", max_batch=20, latency_ms=200,
            path="/pbc/acct/basic"),
        _ee("sw_tax_registration", "市税务局", "tax_registration", "tax_registration",
            envelope="map", dialect="upper", money_unit="yuan_str", auth="hmac-sha256",
            latency_ms=160, path="/tax/dj/swdj"),
        _ee("rsj_si_registration", "市人社局", "si_registration", "si_registration",
            envelope="list", dialect="camel", money_unit="fen", latency_ms=85,
            path="/rsj/shbx/dwdj"),
        _ee("gjj_unit", "市住房公积金管理中心", "fund_unit", "fund_unit", envelope="hits",
            dialect="pinyin", money_unit="fen", date_format="compact", auth="app-key-query",
            latency_ms=100, path="/gjj/api/dwdj"),
        _ee("ga_ent_motor_vehicles", "市公安局", "enterprise_vehicles", "motor_vehicle",
            envelope="list", dialect="pinyin", date_format="compact", auth="hmac-sha256",
            latency_ms=120, path="/ga/jj/dwjdc"),
        _ee("jtj_transport_permit", "市交通运输局", "transport_permit", "transport_permit",
            transport="rest-single", envelope="single", dialect="prefixed", date_format="slash",
            concurrency=8, latency_ms=90, path="/jtj/yszz/xkz"),
        _ee("jtj_transport_vehicles", "市交通运输局", "transport_vehicles", "transport_vehicle",
            envelope="list", dialect="prefixed", date_format="slash", latency_ms=110,
            path="/jtj/yszz/dlysz"),
        _ee("jtj_oversize_permits", "市交通运输局", "oversize_permits", "oversize_permit",
            envelope="hits", dialect="prefixed", date_format="slash", latency_ms=120,
            path="/jtj/dj/cxxk"),
        _ee("zrzy_construction_permits", "市资源规划局", "construction_permit",
            "construction_permit", envelope="map", dialect="camel", date_format="compact",
            auth="app-key-query", latency_ms=140, path="/zrzy/openapi/ghxk"),
        _ee("bdc_ent_property", "不动产登记和交易中心", "enterprise_property", "property",
            envelope="hits", dialect="pinyin", auth="app-key-query", latency_ms=100,
            path="/bdc/open/dwcq"),
        _ee("sgcc_power_accounts", "国网新乡供电公司", "power_account", "utility_account",
            envelope="list", dialect="camel", date_format="epoch_ms", auth_header="X-SGCC-Key",
            latency_ms=150, path="/sgcc/api/yhxx"),
        _ee("cgj_utility_accounts", "市城管局", "utility_accounts", "utility_account",
            envelope="list", dialect="pinyin", latency_ms=80, path="/cgj/api/v1/sqhb/hh"),
        _ee("fgw_credit_records", "市发改委", "credit_records", "credit_record", envelope="hits",
            dialect="camel", bool_style="digit", auth="app-key-query", latency_ms=130,
            path="/xyxx/api/sxxx"),
        _ee("scjg_annual_reports", "市市场监管局", "annual_report", "annual_report",
            envelope="list", dialect="pinyin", money_unit="yuan_str", max_batch=200,
            latency_ms=75, path="/scjg/nb/cx"),
        _ee("sw_financial_statements", "市税务局", "financial_statement", "financial_statement",
            envelope="map", dialect="upper", money_unit="yuan_str", auth="hmac-sha256",
            latency_ms=180, path="/tax/cwbb/nd"),
        _ee("hg_customs_filing", "新乡海关", "customs_filing", "customs_filing", envelope="list",
            dialect="camel", date_format="slash", auth_header="X-Customs-AppKey", max_batch=50,
            latency_ms=240, path="/customs/api/filing"),
    )
