"""Enterprises' data for the matters: licence, seals, accounts, registrations, permits, reports.

`adjust_enterprise` gives a planned applicant the shape of its matter's typical case (a
logistics company with its trucks, a restaurant company with its premises, a heavy-haulage
carrier). `enterprise_extras` makes every category an enterprise-side matter reads, from what
the base profile already holds, so that departments agree: the social-insurance and housing-fund
registrations count the staff and arrears the bankruptcy check sees, the tax registration owes
what the tax bureau's account owes, the credit records are the penalties the IPO check finds,
the road transport certificates are the trucks the police registered, the construction permit
is on the land the real-estate centre holds.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sandbox.civic_gen import (
    DISTRICTS,
    TODAY,
    date_between,
    digits,
    stream,
    years_after,
)

__all__ = ["adjust_enterprise", "enterprise_extras", "vehicle_specs"]

Records = dict[str, list[dict[str, Any]]]
_ACTIVE = ("存续", "在业")
_TRUCKS = ("重型货车", "重型半挂牵引车", "轻型厢式货车")
_TRUCK_BRANDS = ["解放", "东风", "重汽", "陕汽", "福田"]
_ENTITY_TYPES = ["有限责任公司（自然人投资或控股）", "有限责任公司（自然人独资）", "股份有限公司（非上市）"]


def _trade(name: str) -> str:
    return name.removeprefix("新乡市")[:2]


def _truck(rng: random.Random, since: dt.date, kind: str) -> dict[str, Any]:
    plate = "豫G" + "".join(rng.choice("0123456789ABCDEFGHJKLMN") for _ in range(5))
    return {"plate": plate, "vehicle_type": kind, "brand": rng.choice(_TRUCK_BRANDS),
            "registered_on": date_between(rng, since, TODAY - dt.timedelta(days=20)),
            "status": "正常"}


def adjust_enterprise(seed: int, ent: Any, matters: list[str]) -> None:
    """Give a planned applicant (an `EnterpriseProfile`) the shape of its matter's case."""
    rng = stream(seed, "ent-adjust", ent.index)
    reg = ent.registration
    founded = reg["established_on"]
    renames = {
        "OPEN_TRANSPORT_COMPANY": ("货运物流有限公司", "道路货物运输（不含危险货物）；货物仓储；装卸搬运"),
        "OVERSIZE_TRANSPORT": ("大件运输有限公司", "大型物件运输；道路普通货物运输；起重设备租赁"),
        "OPEN_RESTAURANT": ("餐饮管理有限公司", "餐饮服务；食品销售（仅销售预包装食品）；酒类经营"),
    }
    for matter in matters:
        if matter in renames:
            suffix, scope = renames[matter]
            ent.name = reg["name"] = f"新乡市{_trade(ent.name)}{suffix}"
            reg["business_scope"] = scope
    if "OPEN_TRANSPORT_COMPANY" in matters:
        ent.vehicles = [_truck(rng, founded, rng.choice(_TRUCKS[:2]))
                        for _ in range(rng.randrange(2, 6))]
        if not ent.land and not ent.buildings:
            ent.buildings = [_premises(rng, reg["address"], "仓储", 600, 3000, founded)]
    if "OVERSIZE_TRANSPORT" in matters:
        ent.vehicles = [_truck(rng, founded, "重型半挂牵引车") for _ in range(rng.randrange(3, 7))]
    if "OPEN_RESTAURANT" in matters:
        ent.land = []
        ent.buildings = [_premises(rng, reg["address"], "商业", 80, 400, founded)]


def _premises(rng: random.Random, address: str, usage: str, low: int, high: int,
              since: dt.date) -> dict[str, Any]:
    year = date_between(rng, since, TODAY).year
    return {"certificate_no": f"豫({year})新乡市不动产权第{rng.randrange(10**7):07d}号",
            "address": address, "area_m2": round(rng.uniform(low, high), 2), "usage": usage,
            "encumbrance": "无"}


def vehicle_specs(seed: int, vehicle: dict[str, Any]) -> dict[str, Any]:
    """Technical data of a registered vehicle, the same for the police and the transport
    bureau (drawn from its plate)."""
    rng = stream(seed, "vehicle", vehicle["plate"])
    kind = vehicle["vehicle_type"]
    heavy = kind.startswith("重型")
    axles = rng.choice([4, 5, 6]) if kind == "重型半挂牵引车" else rng.choice([2, 3]) if heavy else 2
    mass = {2: 4495, 3: 25000, 4: 31000, 5: 43000, 6: 49000}[axles] if heavy else (
        rng.choice([4495, 1800]))
    length = rng.choice([16500, 17500]) if axles >= 4 else 9000 if heavy else 4800
    registered: dt.date = vehicle["registered_on"]
    inspection = years_after(registered, 1 + (TODAY.year - registered.year))
    return {"vin": "L" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ")
                                 for _ in range(16)),
            "axles": axles, "total_mass_kg": mass, "length_mm": length,
            "width_mm": 2550 if heavy else 1900, "height_mm": 3990 if heavy else 1600,
            "inspection_until": inspection}


def enterprise_extras(seed: int, ent: Any, matters: list[str]) -> Records:
    """Every matter category of one enterprise (an `EnterpriseProfile`); none for one that is
    not active (revoked or deregistered: the departments closed its files)."""
    reg = ent.registration
    if reg["status"] not in _ACTIVE:
        return {}
    rng = stream(seed, "ent-extras", ent.index)
    founded: dt.date = reg["established_on"]
    district = DISTRICTS.get(str(ent.region)[:6], "红旗区")
    out: Records = {}
    out["business_licence"] = [{
        "licence_no": ent.uscc, "name": reg["name"], "entity_type": rng.choice(_ENTITY_TYPES),
        "legal_representative": reg["legal_representative"],
        "registered_capital": reg["registered_capital"], "established_on": founded,
        "term_until": None if rng.random() < 0.6 else years_after(founded, 30),
        "address": reg["address"], "business_scope": reg["business_scope"],
        "authority": f"新乡市{district}市场监督管理局",
        "issued_on": date_between(rng, founded, TODAY)}]
    out["seal"] = [{"seal_count": rng.choice([3, 4, 5]),
                    "kinds": "公章、财务专用章、发票专用章、法定代表人名章",
                    "filed_on": founded + dt.timedelta(days=rng.randrange(2, 20)),
                    "maker": f"新乡市{rng.choice(['诚信', '永安', '金盾'])}印章制作有限公司",
                    "status": "正常"}]
    out["bank_account"] = [{"bank": rng.choice(["中国工商银行新乡分行", "中国建设银行新乡分行",
                                                "中原银行新乡分行", "中国银行新乡分行"]),
                            "account_no": f"4105{digits(rng, 16)}",
                            "opened_on": founded + dt.timedelta(days=rng.randrange(5, 30)),
                            "approval_no": f"J4980{digits(rng, 9)}", "status": "正常"}]
    out["tax_registration"] = [_tax(rng, ent, district, "ENTERPRISE_DEREGISTRATION" in matters)]
    si, fund = ent.contributions["social_insurance"], ent.contributions["housing_fund"]
    out["si_registration"] = [{
        "registration_no": f"4107{digits(rng, 10)}",
        "registered_on": founded + dt.timedelta(days=rng.randrange(10, 60)),
        "insured_count": si["insured_count"], "paid_through": si["paid_through"],
        "arrears_amount": si["arrears_amount"],
        "status": "欠费" if si["arrears_amount"] else "正常缴费"}]
    out["fund_unit"] = [{
        "unit_account_no": f"0{digits(rng, 9)}", "deposit_ratio": rng.choice(["5%", "8%", "12%"]),
        "employees": fund["insured_count"], "paid_through": fund["paid_through"],
        "arrears_amount": fund["arrears_amount"],
        "status": "欠缴" if fund["arrears_amount"] else "正常缴存"}]
    out["enterprise_vehicles"] = [{**v, **vehicle_specs(seed, v)} for v in ent.vehicles]
    trucks = [v for v in ent.vehicles if v["vehicle_type"] in _TRUCKS]
    carrier = ("物流" in ent.name or "运输" in ent.name) and trucks \
        and "OPEN_TRANSPORT_COMPANY" not in matters
    if carrier:
        out.update(_carrier(seed, rng, trucks, founded, "OVERSIZE_TRANSPORT" in matters))
    if ent.land and ("UTILITY_CONNECTION" in matters or rng.random() < 0.05):
        out["construction_permit"] = [_construction(rng, ent)]
    if rng.random() < 0.95 or "UTILITY_CONNECTION" in matters:
        out["power_account"] = [{"account_no": f"41{digits(rng, 8)}", "utility": "电",
                                 "address": reg["address"],
                                 "capacity": rng.choice(["100kVA", "315kVA", "630kVA"]),
                                 "opened_on": date_between(rng, founded, TODAY),
                                 "status": "正常"}]
    out["utility_accounts"] = [
        {"account_no": f"SW{digits(rng, 8)}", "utility": "供水", "address": reg["address"],
         "capacity": rng.choice(["DN25", "DN50", "DN80"]),
         "opened_on": date_between(rng, founded, TODAY), "status": "正常"}
        for _ in range(1 if rng.random() < 0.9 or "UTILITY_CONNECTION" in matters else 0)]
    if rng.random() < 0.4 or "UTILITY_CONNECTION" in matters:
        out["utility_accounts"].append({
            "account_no": f"RQ{digits(rng, 9)}", "utility": "燃气", "address": reg["address"],
            "capacity": rng.choice(["20m³/h", "50m³/h"]),
            "opened_on": date_between(rng, founded, TODAY), "status": "正常"})
    out["credit_records"] = _credit(rng, ent, "CREDIT_REPAIR" in matters)
    out.update(_reports(rng, ent))
    if ent.customs is not None:
        out["customs_filing"] = [{"filing_no": f"4107{digits(rng, 6)}",
                                  "registered_on": date_between(rng, founded, TODAY),
                                  "kind": "进出口货物收发货人", "status": "正常",
                                  "credit_grade": rng.choices(["一般信用", "一般认证", "失信"],
                                                              [0.85, 0.12, 0.03])[0]}]
    return out


def _tax(rng: random.Random, ent: Any, district: str, closing: bool) -> dict[str, Any]:
    arrears = ent.tax["arrears_amount"]
    invoices = 0 if closing or rng.random() < 0.8 else rng.randrange(1, 30)
    unfiled = 0 if closing or rng.random() < 0.92 else rng.randrange(1, 4)
    clear = arrears == 0 and invoices == 0 and unfiled == 0
    return {"taxpayer_type": ("一般纳税人" if ent.registration["registered_capital"] >= 500_000_000
                              or rng.random() < 0.3 else "小规模纳税人"),
            "tax_authority": f"国家税务总局新乡市{district}税务局",
            "registered_on": ent.registration["established_on"] + dt.timedelta(
                days=rng.randrange(3, 30)),
            "tax_device": "税务UKey", "unreturned_invoices": invoices,
            "unfiled_returns": unfiled, "arrears_amount": arrears,
            "clearance": "无欠税（费）、无未结事项，可即时清税" if clear
            else "存在欠税、未申报或未缴销发票，需先行处理"}


def _carrier(seed: int, rng: random.Random, trucks: list[dict[str, Any]], founded: dt.date,
             oversize: bool) -> Records:
    issued = date_between(rng, founded, TODAY - dt.timedelta(days=60))
    out: Records = {"transport_permit": [{
        "permit_no": f"豫交运管许可新字410700{digits(rng, 6)}号",
        "scope": "大型物件运输、道路普通货物运输" if oversize else "道路普通货物运输",
        "issued_on": issued, "valid_until": years_after(issued, 6), "vehicles": len(trucks)}]}
    out["transport_vehicles"] = [{
        "plate": t["plate"], "certificate_no": f"豫交运管新字410700{digits(rng, 6)}号",
        "vehicle_type": t["vehicle_type"],
        **{k: v for k, v in vehicle_specs(seed, t).items()
           if k in ("axles", "total_mass_kg", "length_mm", "width_mm", "height_mm")},
        "valid_until": years_after(issued, 6)} for t in trucks]
    out["oversize_permits"] = [{
        "permit_no": f"豫超限〔{TODAY.year}〕{digits(rng, 5)}", "plate": t["plate"],
        "cargo": rng.choice(["风电叶片", "变压器", "桥梁钢箱梁", "大型挖掘机"]),
        "route": rng.choice(["G107—S226—新乡西站", "G4京港澳高速—G1516", "S308—平原示范区"]),
        "total_mass_kg": vehicle_specs(seed, t)["total_mass_kg"] + rng.randrange(10_000, 40_000),
        "valid_until": date_between(rng, TODAY - dt.timedelta(days=300), TODAY)}
        for t in trucks[:rng.randrange(1, 4)]] if oversize or rng.random() < 0.1 else []
    return out


def _construction(rng: random.Random, ent: Any) -> dict[str, Any]:
    site = ent.land[0]
    issued = date_between(rng, TODAY - dt.timedelta(days=200), TODAY - dt.timedelta(days=15))
    return {"permit_no": f"建字第410700{issued.year}{digits(rng, 5)}号",
            "project": f"{ent.name.removesuffix('有限公司')}"
                       f"{rng.choice(['新建厂房', '研发中心', '仓储物流中心'])}项目",
            "site_address": site["address"],
            "floor_area_m2": round(min(site["area_m2"], 20000) * rng.uniform(0.3, 0.9), 2),
            "issued_on": issued, "authority": "新乡市自然资源和规划局"}


def _credit(rng: random.Random, ent: Any, repairing: bool) -> list[dict[str, Any]]:
    """The penalties still publicised (what the IPO check finds), and the abnormal list."""
    out = []
    for penalties in ent.violations.values():
        for v in penalties:
            serious = (v.get("amount") or 0) >= 1_000_000
            until = years_after(v["decided_on"], 3 if serious else 1)
            if until <= TODAY:
                continue
            wait = dt.timedelta(days=365 if serious else 90)
            out.append({"kind": "行政处罚", "decision_no": v["decision_no"],
                        "authority": v["authority"], "listed_on": v["decided_on"],
                        "publicity_until": until,
                        "repairable": bool(v["rectified"]) and v["decided_on"] + wait <= TODAY,
                        "repair_status": "未申请"})
    if (repairing and ent.index % 2) or rng.random() < 0.02:
        listed = date_between(rng, TODAY - dt.timedelta(days=700), TODAY - dt.timedelta(days=60))
        out.append({"kind": "经营异常名录", "decision_no": f"新市监异〔{listed.year}〕"
                                                      f"{rng.randrange(1, 999)}号",
                    "authority": "新乡市市场监督管理局", "listed_on": listed,
                    "publicity_until": years_after(listed, 3), "repairable": True,
                    "repair_status": "未申请"})
    out.sort(key=lambda r: r["listed_on"], reverse=True)
    return out


def _reports(rng: random.Random, ent: Any) -> Records:
    reg, tax = ent.registration, ent.tax
    staff = ent.contributions["social_insurance"]["insured_count"]
    out: Records = {}
    paid = tax["paid_last_year"]
    if reg["established_on"].year <= 2025:
        revenue = int(paid * rng.uniform(8, 20))
        assets = int(reg["registered_capital"] * rng.uniform(0.6, 3))
        out["financial_statement"] = [{
            "year": 2025, "total_assets": assets,
            "total_liabilities": int(assets * rng.uniform(0.2, 0.8)), "revenue": revenue,
            "net_profit": int(revenue * rng.uniform(-0.05, 0.12)), "tax_paid": paid,
            "filed_on": date_between(rng, dt.date(2026, 4, 1), dt.date(2026, 5, 31))}]
    if reg["established_on"].year <= 2024:
        out["annual_report"] = [{
            "year": 2024, "employees": max(1, staff + rng.randrange(-3, 4)),
            "total_assets": int(reg["registered_capital"] * rng.uniform(0.5, 2.5)),
            "revenue": int(paid * rng.uniform(7, 18)), "total_tax": int(paid * 0.93),
            "net_profit": int(paid * rng.uniform(-0.5, 1.5)),
            "filed_on": date_between(rng, dt.date(2025, 3, 1), dt.date(2025, 6, 30))}]
    return out
