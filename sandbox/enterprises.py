"""Synthetic enterprises: registration, penalties, assets and liabilities, as departments hold them.

One profile per enterprise, built from the seed: what the market-regulation registry records
(status 存续/在业/吊销/注销/迁出 with realistic shares), the administrative penalties each IPO
domain holds (with type, major-violation flag, fine, payment and rectification), vehicles and
real estate with their mortgages and seizures, and what the enterprise owes: social insurance,
medical insurance and housing-fund contributions, taxes and customs duties, with months and late
fees (滞纳金, 0.05 % a day for taxes, duties and social insurance).

Social and medical insurance are assessed by 人社局 / 医保局 and collected by 税务局, so both report
the same liability under one reference; in some cases the collector has already booked a partial
payment the assessor has not (`collected`), as happens between two systems synchronised nightly.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from sandbox.synth import (
    REGIONS,
    TODAY,
    address,
    date_between,
    month_add,
    month_back,
    months_between,
    person_name,
    property_right,
    vehicle,
)

__all__ = ["AUTHORITY", "IPO_RATES", "STATUS_TAGS", "EnterpriseProfile", "enterprise_name",
           "make_enterprise"]

# Share of enterprises with at least one penalty, per IPO penalty slot. Most are clean, a few
# percent have penalties in a domain, some in several. (住房公积金缴存 is read from the fund
# centre's contributions, not its penalties.)
IPO_RATES: dict[str, float] = {
    "urban_management": 0.025, "planning_resources": 0.015, "labour": 0.03,
    "environment": 0.04, "market_regulation": 0.035, "health": 0.015,
    "culture_tourism": 0.01, "emergency": 0.03, "housing_construction": 0.02,
    "housing_construction.realestate": 0.01, "science_tech": 0.005,
    "transport": 0.02, "tax": 0.03, "intellectual_property": 0.01, "water": 0.01,
    "fire_safety": 0.04, "telecom": 0.005,
}
AUTHORITY = {
    "urban_management": "新乡市城市管理局", "planning_resources": "新乡市自然资源和规划局",
    "labour": "新乡市人力资源和社会保障局", "environment": "新乡市生态环境局",
    "market_regulation": "新乡市市场监督管理局", "health": "新乡市卫生健康委员会",
    "culture_tourism": "新乡市文化广电和旅游局", "emergency": "新乡市应急管理局",
    "housing_construction": "新乡市住房和城乡建设局",
    "housing_construction.realestate": "新乡市不动产登记和交易中心",
    "science_tech": "新乡市科学技术局", "transport": "新乡市交通运输局",
    "tax": "国家税务总局新乡市税务局", "intellectual_property": "新乡市市场监督管理局",
    "water": "新乡市水利局", "fire_safety": "新乡市消防救援支队",
    "telecom": "河南省通信管理局新乡通信管理办公室",
}
# Registration status → sample tag.
STATUS_TAGS = {"存续": "active", "在业": "operating", "吊销": "revoked", "注销": "deregistered",
               "迁出": "moved_out"}
_STATUS_SHARES = {"存续": 0.62, "在业": 0.24, "吊销": 0.05, "注销": 0.07, "迁出": 0.02}
_CASE_PREFIX = {
    "urban_management": "新城管罚", "planning_resources": "新自然资罚", "labour": "新人社监罚",
    "environment": "新环罚", "market_regulation": "新市监罚", "health": "新卫罚",
    "culture_tourism": "新文旅罚", "emergency": "新应急罚", "housing_construction": "新建罚",
    "housing_construction.realestate": "新不动产罚", "science_tech": "新科罚",
    "transport": "新交罚", "tax": "新税稽罚", "intellectual_property": "新知罚",
    "water": "新水罚", "fire_safety": "新消行罚", "telecom": "新通管罚",
}
# (summary of the facts, type of violation) per slot.
_VIOLATIONS = {
    "urban_management": [("未经批准擅自占用城市道路堆放物料", "占道经营"),
                         ("违规设置户外广告牌", "违规设置户外广告"),
                         ("施工扬尘未采取防治措施", "扬尘污染")],
    "planning_resources": [("未经批准占用土地建设厂房", "非法占地"),
                           ("未按规划许可内容进行建设", "违法建设")],
    "labour": [("拖欠劳动者工资", "拖欠工资"), ("未依法为职工缴纳社会保险", "未依法参保"),
               ("超时加班违反工时规定", "违反工时制度")],
    "environment": [("超标排放大气污染物", "超标排放"), ("危险废物未按规定贮存", "危险废物违规"),
                    ("未批先建建设项目", "未批先建")],
    "market_regulation": [("销售不合格产品", "产品质量违法"), ("虚假宣传", "不正当竞争"),
                          ("未按规定公示年度报告", "未公示年报")],
    "health": [("从业人员未取得健康证明", "从业人员健康管理违规"), ("公共场所卫生不合格", "公共场所卫生违规")],
    "culture_tourism": [("未经许可经营娱乐场所", "无证经营"), ("旅行社违规经营", "违规经营")],
    "emergency": [("未按规定开展安全生产教育培训", "安全培训违规"), ("特种作业人员无证上岗", "无证上岗"),
                  ("未建立事故隐患排查制度", "隐患排查违规")],
    "housing_construction": [("未取得施工许可证擅自施工", "无证施工"), ("违法分包工程", "违法分包"),
                             ("工程质量不符合强制性标准", "工程质量违法")],
    "housing_construction.realestate": [("违规预售商品房", "违规预售"), ("未按规定办理网签备案", "备案违规")],
    "science_tech": [("科技项目资金违规使用", "科研资金违规")],
    "transport": [("道路运输车辆超限超载", "超限超载"), ("未取得道路运输经营许可从事经营", "无证经营")],
    "tax": [("少缴税款", "偷税"), ("虚开增值税发票", "虚开发票"), ("未按期办理纳税申报", "未按期申报")],
    "intellectual_property": [("假冒专利", "假冒专利"), ("商标侵权", "商标侵权")],
    "water": [("未经批准取水", "非法取水"), ("非法采砂", "非法采砂"), ("向河道倾倒废弃物", "河道违法")],
    "fire_safety": [("消防设施未保持完好有效", "消防设施违规"), ("占用、堵塞疏散通道", "堵塞疏散通道"),
                    ("未按规定进行消防检查", "消防检查违规")],
    "telecom": [("未取得电信业务经营许可经营增值电信业务", "无证经营电信业务")],
}
_TRADE = "华瑞鑫隆泰丰源宏达盛恒远凯旭辉腾龙祥瑞康安诚信德润金"
_INDUSTRY = ["机械制造", "电池材料", "生物科技", "食品", "纺织", "化工", "建筑工程", "物流", "电子科技",
             "新能源", "医药", "农业发展", "商贸", "装饰工程", "汽车零部件", "包装材料"]
_TAXES = ["增值税", "企业所得税", "城市维护建设税", "房产税", "城镇土地使用税", "印花税"]
_LATE_RATE = 0.0005  # 滞纳金: 0.05 % a day (税收征管法 §32, 社会保险法 §86, 海关法 §60)
# scheme, employer rate, employee rate, share in arrears, late fee due, reference prefix, status
_SCHEMES = (("social_insurance", 0.16, 0.08, 0.08, True, "SBHD", "正常缴费"),
            ("medical_insurance", 0.08, 0.02, 0.06, True, "YBHD", "正常缴费"),
            ("housing_fund", 0.10, 0.10, 0.05, False, "GJJQJ", "正常缴存"))


@dataclass(slots=True)
class EnterpriseProfile:
    index: int
    uscc: str
    name: str
    region: str
    registration: dict[str, Any]
    violations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    vehicles: list[dict[str, Any]] = field(default_factory=list)
    land: list[dict[str, Any]] = field(default_factory=list)
    buildings: list[dict[str, Any]] = field(default_factory=list)
    # Contributions as the assessing department (人社局, 医保局, 公积金中心) holds them, and as the
    # collecting tax bureau holds social and medical insurance.
    contributions: dict[str, dict[str, Any]] = field(default_factory=dict)
    collected: dict[str, dict[str, Any]] = field(default_factory=dict)
    tax: dict[str, Any] = field(default_factory=dict)
    tax_arrears: list[dict[str, Any]] = field(default_factory=list)
    customs: dict[str, Any] | None = None  # None: not registered with customs

    @property
    def status(self) -> str:
        return str(self.registration["status"])

    def owes(self) -> list[str]:
        owed = [s for s, c in sorted(self.contributions.items()) if c["arrears_amount"] > 0]
        if self.tax["arrears_amount"] > 0:
            owed.append("tax")
        if self.customs is not None and self.customs["arrears_amount"] > 0:
            owed.append("customs")
        return owed

    def tags(self) -> list[str]:
        owed = self.owes()
        tags = [f"status:{STATUS_TAGS[self.status]}"]
        tags += [f"findings:{slot}" for slot in sorted(self.violations)]
        if "housing_fund" in owed:
            tags.append("findings:housing_fund")
        if any(v["major_violation"] for vs in self.violations.values() for v in vs):
            tags.append("findings:major")
        if self.vehicles:
            tags.append("assets:vehicles")
        if self.land:
            tags.append("assets:real_estate")
        if self.buildings:
            tags.append("assets:buildings")
        assets = self.vehicles + self.land + self.buildings
        if any(a.get("seized_by") for a in assets):
            tags.append("assets:seized")
        if any(a.get("mortgagee") for a in assets):
            tags.append("assets:mortgaged")
        tags += [f"arrears:{item}" for item in owed]
        tags += [f"arrears-differ:{s}" for s in sorted(self.collected)
                 if self.collected[s] != self.contributions[s]]
        if self.customs is not None:
            tags.append("customs")
        if not self.violations and not owed and self.status in ("存续", "在业"):
            tags.insert(0, "clean")
        return tags


def enterprise_name(rng: random.Random) -> str:
    trade = "".join(rng.sample(_TRADE, 2))
    return f"新乡市{trade}{rng.choice(_INDUSTRY)}有限公司"


def make_enterprise(rng: random.Random, index: int, uscc: str, name: str, region: str
                    ) -> EnterpriseProfile:
    founded = date_between(rng, dt.date(1995, 1, 1), dt.date(2024, 6, 30))
    place = address(rng, region)
    staff = int(rng.lognormvariate(3.0, 1.0)) + 1
    status = rng.choices(list(_STATUS_SHARES), list(_STATUS_SHARES.values()))[0]
    active = status in ("存续", "在业")
    ended = None if active else date_between(rng, min(founded + dt.timedelta(days=400), TODAY),
                                              TODAY - dt.timedelta(days=30))
    reg = {
        "name": name, "legal_representative": person_name(rng),
        "registered_capital": rng.choice([100, 200, 500, 1000, 3000, 5000, 10000]) * 1_000_000,
        "established_on": founded, "status": status, "address": place,
        "business_scope": f"{rng.choice(_INDUSTRY)}产品的研发、生产、销售；货物进出口",
        "status_on": ended, "registration_authority": f"新乡市{REGIONS[region]}市场监督管理局",
    }
    ent = EnterpriseProfile(index, uscc, name, region, reg)
    last_day = ended or TODAY
    for slot, rate in IPO_RATES.items():
        if rng.random() < rate:
            count = rng.choices([1, 2, 3], [0.7, 0.22, 0.08])[0]
            ent.violations[slot] = [_violation(rng, slot, founded, last_day) for _ in range(count)]
    if status == "注销":  # a deregistered enterprise has cleared its debts and sold its assets
        _contributions(ent, rng, staff, closed=ended, behind_factor=0.0)
        ent.tax = _tax_account(rng, staff, [], closed=True)
        return ent
    if rng.random() < 0.45:
        ent.vehicles = [vehicle(rng, founded, truck=True) for _ in range(rng.randrange(1, 6))]
    if rng.random() < 0.35:
        ent.land = [property_right(rng, place, region, rng.choice(["工业用地", "商服用地"]), founded)
                    for _ in range(rng.randrange(1, 3))]
    if rng.random() < 0.4:
        ent.buildings = [property_right(rng, address(rng, region), region,
                                        rng.choice(["办公", "厂房", "仓储"]), founded)
                         for _ in range(rng.randrange(1, 4))]
    behind = 4.0 if status == "吊销" else 1.0  # a revoked licence often comes with debts
    _contributions(ent, rng, staff, closed=ended if status == "迁出" else None,
                   behind_factor=0.0 if status == "迁出" else behind)
    if rng.random() < 0.06 * behind:
        ent.tax_arrears = _tax_arrears(rng, staff)
    ent.tax = _tax_account(rng, staff, ent.tax_arrears, closed=False)
    if rng.random() < 0.2:
        ent.customs = _customs(rng, owes=rng.random() < 0.05 * behind)
    return ent


def _violation(rng: random.Random, slot: str, founded: dt.date, last_day: dt.date
               ) -> dict[str, Any]:
    decided = date_between(rng, max(founded, dt.date(2019, 1, 1)), last_day)
    summary, kind = rng.choice(_VIOLATIONS[slot])
    major = rng.random() < 0.1
    if major:
        amount = rng.choice([200000, 500000, 1000000]) * 100
    else:
        amount = rng.choice([0, 500, 2000, 5000, 10000, 30000, 50000]) * 100
    rectified = rng.random() < 0.7
    penalty = ("责令停产停业、罚款" if major and rng.random() < 0.3 else
               rng.choice(["罚款", "警告、罚款", "没收违法所得、罚款"]) if amount else "警告")
    return {
        "decision_no": f"{_CASE_PREFIX[slot]}〔{decided.year}〕{rng.randrange(1, 999)}号",
        "authority": AUTHORITY[slot], "decided_on": decided, "summary": summary,
        "amount": amount, "rectified": rectified,
        "violation_type": kind, "penalty_kind": penalty, "major_violation": major,
        "fine_paid": (rng.random() < 0.88) if amount else None,
        "rectified_on": min(decided + dt.timedelta(days=rng.randrange(7, 180)), TODAY)
        if rectified else None,
    }


def _late_fee(monthly: int, first: str, months: int, *, due_next_month: bool = False) -> int:
    """滞纳金 on `months` monthly amounts, each due on the 15th of its own month
    (contributions are declared and paid within the month) or of the next one (taxes)."""
    total = 0.0
    for k in range(months):
        due = month_add(first, k + int(due_next_month))
        days = (TODAY - dt.date(int(due[:4]), int(due[5:7]), 15)).days
        total += monthly * _LATE_RATE * max(0, days)
    return int(total)


def _contributions(ent: EnterpriseProfile, rng: random.Random, staff: int, *,
                   closed: dt.date | None, behind_factor: float) -> None:
    wage = rng.randrange(3500, 12000) * 100  # monthly wage in fen
    for scheme, employer, employee, rate, late, prefix, normal in _SCHEMES:
        monthly = int(staff * wage * (employer + employee))
        behind = rng.randrange(1, 13) if rng.random() < rate * behind_factor else 0
        if closed is not None:
            paid_through, insured = f"{closed:%Y-%m}", 0
            state = "注销" if ent.status == "注销" else "转出"
        else:
            paid_through, insured = month_back(TODAY, 1 + behind), staff
            state = ("欠费" if scheme != "housing_fund" else "欠缴") if behind else normal
        first = month_add(paid_through, 1) if behind else None
        owed = monthly * behind
        record = {
            "scheme": scheme, "insured_count": insured, "paid_through": paid_through,
            "paid_amount": monthly * 12, "arrears_amount": owed, "status": state,
            "arrears_months": behind, "arrears_from": first,
            "arrears_to": month_back(TODAY, 1) if behind else None,
            "late_fee": _late_fee(monthly, first, behind) if first and late else 0,
            "personal_part": int(staff * wage * (employer + employee if scheme == "housing_fund"
                                                 else employee)) * behind,
            "liability_ref": f"{prefix}{ent.uscc[2:8]}{first.replace('-', '')}{ent.index:05d}"
            if first else None,
        }
        ent.contributions[scheme] = record
        if scheme == "housing_fund":
            continue
        collected = dict(record)
        if behind >= 2 and first is not None and rng.random() < 0.25:
            # The tax bureau has booked this month's payment; 人社局/医保局 will see it tomorrow.
            left = behind - 1
            collected.update(
                paid_through=first, arrears_months=left, arrears_amount=monthly * left,
                arrears_from=month_add(first, 1),
                late_fee=_late_fee(monthly, month_add(first, 1), left),
                personal_part=int(staff * wage * employee) * left)
        ent.collected[scheme] = collected


def _tax_arrears(rng: random.Random, staff: int) -> list[dict[str, Any]]:
    lines = []
    for item in rng.sample(_TAXES, rng.choices([1, 2, 3], [0.6, 0.3, 0.1])[0]):
        first = month_back(TODAY, rng.randrange(2, 19))
        last = month_add(first, rng.randrange(0, months_between(first, month_back(TODAY, 1))))
        months = months_between(first, last)
        monthly = rng.randrange(2_000, 40_000) * 100 * max(1, staff // 20)
        assessed = dt.date(int(last[:4]), int(last[5:7]), 1) + dt.timedelta(days=rng.randrange(40, 60))
        lines.append({
            "item": item, "period_from": first, "period_to": last, "months": months,
            "arrears_amount": monthly * months,
            "late_fee": _late_fee(monthly, first, months, due_next_month=True),
            "liability_ref": f"新税通〔{assessed.year}〕{rng.randrange(100, 9999)}号",
            "assessed_on": min(assessed, TODAY),
        })
    return lines


def _tax_account(rng: random.Random, staff: int, arrears: list[dict[str, Any]], *,
                 closed: bool) -> dict[str, Any]:
    since = min((a["period_from"] for a in arrears), default=None)
    return {
        "paid_last_year": 0 if closed else int(staff * 600_000 * rng.uniform(0.5, 3.0)),
        "arrears_amount": sum(a["arrears_amount"] for a in arrears),
        "credit_grade": rng.choices(["A", "B", "M", "C", "D"], [0.3, 0.45, 0.15, 0.07, 0.03])[0]
        if not arrears else rng.choice(["C", "D"]),
        "last_filed_on": date_between(rng, dt.date(2026, 8, 1), dt.date(2026, 10, 15)),
        "arrears_months": months_between(since, month_back(TODAY, 1)) if since else 0,
        "arrears_since": since,
        "late_fee": sum(a["late_fee"] for a in arrears),
    }


def _customs(rng: random.Random, *, owes: bool) -> dict[str, Any]:
    months = rng.randrange(1, 10) if owes else 0
    since = month_back(TODAY, months) if owes else None
    owed = rng.randrange(1_000, 2_000_000) * 100 if owes else 0
    return {
        "duties_paid": rng.randrange(10_000, 50_000_000) * 100, "arrears_amount": owed,
        "declarations": rng.randrange(1, 800),
        "last_cleared_on": date_between(rng, dt.date(2025, 1, 1), TODAY),
        "arrears_months": months, "arrears_since": since,
        "late_fee": int(owed * _LATE_RATE * months * 30) if owes else 0,
    }
