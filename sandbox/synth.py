"""Building blocks of the synthetic world: seeded randomness, dates, names, addresses, assets.

Everything here is a pure function of a `random.Random` seeded from (seed, subject, purpose), so
a subject's data are the same on every run and in every department. `TODAY` is the day the
synthetic records end; the departments' data times (their "as of") follow the real clock
instead, see `sandbox.render.data_time`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from typing import Any

__all__ = [
    "BANKS",
    "CHINA",
    "COURTS",
    "OUTSIDE_REGIONS",
    "REGIONS",
    "TODAY",
    "address",
    "date_between",
    "month_add",
    "month_back",
    "months_between",
    "person_name",
    "property_right",
    "rng_for",
    "vehicle",
    "years_after",
]

CHINA = dt.timezone(dt.timedelta(hours=8))
TODAY = dt.date(2026, 11, 1)

REGIONS = {
    "410702": "红旗区", "410703": "卫滨区", "410704": "凤泉区", "410711": "牧野区",
    "410721": "新乡县", "410724": "获嘉县", "410725": "原阳县", "410726": "延津县",
    "410727": "封丘县", "410781": "卫辉市", "410782": "辉县市", "410783": "长垣市",
}
OUTSIDE_REGIONS = ("410102", "410305", "410503", "411002", "130104", "370102")
BANKS = ("中国工商银行股份有限公司新乡分行", "中国建设银行股份有限公司新乡分行",
         "中国农业银行股份有限公司新乡分行", "中国银行股份有限公司新乡分行",
         "新乡农村商业银行股份有限公司", "中原银行股份有限公司新乡分行")
COURTS = ("新乡市中级人民法院", "新乡市红旗区人民法院", "新乡市卫滨区人民法院", "新乡市牧野区人民法院",
          "辉县市人民法院", "卫辉市人民法院", "长垣市人民法院")

_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
_GIVEN = "伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华玉兰红梅鹏飞宇浩然子轩梓涵欣怡佳琪俊晨思雨博文"
_STREETS = ["人民路", "平原路", "胜利路", "华兰大道", "金穗大道", "新中大道", "宏力大道", "和平路", "自由路",
            "劳动路", "健康路", "牧野大道", "新二街", "向阳路", "荣校路"]
# Brand → world manufacturer identifier (the first three characters of a VIN).
_BRANDS = {"比亚迪": "LGX", "大众": "LFV", "丰田": "LVG", "本田": "LHG", "吉利": "L6T",
           "长城": "LGW", "福田": "LVB", "东风": "LGA", "解放": "LFN"}
_PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
# GB 16735 / ISO 3779: the values of VIN characters and the weights of the 17 positions.
_VIN_VALUES = {**{str(d): d for d in range(10)},
               **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
               **dict(zip("JKLMN", range(1, 6), strict=True)), "P": 7, "R": 9,
               **dict(zip("STUVWXYZ", range(2, 10), strict=True))}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_VIN_CHARS = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"


def rng_for(seed: int, *parts: object) -> random.Random:
    digest = hashlib.blake2b(repr((seed, *parts)).encode(), digest_size=16).digest()
    return random.Random(int.from_bytes(digest, "big"))


def date_between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange(max(1, (end - start).days)))


def years_after(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def month_back(day: dt.date, months: int) -> str:
    """The month `months` before the month of `day`, as YYYY-MM."""
    total = day.year * 12 + day.month - 1 - months
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


def month_add(month: str, months: int) -> str:
    total = int(month[:4]) * 12 + int(month[5:7]) - 1 + months
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


def months_between(first: str, last: str) -> int:
    """How many months from `first` to `last`, both included."""
    return (int(last[:4]) - int(first[:4])) * 12 + int(last[5:7]) - int(first[5:7]) + 1


def person_name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))


def address(rng: random.Random, region: str) -> str:
    district = REGIONS.get(region, "红旗区")
    return (f"河南省新乡市{district}{rng.choice(_STREETS)}{rng.randrange(1, 999)}号"
            f"{rng.randrange(1, 30)}号楼{rng.randrange(1, 6)}单元{rng.randrange(101, 2803)}室")


def _vin(rng: random.Random, wmi: str, year: int) -> str:
    """A VIN whose ninth character is the GB 16735 check digit."""
    year_code = "ABCDEFGHJKLMNPRSTVWXY123456789"[(year - 2010) % 30]
    body = (wmi + "".join(rng.choice(_VIN_CHARS) for _ in range(5)) + "0" + year_code
            + rng.choice("ABCDEFGHJ") + f"{rng.randrange(10**6):06d}")
    total = sum(_VIN_VALUES[c] * w for c, w in zip(body, _VIN_WEIGHTS, strict=True))
    check = "X" if total % 11 == 10 else str(total % 11)
    return body[:8] + check + body[9:]


def vehicle(rng: random.Random, since: dt.date, *, truck: bool) -> dict[str, Any]:
    kind = rng.choice(["重型货车", "轻型厢式货车", "小型普通客车"] if truck else ["小型轿车", "小型普通客车"])
    brand = rng.choice(sorted(_BRANDS))
    registered = date_between(rng, since, TODAY)
    status = rng.choices(["正常", "抵押", "查封"], [0.8, 0.15, 0.05])[0]
    plate = "豫G" + "".join(rng.choice("0123456789" + _PLATE_LETTERS) for _ in range(5))
    return {
        "plate": plate, "vehicle_type": kind, "brand": brand, "registered_on": registered,
        "status": status, "vin": _vin(rng, _BRANDS[brand], registered.year),
        "seized": status == "查封", "seized_by": rng.choice(COURTS) if status == "查封" else None,
        "mortgagee": rng.choice(BANKS) if status == "抵押" else None,
    }


def property_right(rng: random.Random, place: str, region: str, usage: str, since: dt.date
                   ) -> dict[str, Any]:
    """A real-estate right with its unit number (不动产单元号), mortgage and seizure."""
    year = date_between(rng, since, TODAY).year
    encumbrance = rng.choices(["无", "抵押", "查封", "抵押、查封"], [0.75, 0.18, 0.04, 0.03])[0]
    land_only = usage.endswith("用地")
    area = rng.uniform(45, 180) if usage == "住宅" else rng.uniform(300, 20000)
    # GB/T 37346: region (6), cadastral zone and sub-zone (6), parcel type and number (7),
    # then F plus the building unit (8), or W00000000 for land without a building.
    unit = (f"{region}{rng.randrange(1, 20):03d}{rng.randrange(1, 40):03d}GB"
            f"{rng.randrange(1, 99999):05d}"
            + ("W00000000" if land_only else f"F{rng.randrange(1, 9999):04d}{rng.randrange(1, 9999):04d}"))
    mortgaged = "抵押" in encumbrance
    return {
        "certificate_no": f"豫({year})新乡市不动产权第{rng.randrange(1, 9999999):07d}号",
        "address": place, "area_m2": round(area, 2), "usage": usage, "encumbrance": encumbrance,
        "unit_no": unit,
        "mortgagee": rng.choice(BANKS) if mortgaged else None,
        "mortgage_amount": (int(area * rng.randrange(800, 4000)) * 100) if mortgaged else None,
        "seized_by": rng.choice(COURTS) if "查封" in encumbrance else None,
    }
