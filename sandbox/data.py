"""Deterministic synthetic subjects for the sandbox departments.

From one seed the generator makes 10,000 enterprises with valid USCCs and 50,000 persons with
valid resident identity numbers (made by `sandbox.identities`, from the standards), and every
department renders its answer from the same profile, so the enterprise the market registry knows
is the one the tax bureau and customs know, and a person's household, property and social
insurance agree. A few more valid USCCs belong to no enterprise at all (`unknown_usccs`): every
department answers that it does not know them. Profiles are built on first use and cached.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sandbox.enterprises import IPO_RATES, EnterpriseProfile, enterprise_name, make_enterprise
from sandbox.identities import resident_id, uscc
from sandbox.synth import (
    OUTSIDE_REGIONS,
    REGIONS,
    TODAY,
    address,
    date_between,
    month_back,
    person_name,
    property_right,
    rng_for,
    vehicle,
    years_after,
)

__all__ = ["IPO_RATES", "TODAY", "EnterpriseProfile", "PersonProfile", "World"]

_HOSPITALS = ["新乡市中心医院", "新乡医学院第一附属医院", "新乡市妇幼保健院", "新乡市第一人民医院",
              "新乡医学院第三附属医院"]
_SCHOOLS = ["河南师范大学", "新乡医学院", "河南科技学院", "新乡学院", "郑州大学", "河南大学", "武汉大学"]
_MAJORS = ["计算机科学与技术", "临床医学", "汉语言文学", "会计学", "机械工程", "法学", "化学", "护理学"]
_UNKNOWN_COUNT = 20


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
        offset = rng_for(seed, "uscc").randrange(10_000_000)
        regions = sorted(REGIONS)
        self.usccs: list[str] = []
        for i in range(enterprises):
            serial = 10_000_000 + (offset + i * 104_729) % 89_999_999
            self.usccs.append(uscc(regions[i % len(regions)][:4] + "00", f"{serial:08d}"))
        self.uscc_index = {u: i for i, u in enumerate(self.usccs)}
        # Valid codes that no registry holds: organisation codes with a letter in them, a
        # series the world's enterprises never use.
        unknown_rng = rng_for(seed, "unknown")
        self.unknown_usccs = [
            uscc(unknown_rng.choice(regions), f"MA{unknown_rng.randrange(10**6):06d}")
            for _ in range(_UNKNOWN_COUNT)]
        self.person_ids: list[str] = []
        self.person_index: dict[str, int] = {}
        id_rng = rng_for(seed, "ric")
        for i in range(persons):
            while True:
                local = id_rng.random() < 0.92
                region = id_rng.choice(regions) if local else id_rng.choice(OUTSIDE_REGIONS)
                born = date_between(id_rng, dt.date(1945, 1, 1), dt.date(2025, 12, 31))
                rid = resident_id(region, born, id_rng.randrange(1, 999))
                if rid not in self.person_index:
                    break
            self.person_index[rid] = i
            self.person_ids.append(rid)
        self._enterprises: dict[int, EnterpriseProfile] = {}
        self._persons: dict[int, PersonProfile] = {}

    # -- enterprises -------------------------------------------------------------------------

    def enterprise(self, code: str) -> EnterpriseProfile | None:
        index = self.uscc_index.get(code)
        return None if index is None else self.enterprise_at(index)

    def enterprise_at(self, index: int) -> EnterpriseProfile:
        cached = self._enterprises.get(index)
        if cached is None:
            region = sorted(REGIONS)[index % len(REGIONS)]
            name = enterprise_name(rng_for(self.seed, "ent-name", index))
            cached = self._enterprises[index] = make_enterprise(
                rng_for(self.seed, "ent", index), index, self.usccs[index], name, region)
        return cached

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
        rng = rng_for(self.seed, "person", i)
        rid = self.person_ids[i]
        born = dt.date(int(rid[6:10]), int(rid[10:12]), int(rid[12:14]))
        age = (TODAY - born).days // 365
        gender = "男" if int(rid[16]) % 2 else "女"
        name = person_name(rng)
        local = rid[:6] in REGIONS
        region = rid[:6] if local else rng.choice(sorted(REGIONS))
        records: dict[str, list[dict[str, Any]]] = {k: [] for k in (
            "household", "residence_permit", "property", "social_insurance", "marriage",
            "low_income", "education", "birth_certificate", "disability", "credit", "vehicles")}
        home = address(rng, region)
        if age >= 18 and rng.random() < 0.55:
            # 户房一致: most owners are registered at the first home they own.
            records["property"] = [
                {**property_right(rng, home, region, "住宅", born + dt.timedelta(days=18 * 365)),
                 "share": rng.choice(["单独所有", "共同共有"])}
                for _ in range(rng.choices([1, 2], [0.8, 0.2])[0])
            ]
            if rng.random() > 0.85:
                home = address(rng, region)
        if local:
            head = name if age >= 18 and rng.random() < 0.6 else person_name(rng)
            records["household"] = [{
                "name": name, "gender": gender, "birth_date": born, "address": home,
                "household_head": head,
                "relation": "户主" if head == name else rng.choice(["子" if gender == "男" else "女", "配偶"]),
                "registered_on": max(born, date_between(rng, dt.date(1985, 1, 1), TODAY)),
            }]
        elif age >= 16:
            issued = date_between(rng, dt.date(2021, 1, 1), TODAY)
            records["residence_permit"] = [{
                "permit_no": f"4107{rng.randrange(10**11, 10**12)}", "address": home,
                "issued_on": issued, "valid_until": years_after(issued, 5),
            }]
        if 18 <= age < 65 and rng.random() < 0.8:
            employer = self.enterprise_at(rng.randrange(self.enterprise_count))
            since = date_between(rng, max(years_after(born, 18), dt.date(2000, 1, 1)),
                                  TODAY)
            months = max(1, (TODAY.year - since.year) * 12 + TODAY.month - since.month)
            records["social_insurance"] = [{
                "employer_name": employer.name, "employer_uscc": employer.uscc,
                "insured_since": since, "months_paid": months,
                "status": rng.choices(["正常参保", "暂停缴费"], [0.92, 0.08])[0],
                "last_paid_month": month_back(TODAY, 1),
            }]
        if age >= 22:
            married = rng.random() < 0.68
            records["marriage"] = [{
                "status": "已婚" if married else rng.choice(["未婚", "离婚"]),
                "registered_on": date_between(rng, years_after(born, 22), TODAY)
                if married else None,
                "spouse_name": person_name(rng) if married else None,
            }]
        if rng.random() < 0.03:
            records["low_income"] = [{
                "category": rng.choice(["城市低保", "农村低保", "特困供养", "低收入"]),
                "since": date_between(rng, dt.date(2015, 1, 1), TODAY),
                "monthly_amount": rng.randrange(300, 900) * 100,
            }]
        if age >= 22 and rng.random() < 0.4:
            grad = years_after(born, rng.choice([22, 25, 28]))
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
                "mother_name": person_name(rng), "father_name": person_name(rng),
            }]
        if rng.random() < 0.02:
            records["disability"] = [{
                "certificate_no": f"{rid}{rng.randrange(1, 8)}{rng.randrange(1, 5)}",
                "category": rng.choice(["视力残疾", "听力残疾", "肢体残疾", "智力残疾", "精神残疾"]),
                "grade": rng.choice(["一级", "二级", "三级", "四级"]),
                "issued_on": date_between(rng, max(born, dt.date(2008, 1, 1)), TODAY),
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
            records["vehicles"] = [vehicle(rng, years_after(born, 18), truck=False)]
        return PersonProfile(i, rid, name, records)
