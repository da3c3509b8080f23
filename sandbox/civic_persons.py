"""Persons' data for the matters: families that agree across departments, and new categories.

`family_records` rewrites the base records of a planned family so that every department tells
the same story: the parents married to each other on one date, one household at one address
with the father as its head, the child's birth certificate naming them, the guardian owning
the home and paying social insurance. `person_extras` makes the new categories of any person
(vaccination, medical insurance, own housing-fund account, exit-entry, veteran status, overseas
degree, social security card, pension, one-child certificate, disability subsidies, subsidised
housing, purchase contract filing) from what the base profile already says — the medical
insurance and the housing fund name the social-insurance employer, the pension starts when the
insurance did — and, for a planned applicant, the data of the matter's typical case.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from sandbox.civic_gen import (
    DISTRICTS,
    TODAY,
    age_of,
    birth_of,
    date_between,
    digits,
    female,
    month_back,
    months_between,
    stream,
    years_after,
)
from sandbox.civic_plan import Family

__all__ = ["HOSPITALS", "adjust_designee", "family_records", "newborn_records", "person_extras"]

Records = dict[str, list[dict[str, Any]]]
HOSPITALS = ["新乡市中心医院", "新乡医学院第一附属医院", "新乡市妇幼保健院", "新乡市第一人民医院",
             "新乡医学院第三附属医院"]
_STREETS = ["人民路", "平原路", "胜利路", "华兰大道", "金穗大道", "新中大道", "宏力大道", "和平路",
            "自由路", "劳动路", "牧野大道", "向阳路"]
_GIVEN = "子轩梓涵欣怡佳琪浩然宇轩雨桐一诺沐宸若汐思远"
_BANKS = ["中国工商银行新乡分行", "中国建设银行新乡分行", "中国农业银行新乡分行", "中原银行新乡分行",
          "中国银行新乡分行"]
_VACCINES = ["百白破疫苗第5剂", "麻腮风疫苗第2剂", "乙脑减毒活疫苗第2剂", "流脑A群C群多糖疫苗第2剂",
             "白破疫苗第1剂"]
_ABROAD = [("英国", "英", "伦敦大学学院"), ("澳大利亚", "澳", "悉尼大学"), ("新加坡", "新", "新加坡国立大学"),
           ("加拿大", "加", "多伦多大学"), ("日本", "日", "东京大学"), ("美国", "美", "南加州大学")]
_MAJORS = ["计算机科学", "金融学", "电子工程", "公共卫生", "材料科学", "管理学"]


def _home(seed: int, family: Family, region: str) -> str:
    rng = stream(seed, "home", family.father)
    return (f"河南省新乡市{DISTRICTS.get(region, '红旗区')}{rng.choice(_STREETS)}{rng.randrange(1, 400)}号"
            f"{rng.randrange(1, 30)}号楼{rng.randrange(1, 6)}单元{rng.randrange(101, 2803)}室")


def family_records(seed: int, index: int, resident_id: str, name: str, records: Records,
                   family: Family, ids: list[str], name_of: Callable[[int], str],
                   employer: Callable[[random.Random], tuple[str, str]]) -> None:
    """Rewrite a family member's base records in place so the family agrees everywhere."""
    rng = stream(seed, "family", index)
    father_id, mother_id = ids[family.father], ids[family.mother]
    father, mother = name_of(family.father), name_of(family.mother)
    home = _home(seed, family, father_id[:6])
    wed = date_between(stream(seed, "wedding", family.father),
                       max(years_after(birth_of(father_id), 22),
                           years_after(birth_of(mother_id), 21)),
                       (years_after(birth_of(ids[family.child]), 0) if family.child is not None
                        else TODAY - dt.timedelta(days=400)))
    role = ("father" if index == family.father else "mother" if index == family.mother
            else "child")
    old = (records.get("household") or [{}])[0]
    born = birth_of(resident_id)
    relation = {"father": "户主", "mother": "配偶",
                "child": "女" if female(resident_id) else "子"}[role]
    records["household"] = [{
        "name": name, "gender": "女" if female(resident_id) else "男", "birth_date": born,
        "address": home, "household_head": father, "relation": relation,
        "registered_on": old.get("registered_on") or max(born, wed)}]
    if role in ("father", "mother"):
        records["marriage"] = [{"status": "已婚", "registered_on": wed,
                                "spouse_name": mother if role == "father" else father}]
    if role == "child":
        cert = (records.get("birth_certificate") or [{}])[0]
        records["birth_certificate"] = [{
            "certificate_no": cert.get("certificate_no") or f"O{rng.randrange(10**8, 10**9)}",
            "born_on": born, "hospital": cert.get("hospital") or rng.choice(HOSPITALS),
            "mother_name": mother, "father_name": father}]
    if role == "father" and family.matter == "SCHOOL_ENROLMENT":
        owned = list(records.get("property") or [])
        first = owned[0] if owned else {
            "certificate_no": f"豫({wed.year + 1})新乡市不动产权第{rng.randrange(10**7):07d}号",
            "area_m2": round(rng.uniform(75, 140), 2), "usage": "住宅", "encumbrance": "无",
            "share": "共同共有"}
        records["property"] = [{**first, "address": home}, *owned[1:]]
    if role == "father" or (role == "mother" and family.matter == "HOUSING_FUND_LOAN"):
        _ensure_social_insurance(rng, records, born, employer)
    if family.matter == "HOUSING_FUND_LOAN" and not records.get("credit"):
        records["credit"] = [{"report_no": f"{TODAY:%Y%m%d}{rng.randrange(10**11, 10**12)}",
                              "grade": "良好", "overdue_accounts": 0, "outstanding_loans": 0,
                              "reported_on": TODAY}]


def _ensure_social_insurance(rng: random.Random, records: Records, born: dt.date,
                             employer: Callable[[random.Random], tuple[str, str]]) -> None:
    if records.get("social_insurance"):
        records["social_insurance"][0]["status"] = "正常参保"
        return
    name, uscc = employer(rng)
    since = date_between(rng, max(years_after(born, 20), dt.date(2005, 1, 1)),
                         TODAY - dt.timedelta(days=400))
    records["social_insurance"] = [{
        "employer_name": name, "employer_uscc": uscc, "insured_since": since,
        "months_paid": months_between(since, TODAY), "status": "正常参保",
        "last_paid_month": month_back(TODAY, 1)}]


def adjust_designee(seed: int, index: int, resident_id: str, records: Records,
                    matters: list[str],
                    employer: Callable[[random.Random], tuple[str, str]]) -> None:
    """Make a planned applicant's base records the typical case of its matters."""
    rng = stream(seed, "designee", index)
    born = birth_of(resident_id)
    if set(matters) & {"RETIREMENT", "STUDY_ABROAD", "SOCIAL_SECURITY_CARD",
                       "PUBLIC_RENTAL_HOUSING"}:
        _ensure_social_insurance(rng, records, born, employer)
    if "PUBLIC_RENTAL_HOUSING" in matters:
        records["property"], records["vehicles"] = [], []
        if index % 2 and not records.get("low_income"):
            records["low_income"] = [{"category": "低收入", "since": date_between(
                rng, dt.date(2022, 1, 1), TODAY), "monthly_amount": 0}]
        elif not records.get("education"):
            records["education"] = [_degree(rng, born, recent=True)]
    if "STUDY_ABROAD" in matters and not records.get("education"):
        records["education"] = [_degree(rng, born, recent=False)]
    if "DISABILITY_SERVICES" in matters and index % 2 and not records.get("low_income"):
        records["low_income"] = [{"category": "城市低保", "since": date_between(
            rng, dt.date(2020, 1, 1), TODAY), "monthly_amount": rng.randrange(400, 700) * 100}]


def _degree(rng: random.Random, born: dt.date, *, recent: bool) -> dict[str, Any]:
    graduated = (date_between(rng, dt.date(2024, 6, 20), dt.date(2026, 7, 1)) if recent
                 else years_after(born, 22).replace(month=6, day=30))
    return {"degree": "本科", "major": rng.choice(["会计学", "计算机科学与技术", "法学", "护理学"]),
            "school": rng.choice(["河南师范大学", "新乡医学院", "河南科技学院", "新乡学院"]),
            "graduated_on": graduated, "certificate_no": f"{rng.randrange(10**17, 10**18)}"}


def person_extras(seed: int, index: int, resident_id: str, records: Records,
                  matters: list[str], *, buyer: bool = False) -> Records:
    """The new categories of one person, consistent with `records` (the base categories);
    `buyer`: the applicant of a planned housing-fund mortgage, with a filed purchase contract."""
    rng = stream(seed, "extras", index)
    age, born, woman = age_of(resident_id), birth_of(resident_id), female(resident_id)
    si = records["social_insurance"][0] if records.get("social_insurance") else None
    district = DISTRICTS.get(resident_id[:6], "红旗区")
    out: Records = {}
    if born.year >= 2008 or ("SCHOOL_ENROLMENT" in matters and age < 16):
        last = date_between(rng, max(born, dt.date(2014, 1, 1)), TODAY)
        out["vaccination"] = [{
            "card_no": f"4107{digits(rng, 12)}", "doses": min(24, 12 + age),
            "schedule_complete": rng.random() < 0.95 or "SCHOOL_ENROLMENT" in matters,
            "last_vaccine": rng.choice(_VACCINES), "last_dose_on": last,
            "clinic": f"{district}社区卫生服务中心预防接种门诊"}]
    wants = set(matters)
    if rng.random() < 0.95 or wants & {"MEDICAL_REIMBURSEMENT", "RETIREMENT", "NEWBORN",
                                       "SOCIAL_SECURITY_CARD", "VETERAN_SERVICES"}:
        out["medical_insurance"] = [_medical(rng, born, si, age, wants)]
    if si is not None and (rng.random() < 0.55 or wants & {"RETIREMENT", "HOUSING_FUND_LOAN"}):
        out["housing_fund"] = [_fund(rng, si)]
    if age >= 18 and (rng.random() < 0.12 or "STUDY_ABROAD" in wants):
        out["exit_entry"] = [_exit_entry(rng, "STUDY_ABROAD" in wants)]
    if ("VETERAN_SERVICES" in wants
            or (not woman and 22 <= age <= 60 and rng.random() < 0.02)):
        out["veteran"] = [_veteran(rng, born, recent="VETERAN_SERVICES" in wants)]
    if "STUDY_ABROAD" in wants or (records.get("education") and rng.random() < 0.03):
        out["overseas_degree"] = [_overseas(rng, born)]
    if rng.random() < 0.92 or wants & {"SOCIAL_SECURITY_CARD", "VETERAN_SERVICES"}:
        issued = date_between(rng, max(born, dt.date(2012, 1, 1)), TODAY)
        out["ss_card"] = [{
            "card_no": f"{rng.choice('ABCDEFGHJK')}{digits(rng, 8)}", "bank": rng.choice(_BANKS),
            "issued_on": issued,
            "status": rng.choices(["正常", "挂失", "未启用"], [0.93, 0.03, 0.04])[0],
            "generation": "第三代" if issued.year >= 2022 else "第二代",
            "electronic": rng.random() < 0.7}]
    if si is not None or age >= 60 or "RETIREMENT" in wants:
        out["pension"] = [_pension(rng, born, woman, si, "RETIREMENT" in wants)]
    if 40 <= age <= 75 and (rng.random() < 0.08 or ("RETIREMENT" in wants and index % 2)):
        out["one_child"] = [{"certificate_no": f"豫独{digits(rng, 8)}",
                             "issued_on": date_between(rng, years_after(born, 24),
                                                       years_after(born, 40)),
                             "child_name": rng.choice("王李张刘陈杨赵") + rng.choice(_GIVEN)}]
    if records.get("disability") and (rng.random() < 0.6 or "DISABILITY_SERVICES" in wants):
        grade = records["disability"][0]["grade"]
        out["disability_subsidy"] = [{
            "living_subsidy": 8000 if records.get("low_income") else 0,
            "care_subsidy": 10000 if grade in ("一级", "二级") else 0,
            "since": date_between(rng, records["disability"][0]["issued_on"], TODAY),
            "status": "正常发放"}]
    if records.get("low_income") and "PUBLIC_RENTAL_HOUSING" not in wants \
            and rng.random() < 0.3:
        out["subsidised_housing"] = [{"kind": "公租房", "address": f"新乡市{district}保障房小区"
                                      f"{rng.randrange(1, 20)}号楼{rng.randrange(101, 1802)}室",
                                      "since": date_between(rng, dt.date(2015, 1, 1), TODAY),
                                      "status": "在租"}]
    if buyer or (25 <= age <= 50 and rng.random() < 0.02):
        area = round(rng.uniform(85, 140), 2)
        out["contract_filing"] = [{
            "contract_no": f"XXSP{TODAY.year}{digits(rng, 8)}",
            "property_address": f"新乡市{district}{rng.choice(_STREETS)}{rng.choice(['锦园', '名邸', '华府'])}"
                                f"{rng.randrange(1, 25)}号楼{rng.randrange(1, 4)}单元"
                                f"{rng.randrange(101, 3203)}室",
            "area_m2": area, "total_price": int(area * rng.randrange(5800, 9200)) * 100,
            "filed_on": date_between(rng, TODAY - dt.timedelta(days=60), TODAY),
            "seller": f"新乡市{rng.choice(['鑫源', '建业', '恒泰', '华瑞'])}置业有限公司"}]
    return out


def _medical(rng: random.Random, born: dt.date, si: dict[str, Any] | None, age: int,
             wants: set[str]) -> dict[str, Any]:
    employee = si is not None
    remote = ("MEDICAL_REIMBURSEMENT" in wants or rng.random() < 0.08)
    return {
        "insurance_type": "职工基本医疗保险" if employee else "城乡居民基本医疗保险",
        "insured_since": si["insured_since"] if si else max(born, dt.date(2010, 1, 1)),
        "status": "正常参保" if not si or si["status"] == "正常参保" else "暂停参保",
        "employer_name": si["employer_name"] if si else None,
        "account_balance": rng.randrange(300, 30_000) * 100 if employee else 0,
        "designated_hospital": rng.choice(HOSPITALS),
        "remote_filing": rng.choice(["北京市", "上海市", "郑州市", "广州市"]) if remote else None,
        "chronic_disease": (rng.choice(["高血压", "糖尿病", "冠心病"])
                            if age >= 40 and (rng.random() < 0.1 or ("MEDICAL_REIMBURSEMENT"
                                              in wants and rng.random() < 0.5)) else None),
        "family_mutual_aid": employee and rng.random() < 0.35,
    }


def _fund(rng: random.Random, si: dict[str, Any]) -> dict[str, Any]:
    opened = si["insured_since"]
    months = months_between(opened, TODAY)
    monthly = rng.randrange(300, 3000) * 100
    return {"account_no": digits(rng, 12), "employer_name": si["employer_name"],
            "opened_on": opened, "status": "正常缴存" if si["status"] == "正常参保" else "封存",
            "monthly_deposit": monthly, "balance": int(monthly * months * rng.uniform(0.2, 0.9)),
            "paid_through": month_back(TODAY, 1), "deposit_months": months}


def _exit_entry(rng: random.Random, abroad: bool) -> dict[str, Any]:
    issued = date_between(rng, dt.date(2017, 1, 1), dt.date(2024, 1, 1))
    exit_on = date_between(rng, issued, TODAY - dt.timedelta(days=200))
    entry_on = (date_between(rng, TODAY - dt.timedelta(days=180), TODAY) if abroad
                else date_between(rng, exit_on, TODAY))
    return {"document_no": f"E{digits(rng, 8)}", "document_valid_until": years_after(issued, 10),
            "trips": rng.randrange(2, 24), "last_exit_on": exit_on, "last_entry_on": entry_on,
            "last_destination": rng.choice(_ABROAD)[0]}


def _veteran(rng: random.Random, born: dt.date, *, recent: bool) -> dict[str, Any]:
    enlisted = date_between(rng, years_after(born, 18), years_after(born, 20)).replace(day=1)
    served = rng.choice([2, 2, 5, 8])
    discharged = (date_between(rng, dt.date(2026, 8, 25), dt.date(2026, 10, 10)) if recent
                  else years_after(enlisted, served))
    if recent:
        enlisted = years_after(discharged, -served)
    self_employed = recent or rng.random() < 0.8
    return {"certificate_no": f"退役{discharged.year}{digits(rng, 7)}", "enlisted_on": enlisted,
            "discharged_on": discharged,
            "branch": rng.choice(["陆军", "海军", "空军", "火箭军", "武警部队"]),
            "rank": {2: "上等兵", 5: "中士", 8: "上士"}[served],
            "placement": "自主就业" if self_employed else "安排工作",
            "subsidy_amount": (served * rng.randrange(15_000, 25_000) * 100
                               if self_employed else 0),
            "reported_on": None if recent else discharged + dt.timedelta(days=20)}


def _overseas(rng: random.Random, born: dt.date) -> dict[str, Any]:
    country, short, school = rng.choice(_ABROAD)
    awarded = date_between(rng, max(years_after(born, 23), dt.date(2015, 1, 1)),
                           TODAY - dt.timedelta(days=120))
    return {"certificate_no": f"教留服认{short}〔{awarded.year}〕{digits(rng, 6)}号",
            "degree": rng.choice(["硕士", "硕士", "学士", "博士"]), "institution": school,
            "country": country, "major": rng.choice(_MAJORS), "awarded_on": awarded,
            "verified_on": awarded + dt.timedelta(days=rng.randrange(30, 100))}


def _pension(rng: random.Random, born: dt.date, woman: bool, si: dict[str, Any] | None,
             retiring: bool) -> dict[str, Any]:
    since = si["insured_since"] if si else date_between(rng, years_after(born, 20),
                                                        years_after(born, 30))
    if retiring:
        since = min(since, years_after(born, rng.randrange(20, 28)))
    paid = int(months_between(since, TODAY) * rng.uniform(0.85, 1.0))
    return {"insured_since": since, "paid_months": paid,
            "deemed_months": rng.randrange(0, 120) if born.year < 1975 else 0,
            "account_balance": paid * rng.randrange(300, 1200) * 100,
            "retirement_date": years_after(born, 55 if woman else 60),
            "special_work_months": rng.choice([96, 120, 180]) if rng.random() < 0.05 else 0}


def newborn_records(seed: int, family: Family, ids: list[str], name_of: Callable[[int], str]
                    ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The birth medical certificate and vaccination card of a planned newborn."""
    assert family.newborn is not None
    rng = stream(seed, "baby", family.newborn)
    father, mother = name_of(family.father), name_of(family.mother)
    born = date_between(rng, TODAY - dt.timedelta(days=80), TODAY - dt.timedelta(days=10))
    hospital = rng.choice(HOSPITALS)
    girl = rng.random() < 0.48
    birth = {"certificate_no": family.newborn, "name": father[0] + "".join(
                 rng.sample(_GIVEN, 2)), "gender": "女" if girl else "男", "born_on": born,
             "birth_weight_g": rng.randrange(2600, 4200), "hospital": hospital,
             "mother_name": mother, "mother_id": ids[family.mother], "father_name": father,
             "father_id": ids[family.father], "issued_on": born + dt.timedelta(days=2)}
    card = {"birth_cert_no": family.newborn, "card_no": f"4107{digits(rng, 12)}",
            "doses": 2, "last_vaccine": "乙肝疫苗第1剂、卡介苗", "last_dose_on": born,
            "clinic": f"{hospital}产科预防接种室", "guardian_name": mother,
            "guardian_id": ids[family.mother]}
    return birth, card
