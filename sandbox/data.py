"""Deterministic synthetic subjects for the sandbox departments.

From one seed the generator makes 10,000 enterprises with valid USCCs and 50,000 persons with
valid resident identity numbers, and every department renders its answer from the same profile,
so the enterprise the market registry knows is the one the tax bureau and customs know, and a
person's household, property and social insurance agree. Profiles are built on first use and
cached: start-up stays fast and every answer is the same for the same seed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass, field
from typing import Any

from sandbox.identities import resident_id, uscc

__all__ = [
    "AS_OF",
    "AUTHORITY",
    "IPO_RATES",
    "OUTSIDE_REGIONS",
    "REGIONS",
    "TODAY",
    "EnterpriseProfile",
    "PersonProfile",
    "World",
]

AS_OF = dt.datetime(2026, 11, 1, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
TODAY = AS_OF.date()

REGIONS = {
    "410702": "红旗区", "410703": "卫滨区", "410704": "凤泉区", "410711": "牧野区",
    "410721": "新乡县", "410724": "获嘉县", "410725": "原阳县", "410726": "延津县",
    "410727": "封丘县", "410781": "卫辉市", "410782": "辉县市", "410783": "长垣市",
}
OUTSIDE_REGIONS = ("410102", "410305", "410503", "411002", "130104", "370102")

# Share of enterprises with at least one violation, per (IPO domain, source slot). Most are clean,
# a few percent have violations in a domain, some in several.
IPO_RATES: dict[str, float] = {
    "urban_management": 0.025, "planning_resources": 0.015, "labour": 0.03,
    "environment": 0.04, "market_regulation": 0.035, "health": 0.015,
    "culture_tourism": 0.01, "emergency": 0.03, "housing_construction": 0.02,
    "housing_construction.realestate": 0.01, "housing_fund": 0.02, "science_tech": 0.005,
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
    "housing_fund": "新乡市住房公积金管理中心", "science_tech": "新乡市科学技术局",
    "transport": "新乡市交通运输局", "tax": "国家税务总局新乡市税务局",
    "intellectual_property": "新乡市市场监督管理局", "water": "新乡市水利局",
    "fire_safety": "新乡市消防救援支队", "telecom": "河南省通信管理局新乡通信管理办公室",
}
_CASE_PREFIX = {
    "urban_management": "新城管罚", "planning_resources": "新自然资罚", "labour": "新人社监罚",
    "environment": "新环罚", "market_regulation": "新市监罚", "health": "新卫罚",
    "culture_tourism": "新文旅罚", "emergency": "新应急罚", "housing_construction": "新建罚",
    "housing_construction.realestate": "新不动产罚", "housing_fund": "新公积金罚",
    "science_tech": "新科罚", "transport": "新交罚", "tax": "新税稽罚",
    "intellectual_property": "新知罚", "water": "新水罚", "fire_safety": "新消行罚",
    "telecom": "新通管罚",
}
_SUMMARIES = {
    "urban_management": ["未经批准擅自占用城市道路堆放物料", "违规设置户外广告牌", "施工扬尘未采取防治措施"],
    "planning_resources": ["未经批准占用土地建设厂房", "未按规划许可内容进行建设"],
    "labour": ["拖欠劳动者工资", "未依法为职工缴纳社会保险", "超时加班违反工时规定"],
    "environment": ["超标排放大气污染物", "危险废物未按规定贮存", "未批先建建设项目"],
    "market_regulation": ["销售不合格产品", "虚假宣传", "未按规定公示年度报告"],
    "health": ["从业人员未取得健康证明", "公共场所卫生不合格"],
    "culture_tourism": ["未经许可经营娱乐场所", "旅行社违规经营"],
    "emergency": ["未按规定开展安全生产教育培训", "特种作业人员无证上岗", "未建立事故隐患排查制度"],
    "housing_construction": ["未取得施工许可证擅自施工", "违法分包工程", "工程质量不符合强制性标准"],
    "housing_construction.realestate": ["违规预售商品房", "未按规定办理网签备案"],
    "housing_fund": ["未按时足额缴存住房公积金", "未为职工办理住房公积金账户设立"],
    "science_tech": ["科技项目资金违规使用"],
    "transport": ["道路运输车辆超限超载", "未取得道路运输经营许可从事经营"],
    "tax": ["少缴税款", "虚开增值税发票", "未按期办理纳税申报"],
    "intellectual_property": ["假冒专利", "商标侵权"],
    "water": ["未经批准取水", "非法采砂", "向河道倾倒废弃物"],
    "fire_safety": ["消防设施未保持完好有效", "占用、堵塞疏散通道", "未按规定进行消防检查"],
    "telecom": ["未取得电信业务经营许可经营增值电信业务"],
}
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
_GIVEN = "伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华玉兰红梅鹏飞宇浩然子轩梓涵欣怡佳琪俊晨思雨博文"
_TRADE = "华瑞鑫隆泰丰源宏达盛恒远凯旭辉腾龙祥瑞康安诚信德润金"
_INDUSTRY = ["机械制造", "电池材料", "生物科技", "食品", "纺织", "化工", "建筑工程", "物流", "电子科技",
             "新能源", "医药", "农业发展", "商贸", "装饰工程", "汽车零部件", "包装材料"]
_STREETS = ["人民路", "平原路", "胜利路", "华兰大道", "金穗大道", "新中大道", "宏力大道", "和平路", "自由路",
            "劳动路", "健康路", "牧野大道", "新二街", "向阳路", "荣校路"]
_HOSPITALS = ["新乡市中心医院", "新乡医学院第一附属医院", "新乡市妇幼保健院", "新乡市第一人民医院",
              "新乡医学院第三附属医院"]
_SCHOOLS = ["河南师范大学", "新乡医学院", "河南科技学院", "新乡学院", "郑州大学", "河南大学", "武汉大学"]
_MAJORS = ["计算机科学与技术", "临床医学", "汉语言文学", "会计学", "机械工程", "法学", "化学", "护理学"]
_BRANDS = ["比亚迪", "大众", "丰田", "本田", "吉利", "长城", "福田", "东风", "解放"]
_PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def _rng(seed: int, *parts: object) -> random.Random:
    digest = hashlib.blake2b(repr((seed, *parts)).encode(), digest_size=16).digest()
    return random.Random(int.from_bytes(digest, "big"))


def _date_between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange(max(1, (end - start).days)))


def _person_name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))


def _address(rng: random.Random, region: str) -> str:
    district = REGIONS.get(region, "红旗区")
    return (f"河南省新乡市{district}{rng.choice(_STREETS)}{rng.randrange(1, 999)}号"
            f"{rng.randrange(1, 30)}号楼{rng.randrange(1, 6)}单元{rng.randrange(101, 2803)}室")


def _plate(rng: random.Random) -> str:
    chars = "".join(rng.choice("0123456789" + _PLATE_LETTERS) for _ in range(5))
    return "豫G" + chars


def _vehicle(rng: random.Random, since: dt.date, *, truck: bool) -> dict[str, Any]:
    kind = rng.choice(["重型货车", "轻型厢式货车", "小型普通客车"] if truck else ["小型轿车", "小型普通客车"])
    return {
        "plate": _plate(rng), "vehicle_type": kind, "brand": rng.choice(_BRANDS),
        "registered_on": _date_between(rng, since, TODAY),
        "status": rng.choices(["正常", "抵押", "查封"], [0.8, 0.15, 0.05])[0],
    }


def _property(rng: random.Random, address: str, usage: str, since: dt.date) -> dict[str, Any]:
    year = _date_between(rng, since, TODAY).year
    return {
        "certificate_no": f"豫({year})新乡市不动产权第{rng.randrange(1, 9999999):07d}号",
        "address": address,
        "area_m2": round(rng.uniform(45, 180) if usage == "住宅" else rng.uniform(300, 20000), 2),
        "usage": usage,
        "encumbrance": rng.choices(["无", "抵押", "查封"], [0.75, 0.2, 0.05])[0],
    }


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
    contributions: dict[str, dict[str, Any]] = field(default_factory=dict)
    tax: dict[str, Any] = field(default_factory=dict)
    customs: dict[str, Any] | None = None

    def tags(self) -> list[str]:
        tags = [f"findings:{slot}" for slot in sorted(self.violations)]
        if self.vehicles:
            tags.append("assets:vehicles")
        if self.land:
            tags.append("assets:real_estate")
        if self.buildings:
            tags.append("assets:buildings")
        tags += [f"arrears:{s}" for s, c in sorted(self.contributions.items())
                 if c["arrears_amount"] > 0]
        if self.tax["arrears_amount"] > 0:
            tags.append("arrears:tax")
        if self.customs is not None:
            tags.append("customs")
            if self.customs["arrears_amount"] > 0:
                tags.append("arrears:customs")
        if not self.violations:
            tags.insert(0, "clean")
        return tags


@dataclass(slots=True)
class PersonProfile:
    index: int
    id: str
    name: str
    records: dict[str, list[dict[str, Any]]]

    def tags(self) -> list[str]:
        return sorted(k for k, v in self.records.items() if v)


class World:
    """All synthetic subjects of one seed; profiles are built on first use."""

    def __init__(self, seed: int = 20240601, enterprises: int = 10_000, persons: int = 50_000):
        self.seed = seed
        self.enterprise_count = enterprises
        self.person_count = persons
        offset = _rng(seed, "uscc").randrange(10_000_000)
        regions = sorted(REGIONS)
        self.usccs: list[str] = []
        for i in range(enterprises):
            serial = 10_000_000 + (offset + i * 104_729) % 89_999_999
            self.usccs.append(uscc(regions[i % len(regions)][:4] + "00", f"{serial:08d}"))
        self.uscc_index = {u: i for i, u in enumerate(self.usccs)}
        self.person_ids: list[str] = []
        self.person_index: dict[str, int] = {}
        id_rng = _rng(seed, "ric")
        for i in range(persons):
            while True:
                local = id_rng.random() < 0.92
                region = id_rng.choice(regions) if local else id_rng.choice(OUTSIDE_REGIONS)
                born = _date_between(id_rng, dt.date(1945, 1, 1), dt.date(2025, 12, 31))
                rid = resident_id(region, born, id_rng.randrange(1, 999))
                if rid not in self.person_index:
                    break
            self.person_index[rid] = i
            self.person_ids.append(rid)
        self._enterprises: dict[int, EnterpriseProfile] = {}
        self._persons: dict[int, PersonProfile] = {}

    # -- enterprises -------------------------------------------------------------------------

    def enterprise(self, uscc: str) -> EnterpriseProfile | None:
        index = self.uscc_index.get(uscc)
        return None if index is None else self.enterprise_at(index)

    def enterprise_name(self, index: int) -> str:
        rng = _rng(self.seed, "ent-name", index)
        trade = "".join(rng.sample(_TRADE, 2))
        return f"新乡市{trade}{rng.choice(_INDUSTRY)}有限公司"

    def enterprise_at(self, index: int) -> EnterpriseProfile:
        cached = self._enterprises.get(index)
        if cached is None:
            cached = self._enterprises[index] = self._make_enterprise(index)
        return cached

    def _make_enterprise(self, i: int) -> EnterpriseProfile:
        rng = _rng(self.seed, "ent", i)
        uscc = self.usccs[i]
        region = sorted(REGIONS)[i % len(REGIONS)]
        name = self.enterprise_name(i)
        founded = _date_between(rng, dt.date(1995, 1, 1), dt.date(2024, 6, 30))
        address = _address(rng, region)
        staff = int(rng.lognormvariate(3.0, 1.0)) + 1
        reg = {
            "name": name, "legal_representative": _person_name(rng),
            "registered_capital": rng.choice([100, 200, 500, 1000, 3000, 5000, 10000]) * 1_000_000,
            "established_on": founded,
            "status": rng.choices(["存续", "在业", "吊销", "注销"], [0.7, 0.25, 0.03, 0.02])[0],
            "address": address,
            "business_scope": f"{rng.choice(_INDUSTRY)}产品的研发、生产、销售；货物进出口",
        }
        ent = EnterpriseProfile(i, uscc, name, region, reg)
        for slot, rate in IPO_RATES.items():
            if rng.random() < rate:
                count = rng.choices([1, 2, 3], [0.7, 0.22, 0.08])[0]
                ent.violations[slot] = [self._violation(rng, slot, founded) for _ in range(count)]
        if rng.random() < 0.45:
            ent.vehicles = [_vehicle(rng, founded, truck=True) for _ in range(rng.randrange(1, 6))]
        if rng.random() < 0.35:
            ent.land = [_property(rng, address, rng.choice(["工业用地", "商服用地"]), founded)
                        for _ in range(rng.randrange(1, 3))]
        if rng.random() < 0.4:
            ent.buildings = [_property(rng, _address(rng, region), rng.choice(["办公", "厂房", "仓储"]),
                                       founded) for _ in range(rng.randrange(1, 4))]
        wage = rng.randrange(3500, 12000) * 100  # monthly wage in fen
        for scheme, rate, arrears_rate in (("social_insurance", 0.16, 0.08),
                                           ("medical_insurance", 0.08, 0.06),
                                           ("housing_fund", 0.10, 0.05)):
            months_behind = rng.randrange(1, 13) if rng.random() < arrears_rate else 0
            paid_through = _month_back(TODAY, 1 + months_behind)
            monthly = int(staff * wage * rate)
            ent.contributions[scheme] = {
                "scheme": scheme, "insured_count": staff, "paid_through": paid_through,
                "paid_amount": monthly * 12, "arrears_amount": monthly * months_behind,
            }
        owes_tax = rng.random() < 0.06
        ent.tax = {
            "paid_last_year": int(staff * wage * rng.uniform(0.5, 3.0)),
            "arrears_amount": rng.randrange(10_000, 5_000_000) * 100 if owes_tax else 0,
            "credit_grade": rng.choices(["A", "B", "M", "C", "D"], [0.3, 0.45, 0.15, 0.07, 0.03])[0],
            "last_filed_on": _date_between(rng, dt.date(2026, 8, 1), dt.date(2026, 10, 15)),
        }
        if rng.random() < 0.2:
            owes = rng.random() < 0.05
            ent.customs = {
                "duties_paid": rng.randrange(10_000, 50_000_000) * 100,
                "arrears_amount": rng.randrange(1_000, 2_000_000) * 100 if owes else 0,
                "declarations": rng.randrange(1, 800),
                "last_cleared_on": _date_between(rng, dt.date(2025, 1, 1), TODAY),
            }
        return ent

    def _violation(self, rng: random.Random, slot: str, founded: dt.date) -> dict[str, Any]:
        decided = _date_between(rng, max(founded, dt.date(2019, 1, 1)), TODAY)
        return {
            "decision_no": f"{_CASE_PREFIX[slot]}〔{decided.year}〕{rng.randrange(1, 999)}号",
            "authority": AUTHORITY[slot],
            "decided_on": decided,
            "summary": rng.choice(_SUMMARIES[slot]),
            "amount": rng.choice([0, 500, 2000, 5000, 10000, 30000, 50000, 200000]) * 100,
            "rectified": rng.random() < 0.7,
        }

    # -- persons -----------------------------------------------------------------------------

    def person(self, rid: str) -> PersonProfile | None:
        index = self.person_index.get(rid)
        return None if index is None else self.person_at(index)

    def person_at(self, index: int) -> PersonProfile:
        cached = self._persons.get(index)
        if cached is None:
            cached = self._persons[index] = self._make_person(index)
        return cached

    def _make_person(self, i: int) -> PersonProfile:
        rng = _rng(self.seed, "person", i)
        rid = self.person_ids[i]
        born = dt.date(int(rid[6:10]), int(rid[10:12]), int(rid[12:14]))
        age = (TODAY - born).days // 365
        gender = "男" if int(rid[16]) % 2 else "女"
        name = _person_name(rng)
        local = rid[:6] in REGIONS
        region = rid[:6] if local else rng.choice(sorted(REGIONS))
        records: dict[str, list[dict[str, Any]]] = {k: [] for k in (
            "household", "residence_permit", "property", "social_insurance", "marriage",
            "low_income", "education", "birth_certificate", "disability", "credit", "vehicles")}
        home = _address(rng, region)
        if age >= 18 and rng.random() < 0.55:
            # 户房一致: most owners are registered at the first home they own.
            records["property"] = [
                {**_property(rng, home, "住宅", born + dt.timedelta(days=18 * 365)),
                 "share": rng.choice(["单独所有", "共同共有"])}
                for _ in range(rng.choices([1, 2], [0.8, 0.2])[0])
            ]
            if rng.random() > 0.85:
                home = _address(rng, region)
        if local:
            head = name if age >= 18 and rng.random() < 0.6 else _person_name(rng)
            records["household"] = [{
                "name": name, "gender": gender, "birth_date": born, "address": home,
                "household_head": head,
                "relation": "户主" if head == name else rng.choice(["子" if gender == "男" else "女", "配偶"]),
                "registered_on": max(born, _date_between(rng, dt.date(1985, 1, 1), TODAY)),
            }]
        elif age >= 16:
            issued = _date_between(rng, dt.date(2021, 1, 1), TODAY)
            records["residence_permit"] = [{
                "permit_no": f"4107{rng.randrange(10**11, 10**12)}", "address": home,
                "issued_on": issued, "valid_until": _years_after(issued, 5),
            }]
        if 18 <= age < 65 and rng.random() < 0.8:
            employer = self.enterprise_at(rng.randrange(self.enterprise_count))
            since = _date_between(rng, max(_years_after(born, 18), dt.date(2000, 1, 1)),
                                  TODAY)
            months = max(1, (TODAY.year - since.year) * 12 + TODAY.month - since.month)
            records["social_insurance"] = [{
                "employer_name": employer.name, "employer_uscc": employer.uscc,
                "insured_since": since, "months_paid": months,
                "status": rng.choices(["正常参保", "暂停缴费"], [0.92, 0.08])[0],
                "last_paid_month": _month_back(TODAY, 1),
            }]
        if age >= 22:
            married = rng.random() < 0.68
            records["marriage"] = [{
                "status": "已婚" if married else rng.choice(["未婚", "离婚"]),
                "registered_on": _date_between(rng, _years_after(born, 22), TODAY)
                if married else None,
                "spouse_name": _person_name(rng) if married else None,
            }]
        if rng.random() < 0.03:
            records["low_income"] = [{
                "category": rng.choice(["城市低保", "农村低保", "特困供养", "低收入"]),
                "since": _date_between(rng, dt.date(2015, 1, 1), TODAY),
                "monthly_amount": rng.randrange(300, 900) * 100,
            }]
        if age >= 22 and rng.random() < 0.4:
            grad = _years_after(born, rng.choice([22, 25, 28]))
            if grad < TODAY:
                records["education"] = [{
                    "degree": rng.choice(["本科", "硕士研究生", "大专", "博士研究生"]),
                    "major": rng.choice(_MAJORS), "school": rng.choice(_SCHOOLS),
                    "graduated_on": grad,
                    "certificate_no": f"{rng.randrange(10**17, 10**18)}",
                }]
        if born.year >= 1996:
            records["birth_certificate"] = [{
                "certificate_no": f"{rng.choice('MNOPQR')}{rng.randrange(10**8, 10**9)}",
                "born_on": born, "hospital": rng.choice(_HOSPITALS),
                "mother_name": _person_name(rng), "father_name": _person_name(rng),
            }]
        if rng.random() < 0.02:
            records["disability"] = [{
                "certificate_no": f"{rid}{rng.randrange(1, 8)}{rng.randrange(1, 5)}",
                "category": rng.choice(["视力残疾", "听力残疾", "肢体残疾", "智力残疾", "精神残疾"]),
                "grade": rng.choice(["一级", "二级", "三级", "四级"]),
                "issued_on": _date_between(rng, max(born, dt.date(2008, 1, 1)), TODAY),
            }]
        if age >= 18 and rng.random() < 0.9:
            records["credit"] = [{
                "report_no": f"{TODAY:%Y%m%d}{rng.randrange(10**11, 10**12)}",
                "grade": rng.choices(["良好", "一般", "较差"], [0.8, 0.15, 0.05])[0],
                "overdue_accounts": rng.choices([0, 1, 2, 5], [0.85, 0.1, 0.04, 0.01])[0],
                "outstanding_loans": rng.choice([0, 0, 50_000, 300_000, 800_000]) * 100,
                "reported_on": TODAY,
            }]
        if age >= 18 and rng.random() < 0.35:
            records["vehicles"] = [_vehicle(rng, _years_after(born, 18), truck=False)]
        return PersonProfile(i, rid, name, records)


def _years_after(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _month_back(day: dt.date, months: int) -> str:
    total = day.year * 12 + day.month - 1 - months
    return f"{total // 12:04d}-{total % 12 + 1:02d}"
