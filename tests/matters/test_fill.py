"""Filling a form from departments' answers (pure): values, units, transforms, gaps, materials.

The expected values are written here from the records the test chose, not computed by the code
under test.
"""

from __future__ import annotations

import datetime as dt

import pytest

from connectors.records import Record
from matters.fill import FilledForm, Missing, Obtained, fill, money_text
from matters.load import parse_matter
from matters.spec import Matter, Role

AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))

MATTER = {
    "code": "TEST_MATTER", "title": "测试事项", "legal_basis": "CONSENT", "callers": ["portal"],
    "roles": [
        {"role": "applicant", "label": "申请人", "categories": ["household", "housing_fund",
                                                              "property", "vehicles"]},
        {"role": "spouse", "label": "配偶", "categories": ["household"], "required": False},
    ],
    "fields": [
        {"name": "name", "label": "姓名", "type": "text", "source": "applicant:household.name"},
        {"name": "id", "label": "身份证号", "type": "id", "source": "applicant:@id"},
        {"name": "balance", "label": "余额", "type": "money",
         "source": "applicant:housing_fund.balance"},
        {"name": "opened", "label": "开户日期", "type": "date",
         "source": "applicant:housing_fund.opened_on"},
        {"name": "opened_year", "label": "开户年份", "type": "number",
         "source": "applicant:housing_fund.opened_on", "transform": "year"},
        {"name": "homes", "label": "住房套数", "type": "number", "unit": "套",
         "source": "applicant:property", "transform": "count"},
        {"name": "area", "label": "住房面积合计", "type": "number", "unit": "㎡",
         "source": "applicant:property.area_m2", "transform": "sum"},
        {"name": "addresses", "label": "房屋坐落", "type": "text",
         "source": "applicant:property.address", "transform": "join"},
        {"name": "share", "label": "共有情况", "type": "text",
         "source": "applicant:property.share"},
        {"name": "has_car", "label": "是否有车", "type": "boolean",
         "source": "applicant:vehicles", "transform": "exists"},
        {"name": "spouse_name", "label": "配偶姓名", "type": "text",
         "source": "spouse:household.name"},
        {"name": "phone", "label": "电话", "type": "text"},
    ],
    "materials": [
        {"name": "户口簿", "waived_by": ["applicant:household"]},
        {"name": "无房证明", "waived_by": ["applicant:property"], "waived_when": "answer"},
        {"name": "房产证", "waived_by": ["applicant:property"]},
        {"name": "公积金证明", "waived_by": ["applicant:housing_fund"]},
        {"name": "配偶身份证", "waived_by": ["spouse:household"]},
        {"name": "申请表"},
    ],
}
ME = "410702199001010014"


@pytest.fixture
def matter() -> Matter:
    return parse_matter(MATTER)


def got(category: str, *records: dict[str, object], dept: str = "部门") -> Obtained:
    kinds = {"household": "household", "housing_fund": "fund_account", "property": "property",
             "vehicles": "vehicle"}
    return Obtained(tuple(Record(kinds[category], r) for r in records) or None,
                    f"src_{category}", dept, AS_OF)


HOUSEHOLD = {"name": "王伟", "address": "新乡市红旗区人民路1号"}
FUND = {"balance": 12_345_607, "opened_on": dt.date(2015, 3, 9)}
HOMES = ({"address": "红旗区A栋", "area_m2": 89.5, "share": None},
         {"address": "卫滨区B栋", "area_m2": 60.25, "share": "共同共有"})


def values(form: FilledForm) -> dict[str, str | None]:
    return {f.field.name: f.value for f in form.fields}


def test_values_units_and_transforms(matter: Matter) -> None:
    outcomes: dict[tuple[Role, str], Obtained | Missing] = {
        ("applicant", "household"): got("household", HOUSEHOLD, dept="市公安局"),
        ("applicant", "housing_fund"): got("housing_fund", FUND),
        ("applicant", "property"): got("property", *HOMES),
        ("applicant", "vehicles"): got("vehicles"),
    }
    form = fill(matter, {"applicant": ME}, outcomes)
    assert values(form) == {
        "name": "王伟", "id": ME, "balance": "123456.07", "opened": "2015-03-09",
        "opened_year": "2015", "homes": "2", "area": "149.75", "addresses": "红旗区A栋、卫滨区B栋",
        "share": None, "has_car": "false", "phone": None}  # spouse not given: not applicable
    by_name = {f.field.name: f for f in form.fields}
    assert by_name["balance"].unit == "CNY" and by_name["homes"].unit == "套"
    assert by_name["name"].department == "市公安局" and by_name["name"].source == "src_household"
    assert by_name["name"].as_of == AS_OF and by_name["name"].verified
    assert not by_name["id"].verified  # what the application says, not a department
    assert by_name["share"].code == "NO_VALUE" and "未登记此项" in (by_name["share"].reason or "")
    assert by_name["phone"].code is None  # the applicant fills it in: not a gap
    assert (form.filled, form.total) == (9, 11) and form.share == round(9 / 11, 3)
    assert form.gaps == ()
    waived = {m.material.name for m in form.waived}
    assert waived == {"户口簿", "无房证明", "房产证", "公积金证明"}
    assert {m.material.name for m in form.required} == {"申请表"}


def test_none_held_fills_counts_but_not_values(matter: Matter) -> None:
    outcomes: dict[tuple[Role, str], Obtained | Missing] = {
        ("applicant", "household"): got("household", HOUSEHOLD),
        ("applicant", "housing_fund"): got("housing_fund", dept="市住房公积金管理中心"),
        ("applicant", "property"): got("property"),
        ("applicant", "vehicles"): got("vehicles", {"plate": "豫G12345"}),
        ("spouse", "household"): got("household", {"name": "李娜"}),
    }
    form = fill(matter, {"applicant": ME, "spouse": "410702199202020023"}, outcomes)
    v = values(form)
    assert v["homes"] == "0" and v["has_car"] == "true" and v["spouse_name"] == "李娜"
    assert v["balance"] is None and v["area"] is None
    gaps = {g.category: g for g in form.gaps}
    assert set(gaps) == {"housing_fund", "property"}
    gap = gaps["housing_fund"]
    assert (gap.role, gap.code) == ("applicant", "NOT_FOUND")
    assert gap.reason == "市住房公积金管理中心未查到申请人的“个人住房公积金账户”记录"
    assert set(gap.fields) == {"balance", "opened", "opened_year"}
    assert set(gaps["property"].fields) == {"area", "addresses", "share"}  # not "homes": 0
    states = {m.material.name: m for m in form.waived + form.required}
    assert states["无房证明"].waived and not states["房产证"].waived  # an answer, not a record
    assert not states["公积金证明"].waived and "请提交纸质材料" in states["公积金证明"].reason
    assert states["配偶身份证"].waived
    assert form.total == 12 and form.filled == 5  # name, id, homes, has_car, spouse_name


def test_refusals_and_failures_are_gaps_in_words(matter: Matter) -> None:
    outcomes: dict[tuple[Role, str], Obtained | Missing] = {
        ("applicant", "household"): Missing("CONSENT_REQUIRED", "no consent covers it"),
        ("applicant", "housing_fund"): Missing("SOURCE_UNAVAILABLE", "timed out",
                                               "市住房公积金管理中心"),
        ("applicant", "property"): Missing("CONSENT_INVALID", "revoked"),
        ("applicant", "vehicles"): Missing("SOURCE_INVALID", "not JSON", "市公安局"),
    }
    form = fill(matter, {"applicant": ME}, outcomes)
    reasons = {g.category: g.reason for g in form.gaps}
    assert reasons == {
        "household": "未取得申请人对“户籍”数据的授权：请申请人授权后重试，或提交纸质材料",
        "housing_fund": "市住房公积金管理中心暂时无法查询“个人住房公积金账户”：请稍后重试，或请申请人"
                        "提交纸质材料",
        "property": "申请人的授权无效（已撤回、过期、次数用尽或不属于本事项）：请重新授权",
        "vehicles": "市公安局返回的“机动车”数据不符合约定格式，已拒收：请稍后重试，或请申请人提交纸质材料",
    }
    assert {g.category: g.detail for g in form.gaps}["housing_fund"] == "timed out"
    assert form.filled == 1  # only the identifier the application gave
    assert {m.material.name for m in form.waived} == set()
    assert {f.field.name: f.code for f in form.fields}["has_car"] == "SOURCE_INVALID"


def test_a_required_role_not_given_is_a_gap(matter: Matter) -> None:
    spec = dict(MATTER, roles=[MATTER["roles"][0], dict(MATTER["roles"][1], required=True)])
    form = fill(parse_matter(spec), {"applicant": ME}, {
        ("applicant", "household"): got("household", HOUSEHOLD)})
    codes = {(g.role, g.category): g.code for g in form.gaps}
    assert codes[("spouse", "household")] == "SUBJECT_MISSING"
    assert {g.role: g.reason for g in form.gaps}["spouse"] == "申请未提供配偶的身份信息"
    assert form.total == 12


@pytest.mark.parametrize(("fen", "text"), [(0, "0.00"), (5, "0.05"), (100, "1.00"),
                                           (123456, "1234.56"), (-2501, "-25.01")])
def test_money_is_yuan_with_two_decimals(fen: int, text: str) -> None:
    assert money_text(fen) == text
