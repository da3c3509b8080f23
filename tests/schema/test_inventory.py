"""The bankruptcy inventory as pure functions: one liability counted once, creditor classes in
the order of 《企业破产法》, totals in fen — against amounts this test chose."""

from __future__ import annotations

import datetime as dt
from typing import Any

from connectors.catalogue import CheckKind, domains_of
from connectors.records import Record
from schema.checks import DomainOutcome, DomainStatus, verdict
from schema.inventory import build_inventory, reconcile

DOMAINS = {d.code: d for d in domains_of(CheckKind.BANKRUPTCY)}
T0 = dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def contribution(scheme: str = "social_insurance", **values: Any) -> Record:
    base: dict[str, Any] = {
        "scheme": scheme, "insured_count": 20, "paid_through": "2026-07", "paid_amount": 0,
        "arrears_amount": 300_000, "status": "欠费", "arrears_months": 3,
        "arrears_from": "2026-08", "arrears_to": "2026-10", "late_fee": 4_500,
        "personal_part": 100_000, "liability_ref": "SBHD1"}
    base.update(values)
    return Record("contribution", base)


def outcome(domain: str, source: str, department: str, *records: Record,
            status: DomainStatus = "OK", as_of: dt.datetime = T0) -> DomainOutcome:
    return DomainOutcome(DOMAINS[domain], department, source, status,
                         records, as_of, 1.0, None)


def test_the_same_liability_from_two_departments_is_counted_once() -> None:
    """The collector booked one more month: its answer is kept, both rows are disputed."""
    assessed = outcome("social_insurance", "rsj", "市人社局", contribution())
    collected = outcome("social_insurance", "sw", "市税务局", contribution(
        paid_through="2026-08", arrears_amount=200_000, arrears_months=2, arrears_from="2026-09",
        late_fee=2_000, personal_part=66_000))
    rows, found = reconcile([assessed, collected])
    (r,) = found
    assert (r.kept_source, r.other_source, r.disputed) == ("sw", "rsj", True)
    assert (r.kept_amount, r.other_amount, r.liability_ref) == (200_000, 300_000, "SBHD1")
    assert "采用市税务局的答复" in r.reason and "2026-08" in r.reason and "SBHD1" in r.reason
    assert rows[0].superseded == (0,) and rows[1].superseded == ()
    assert rows[0].disagreement and rows[1].disagreement
    assert all(r.reason in (row.detail or "") for row in rows)
    _, inventory = build_inventory([assessed, collected], None)
    totals = {c.code: c.total for c in inventory.classes}
    assert totals == {"SECURED": 0, "EMPLOYEE": 66_000, "SOCIAL_AND_TAX": 134_000,
                      "ORDINARY": 2_000}
    assert inventory.total == 202_000


def test_agreeing_departments_are_counted_once_and_not_disputed() -> None:
    a = outcome("medical_insurance", "ybj", "市医保局", contribution("medical_insurance"))
    b = outcome("medical_insurance", "swyb", "市税务局", contribution("medical_insurance"))
    rows, (r,) = reconcile([a, b])
    assert not r.disputed and r.kept_source == "ybj"  # a tie: the assessing department
    assert "两部门答复一致" in r.reason
    assert not rows[0].disagreement and not rows[1].disagreement and rows[1].superseded == (0,)
    _, inventory = build_inventory([a, b], None)
    assert inventory.total == 300_000 + 4_500


def test_two_references_are_two_liabilities() -> None:
    a = outcome("social_insurance", "rsj", "市人社局", contribution(liability_ref="SBHD1"))
    b = outcome("social_insurance", "sw", "市税务局", contribution(liability_ref="SBHD2"))
    rows, found = reconcile([a, b])
    assert found == () and rows == (a, b)
    assert build_inventory([a, b], None)[1].total == 2 * 304_500


def test_one_department_that_did_not_answer_leaves_the_other_counted() -> None:
    a = outcome("social_insurance", "rsj", "市人社局", contribution())
    b = outcome("social_insurance", "sw", "市税务局", status="UNAVAILABLE")
    rows, inventory = build_inventory([a, b], None)
    assert inventory.reconciliations == () and inventory.total == 304_500
    assert any("未获有效答复" in n and "市税务局" in n for n in inventory.notes)
    assert verdict(rows) == "FINDINGS"


def test_nothing_owed_on_either_side_is_not_a_reconciliation() -> None:
    zero = {"arrears_amount": 0, "arrears_months": 0, "late_fee": 0, "personal_part": 0,
            "liability_ref": None, "arrears_from": None, "arrears_to": None}
    a = outcome("social_insurance", "rsj", "市人社局", contribution(**zero))
    b = outcome("social_insurance", "sw", "市税务局", contribution(**zero))
    rows, found = reconcile([a, b])
    assert found == () and not any(r.disagreement for r in rows)
    assert verdict(rows) == "CLEAN"


def test_a_superseded_record_is_no_finding() -> None:
    """The assessor still shows arrears the collector has been paid: the kept answer decides."""
    assessed = outcome("social_insurance", "rsj", "市人社局", contribution())
    paid = outcome("social_insurance", "sw", "市税务局", contribution(
        paid_through="2026-10", arrears_amount=0, arrears_months=0, late_fee=0,
        personal_part=0, arrears_from=None, arrears_to=None))
    rows, inventory = build_inventory([assessed, paid], None)
    assert rows[0].superseded == (0,) and rows[0].disagreement
    assert inventory.total == 0 and verdict(rows) == "CLEAN"


def test_creditor_classes_follow_the_bankruptcy_law() -> None:
    fund = outcome("housing_fund", "gjj", "市住房公积金管理中心", contribution(
        "housing_fund", arrears_amount=50_000, personal_part=50_000, late_fee=0,
        liability_ref="GJJ1"))
    tax = outcome("tax", "swtax", "市税务局", Record("tax_account", {
        "paid_last_year": 0, "arrears_amount": 700_000, "credit_grade": "D",
        "last_filed_on": dt.date(2026, 10, 1), "arrears_months": 5,
        "arrears_since": "2026-05", "late_fee": 9_000}))
    customs = outcome("customs", "hg", "新乡海关", Record("customs_account", {
        "duties_paid": 0, "arrears_amount": 30_000, "declarations": 1,
        "last_cleared_on": None, "arrears_months": 1, "arrears_since": "2026-10",
        "late_fee": 100}))
    land = outcome("real_estate", "bdc", "不动产登记和交易中心", Record("property", {
        "certificate_no": "豫(2020)新乡市不动产权第0000001号", "address": "红旗区",
        "area_m2": 1200.5, "usage": "工业用地", "encumbrance": "抵押", "share": None,
        "unit_no": None, "mortgagee": "中国银行新乡分行", "mortgage_amount": 8_000_000,
        "seized_by": "新乡市中级人民法院"}))
    unknown_amount = outcome("vehicles", "ga", "市公安局", Record("vehicle", {
        "plate": "豫G12345", "vehicle_type": "货车", "brand": "解放", "registered_on":
        dt.date(2020, 1, 1), "status": "正常", "vin": None, "seized": True, "seized_by": None,
        "mortgagee": "某融资租赁公司"}))
    _, inv = build_inventory([unknown_amount, land, fund, tax, customs], dt.date(2026, 11, 20))
    assert [c.code for c in inv.classes] == ["SECURED", "EMPLOYEE", "SOCIAL_AND_TAX", "ORDINARY"]
    assert [c.order for c in inv.classes] == [None, 1, 2, 3]
    by = {c.code: c for c in inv.classes}
    assert by["SECURED"].total == 8_000_000 and inv.secured == 8_000_000
    assert {i.item for i in by["SECURED"].items} == {
        "抵押权人：中国银行新乡分行（豫(2020)新乡市不动产权第0000001号）", "抵押权人：某融资租赁公司（豫G12345）"}
    assert next(i for i in by["SECURED"].items if i.source == "ga").note  # amount not registered
    assert by["EMPLOYEE"].total == 50_000
    assert by["SOCIAL_AND_TAX"].total == 730_000
    assert by["ORDINARY"].total == 9_100
    assert inv.total == 789_100
    assert [(a.domain, a.count, a.seized, a.mortgaged, a.area_m2) for a in inv.assets] == [
        ("vehicles", 1, 1, 1, None), ("real_estate", 1, 1, 1, 1200.5)]
    assert any("2026-11-20" in n and "第四十六条" in n for n in inv.notes)


def test_arrears_without_a_personal_part_go_to_the_second_class_with_a_note() -> None:
    o = outcome("social_insurance", "rsj", "市人社局", contribution(personal_part=None))
    _, inv = build_inventory([o], None)
    by = {c.code: c for c in inv.classes}
    assert by["EMPLOYEE"].total == 0 and by["SOCIAL_AND_TAX"].total == 300_000
    assert by["SOCIAL_AND_TAX"].items[0].note
