"""The sandbox's department sources: who they are and what each answers.

Each `SourceSpec` is one simulated department interface: its department, the domain or data
category it serves, its transport (a batch REST API, a one-key-per-call REST API, or a front-end
exchange database 前置库 read over SQL), its credential scheme, its own field names and formats,
its latency, and a selector that picks the subject's records out of the shared `World`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from sandbox.data import World

__all__ = ["SOURCES", "SourceSpec"]

Records = list[dict[str, Any]] | None  # None: the department does not know the subject
Selector = Callable[[World, str], Records]
Transport = Literal["rest-batch", "rest-single", "sql"]
Auth = Literal["app-key-header", "app-key-query", "hmac-sha256"]


@dataclass(frozen=True, slots=True)
class SourceSpec:
    name: str
    department: str
    subject: Literal["enterprise", "person"]
    check: str | None  # IPO_COMPLIANCE / BANKRUPTCY, or None for person data
    domain: str  # check domain code, or person data category
    record: str  # hub record type
    transport: Transport
    select: Selector
    envelope: str = "list"  # list | hits | map | single | sql
    dialect: str = "pinyin"  # pinyin | camel | upper | prefixed
    date_format: str = "iso"  # iso | compact | slash | epoch_ms
    money_unit: str = "yuan"  # yuan | fen | yuan_str
    bool_style: str = "bool"  # bool | digit | zh
    auth: Auth = "app-key-header"
    auth_header: str = "X-App-Key"
    max_batch: int = 100
    concurrency: int = 16  # calls in flight a department allows this application
    latency_ms: int = 80
    path: str = "/api/query"
    # SQL: how "not our subject" is told from "no records": a roster view of the subjects the
    # department holds, or (absent = not_found) one row at least for every subject it holds.
    roster: str = ""
    absent: Literal["roster", "not_found"] = "roster"
    refresh_h: int = 0  # 0: live data; else the department refreshes every so many hours
    max_age: str = "1d"  # what the integrator declares: older data are stale
    keyed_by: Literal["id", "birth_certificate"] = "id"  # a newborn has only its certificate


def _violations(slot: str) -> Selector:
    def select(world: World, key: str) -> Records:
        ent = world.enterprise(key)
        return None if ent is None else ent.violations.get(slot, [])
    return select


def _ent(getter: Callable[[Any], Records]) -> Selector:
    def select(world: World, key: str) -> Records:
        ent = world.enterprise(key)
        return None if ent is None else getter(ent)
    return select


def _person(category: str) -> Selector:
    def select(world: World, key: str) -> Records:
        person = world.person(key)
        if person is None:
            return None
        records = person.records.get(category) or []
        # Registries of certificates do not know people who hold none.
        return records or (None if category != "property" and category != "vehicles" else [])
    return select


def _contribution(scheme: str, *, collector: bool = False) -> Selector:
    """Contributions as the assessing department holds them, or as the tax bureau collects."""
    if collector:
        return _ent(lambda e: [e.collected[scheme]])
    return _ent(lambda e: [e.contributions[scheme]])


def _ipo_arrears(name: str, department: str, domain: str, record: str, select: Selector,
                 **kw: Any) -> SourceSpec:
    return SourceSpec(name, department, "enterprise", "IPO_COMPLIANCE", domain, record,
                      kw.pop("transport", "rest-batch"), select, **kw)


def _ipo(name: str, department: str, domain: str, slot: str | None = None,
         **kw: Any) -> SourceSpec:
    return SourceSpec(name, department, "enterprise", "IPO_COMPLIANCE", domain, "violation",
                      kw.pop("transport", "rest-batch"), _violations(slot or domain), **kw)


def _bk(name: str, department: str, domain: str, record: str, select: Selector,
        **kw: Any) -> SourceSpec:
    return SourceSpec(name, department, "enterprise", "BANKRUPTCY", domain, record,
                      kw.pop("transport", "rest-batch"), select, **kw)


def _pp(name: str, department: str, category: str, record: str, **kw: Any) -> SourceSpec:
    return SourceSpec(name, department, "person", None, category, record,
                      kw.pop("transport", "rest-batch"), _person(category), **kw)


SOURCES: tuple[SourceSpec, ...] = (
    # IPO compliance: 17 domains, 19 sources.
    _ipo("cgj_penalties", "市城管局", "urban_management", latency_ms=60, envelope="list",
         dialect="pinyin", path="/cgj/api/v1/xzcf/batch"),
    _ipo("zrzy_penalties", "市资源规划局", "planning_resources", latency_ms=140, envelope="map",
         dialect="camel", date_format="compact", auth="app-key-query",
         path="/zrzy/openapi/penalty"),
    _ipo("rsj_labour_penalties", "市人社局", "labour", latency_ms=90, envelope="hits",
         dialect="upper", money_unit="fen", path="/rsj/ldbz/wfxx"),
    _ipo("sthj_penalties", "市生态环境局", "environment", latency_ms=120, envelope="list",
         dialect="camel", date_format="slash", bool_style="digit",
         auth="hmac-sha256", path="/sthj/gateway/punish/list"),
    _ipo("scjg_penalties", "市市场监管局", "market_regulation", latency_ms=70, envelope="list",
         dialect="pinyin", money_unit="yuan_str", max_batch=200, path="/scjg/xycx/xzcf"),
    _ipo("wjw_penalties", "市卫健委", "health", transport="rest-single", envelope="single",
         latency_ms=45, dialect="camel", concurrency=48, path="/wjw/api/punish"),
    _ipo("wlj_penalties", "市文旅局", "culture_tourism", latency_ms=100, envelope="hits",
         dialect="pinyin", path="/wlj/api/cfxx"),
    _ipo("yjj_penalties", "市应急局", "emergency", latency_ms=150, envelope="map",
         dialect="prefixed", bool_style="zh", path="/yjj/aqsc/wfjl"),
    _ipo("zjj_penalties", "市住建局", "housing_construction", latency_ms=110, envelope="list",
         dialect="upper", date_format="epoch_ms", path="/zjj/api/violations"),
    _ipo("bdc_penalties", "不动产登记和交易中心", "housing_construction",
         slot="housing_construction.realestate", latency_ms=95, envelope="hits",
         dialect="camel", auth="app-key-query", path="/bdc/open/cfxx"),
    # 住房公积金缴存: the fund centre's contributions and arrears, not its penalties.
    _ipo_arrears("gjj_deposit", "市住房公积金管理中心", "housing_fund", "contribution",
                 _contribution("housing_fund"), transport="sql", envelope="sql",
                 dialect="pinyin", date_format="compact", money_unit="fen", max_batch=500,
                 path="v_gjj_jcqk", roster="v_gjj_dwml", refresh_h=24, max_age="2d"),
    _ipo("kjj_penalties", "市科技局", "science_tech", transport="rest-single", envelope="single",
         latency_ms=60, dialect="pinyin", concurrency=32, auth="app-key-query",
         path="/kjj/api/wgjl"),
    _ipo("jtj_penalties", "市交通运输局", "transport", latency_ms=130, envelope="list",
         dialect="prefixed", date_format="slash", path="/jtj/service/xzcf"),
    _ipo("sw_penalties", "市税务局", "tax", latency_ms=180, envelope="map", dialect="upper",
         auth="hmac-sha256", money_unit="yuan_str", path="/tax/dzswj/wfwz"),
    # 合法纳税 also asks for taxes owed (欠税), not only for penalties.
    _ipo_arrears("sw_tax_arrears", "市税务局", "tax", "arrears", _ent(lambda e: e.tax_arrears),
                 latency_ms=170, envelope="map", dialect="upper", auth="hmac-sha256",
                 money_unit="yuan_str", path="/tax/dzswj/qsxx"),
    _ipo("ip_penalties", "市市场监管局", "intellectual_property", latency_ms=75,
         envelope="hits", dialect="prefixed", path="/scjg/zscq/qqcf"),
    _ipo("slj_penalties", "市水利局", "water", transport="sql", envelope="sql", dialect="upper",
         bool_style="digit", max_batch=500, path="V_SL_WFXX", roster="V_SL_QYML",
         refresh_h=168, max_age="8d"),
    _ipo("xf_penalties", "市消防救援支队", "fire_safety", latency_ms=160, envelope="list",
         dialect="pinyin", auth="hmac-sha256", bool_style="zh", path="/xf/api/jdjc/cf"),
    _ipo("tgb_penalties", "市通管办", "telecom", latency_ms=220, envelope="map", dialect="camel",
         date_format="epoch_ms", max_batch=50, path="/tgb/api/penalty"),
    # Bankruptcy information: 9 items, 11 sources.
    _bk("ga_ent_vehicles", "市公安局", "vehicles", "vehicle", _ent(lambda e: e.vehicles),
        refresh_h=24, max_age="2d", latency_ms=120, envelope="list", dialect="pinyin", auth="hmac-sha256",
        path="/ga/jj/dwcl"),
    _bk("bdc_land", "不动产登记和交易中心", "real_estate", "property",
        _ent(lambda e: e.land), refresh_h=24, max_age="2d", latency_ms=100, envelope="hits", dialect="pinyin",
        auth="app-key-query", path="/bdc/open/qlxx"),
    _bk("rsj_si_contrib", "市人社局", "social_insurance", "contribution",
        _contribution("social_insurance"), latency_ms=85, envelope="list", dialect="camel",
        money_unit="fen", path="/rsj/shbx/dwjf"),
    _bk("sw_si_contrib", "市税务局", "social_insurance", "contribution",
        _contribution("social_insurance", collector=True), latency_ms=170, envelope="map", dialect="upper",
        auth="hmac-sha256", path="/tax/sbf/dwjf"),
    _bk("scjg_registration", "市市场监管局", "registration", "registration",
        _ent(lambda e: [e.registration]), latency_ms=65, envelope="list", dialect="pinyin",
        money_unit="yuan_str", max_batch=200, path="/scjg/djxx/batch"),
    _bk("ybj_contrib", "市医保局", "medical_insurance", "contribution",
        _contribution("medical_insurance"), latency_ms=110, envelope="hits",
        dialect="prefixed", date_format="compact", path="/ybj/api/dwcb"),
    _bk("sw_medical_contrib", "市税务局", "medical_insurance", "contribution",
        _contribution("medical_insurance", collector=True), latency_ms=175, envelope="map", dialect="upper",
        auth="hmac-sha256", path="/tax/ybf/dwjf"),
    _bk("bdc_buildings", "不动产登记和交易中心", "buildings", "property",
        _ent(lambda e: e.buildings), refresh_h=24, max_age="2d", latency_ms=105, envelope="hits", dialect="camel",
        auth="app-key-query", path="/bdc/open/fwxx"),
    _bk("gjj_contrib", "市住房公积金管理中心", "housing_fund", "contribution",
        _contribution("housing_fund"), transport="sql", envelope="sql", dialect="pinyin",
        date_format="compact", money_unit="fen", max_batch=500, absent="not_found",
        path="v_gjj_dwjc", refresh_h=24, max_age="2d"),
    _bk("sw_tax_account", "市税务局", "tax", "tax_account", _ent(lambda e: [e.tax]),
        latency_ms=190, envelope="map", dialect="upper", auth="hmac-sha256",
        path="/tax/dzswj/nsxx"),
    _bk("hg_customs", "新乡海关", "customs", "customs_account",
        # Customs knows only the enterprises registered with it (报关单位备案).
        _ent(lambda e: None if e.customs is None else [e.customs]), latency_ms=240,
        envelope="list", dialect="camel", date_format="slash", max_batch=50,
        auth="app-key-header", auth_header="X-Customs-AppKey", path="/customs/api/enterprise"),
    # Person data for the portal's certificate-free matters.
    _pp("ga_household", "市公安局", "household", "household", latency_ms=70, envelope="list",
        dialect="pinyin", auth="hmac-sha256", path="/ga/hjxx/batch"),
    _pp("ga_residence_permit", "市公安局", "residence_permit", "residence_permit",
        latency_ms=75, envelope="hits", dialect="pinyin", auth="hmac-sha256",
        path="/ga/jzz/batch"),
    _pp("bdc_person_property", "不动产登记和交易中心", "property", "property", latency_ms=100,
        envelope="map", dialect="camel", auth="app-key-query", path="/bdc/open/grcq"),
    _pp("rsj_person_si", "市人社局", "social_insurance", "social_insurance", latency_ms=90,
        envelope="list", dialect="camel", path="/rsj/shbx/grcb"),
    _pp("mzj_marriage", "市民政局", "marriage", "marriage", latency_ms=80, envelope="hits",
        dialect="upper", date_format="compact", path="/mzj/hydj/cx"),
    _pp("mzj_low_income", "市民政局", "low_income", "low_income", latency_ms=85,
        envelope="map", dialect="pinyin", money_unit="fen", path="/mzj/shjz/dbtk"),
    _pp("jyj_education", "市教育局", "education", "education", latency_ms=120, envelope="list",
        dialect="prefixed", date_format="slash", path="/jyj/xlxx/batch"),
    _pp("wjw_birth_cert", "市卫健委", "birth_certificate", "birth_certificate",
        transport="rest-single", envelope="single", latency_ms=55, dialect="camel",
        concurrency=4, path="/wjw/api/cszm"),
    _pp("cl_disability", "市残联", "disability", "disability", transport="rest-single",
        envelope="single", latency_ms=65, dialect="pinyin", concurrency=3,
        auth="app-key-query", path="/cl/api/cjrz"),
    _pp("rmyh_credit", "中国人民银行新乡市分行", "credit", "credit_report", latency_ms=250,
        envelope="list", dialect="camel", auth="hmac-sha256", max_batch=20,
        path="/pbc/credit/report"),
    _pp("ga_person_vehicles", "市公安局", "vehicles", "vehicle", latency_ms=110,
        envelope="map", dialect="pinyin", auth="hmac-sha256", path="/ga/jj/grcl"),
)

# The departments of the 21 matters' data (`sandbox.civic_sources`), built on SourceSpec above.
from sandbox.civic_sources import civic_sources  # noqa: E402

SOURCES = (*SOURCES, *civic_sources())
