"""Reading a signed report for printing: shapes old and new, bad files, the verification code."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest

from hub.commands.check_cmd import render_table
from hub.report.html import render_html
from hub.report.labels import conclusion, money, summarise
from hub.report.view import DomainView, ReportInvalid, ReportView, verification_code

TODAY_DOC: dict[str, Any] = {  # what `hub check --out` writes before the report fields
    "report": {
        "reportId": "0f3c", "kind": "BANKRUPTCY", "verdict": "FINDINGS",
        "checkedAt": "2026-11-28T10:00:00+08:00", "requestedBy": "court",
        "subject": {"uscc": "9141070020299025X1"},
        "domains": [{
            "domain": "registration", "title": "注册登记基本信息", "department": "市市场监管局",
            "source": "scjg_registration", "status": "OK", "asOf": None, "latencyMs": 3.0,
            "detail": None, "records": [{
                "type": "registration", "name": "新乡市瑞丰机械制造有限公司",
                "legal_representative": "王伟", "registered_capital": 500000000,
                "established_on": "2009-10-15", "status": "吊销", "address": "红旗区",
                "business_scope": "机械", "status_on": "2025-01-02"}]}]},
    "signature": "c2lnbmF0dXJl", "keyId": "k1"}


def test_verification_code_is_the_published_derivation() -> None:
    """First 8 base32 characters of SHA-256 over the signature text (as documented)."""
    signature = "3q2+7w=="
    digest = hashlib.sha256(b"3q2+7w==").digest()
    assert verification_code(signature) == base64.b32encode(digest).decode()[:8]
    assert len(verification_code(signature)) == 8
    assert verification_code(signature) != verification_code("3q2+7x==")


def test_todays_document_renders_with_the_registry_name() -> None:
    view = ReportView.from_signed(TODAY_DOC)
    assert view.report_no == "0f3c" and view.name == "新乡市瑞丰机械制造有限公司"
    assert view.status == "吊销" and view.registered_on == "2009-10-15"
    assert view.since == "" and view.case == ""


def test_new_report_fields_are_used_when_present() -> None:
    report = {**TODAY_DOC["report"], "reportNo": "XXHC-2026-000123",
              "subject": {"uscc": "9141070020299025X1", "name": "甲公司", "status": "存续",
                          "registeredOn": "2001-02-03"},
              "period": {"since": "2023-11-28", "until": "2026-11-28"},
              "case": "(2026)豫07破1号", "operator": "张三"}
    report["domains"] = [{**report["domains"][0], "legalBasis": "《企业破产法》第二十五条",
                          "disputed": True, "asOf": "2026-11-28T02:00:00+08:00"}]
    view = ReportView.from_signed({**TODAY_DOC, "report": report})
    assert (view.report_no, view.name, view.status) == ("XXHC-2026-000123", "甲公司", "存续")
    assert (view.since, view.until, view.case, view.operator) == (
        "2023-11-28", "2026-11-28", "(2026)豫07破1号", "张三")
    (domain,) = view.domains
    assert domain.legal_basis == "《企业破产法》第二十五条" and domain.disputed
    page = render_html(view, verify_base="https://hub.example.gov.cn")
    assert "(2026)豫07破1号" in page and "两部门答复不一致" in page
    assert "https://hub.example.gov.cn/verify?no=XXHC-2026-000123&amp;code=" + view.code in page


@pytest.mark.parametrize(("signed", "says"), [
    ([], "expected an object"),
    ({"report": {}, "signature": "x"}, "expected an object"),
    ({"report": [], "signature": "x", "keyId": "k"}, "report must be an object"),
    ({"report": {}, "signature": "", "keyId": "k"}, "report must be an object"),
    ({"report": {"reportId": "r"}, "signature": "x", "keyId": "k"}, "no list of domains"),
    ({"report": {"reportId": "r", "domains": "abc"}, "signature": "x", "keyId": "k"},
     "no list of domains"),
    ({"report": {"domains": []}, "signature": "x", "keyId": "k"}, "neither reportNo"),
])
def test_bad_report_files_are_refused_with_a_reason(signed: Any, says: str) -> None:
    with pytest.raises(ReportInvalid, match=says):
        ReportView.from_signed(signed)


def test_department_text_is_escaped() -> None:
    report = {**TODAY_DOC["report"], "domains": [{
        "domain": "tax", "title": "企业合法纳税情况", "department": "<b>税务</b>", "status": "OK",
        "records": [{"type": "violation", "decision_no": "<script>x</script>", "authority": "a",
                     "decided_on": "2025-01-01", "summary": "s", "amount": None,
                     "rectified": False}]}]}
    page = render_html(ReportView.from_signed({**TODAY_DOC, "report": report}),
                       verify_base="http://h")
    assert "<script>x" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert "<b>税务" not in page


def domain(status: str, records: tuple[dict[str, Any], ...] = ()) -> DomainView:
    return DomainView("tax", "纳税", "市税务局", "s", status, records, "", "", "", False)


@pytest.mark.parametrize(("d", "zh", "en"), [
    (domain("OK"), "无记录", "no record"),
    (domain("OK", ({"type": "vehicle"},)), "有记录 1 条", "1 record(s)"),
    (domain("OK", ({"type": "arrears", "arrears_amount": 5},)), "发现问题 1 项", "1 finding(s)"),
    (domain("OK", ({"type": "contribution", "arrears_amount": 0},)), "有记录 1 条", "1 record(s)"),
    (domain("OK", ({"type": "contribution", "arrears_amount": 0, "status": "正常缴存"},)),
     "缴存状态：正常缴存", "contributions: 正常缴存"),
    (domain("NOT_FOUND"), "无记录（该部门未登记此企业）", "no record (not held by this department)"),
    (domain("STALE"), "数据过期，不能作为依据", "data too old to rely on"),
    (domain("UNAVAILABLE"), "未获答复", "no answer"),
])
def test_conclusions(d: DomainView, zh: str, en: str) -> None:
    assert conclusion(d, "zh") == zh and conclusion(d, "en") == en


def test_summaries_and_money() -> None:
    assert money(123456789) == "¥1,234,567.89" and money(5) == "¥0.05" and money(None) == "—"
    line = summarise({"type": "contribution", "scheme": "social_insurance", "insured_count": 12,
                      "paid_through": "2025-12", "status": "欠费", "arrears_amount": 300000,
                      "arrears_months": 3, "arrears_from": "2026-01", "arrears_to": "2026-03",
                      "late_fee": 1234, "liability_ref": "SBHD1"})
    assert line == ("社会保险 参保12人 缴至2025-12 欠费 欠缴3个月（2026-01至2026-03）¥3,000.00 "
                    "滞纳金¥12.34 核定编号SBHD1")
    line = summarise({"type": "vehicle", "plate": "豫G12345", "brand": "福田",
                      "vehicle_type": "重型货车", "status": "查封", "vin": "LVB12345678901234",
                      "seized_by": "新乡市中级人民法院", "mortgagee": None})
    assert "VIN LVB12345678901234" in line and "查封机关：新乡市中级人民法院" in line


UNKNOWN_DOC: dict[str, Any] = {
    "report": {
        "reportNo": "XXHC-2026-000007", "reportId": "r7", "kind": "IPO_COMPLIANCE",
        "verdict": "SUBJECT_UNKNOWN", "checkedAt": "2026-11-28T10:00:00+08:00",
        "subject": {"uscc": "91410727MA502434X8", "name": None, "status": None,
                    "registeredOn": None},
        "period": {"since": "2023-11-28", "until": "2026-11-28"},
        "requestedBy": {"caller": "xzsp", "name": "市行政审批和政务信息管理局"},
        "detail": "市市场监管局登记信息中无统一社会信用代码为 91410727MA502434X8 的企业，未向其他部门查询",
        "legalBasis": "实施方案附件1第6项",
        "registry": {"domain": "registration", "title": "注册登记基本信息",
                     "department": "市市场监管局", "source": "scjg_registration",
                     "status": "NOT_FOUND", "records": [], "asOf": "2026-11-28T10:00:00+08:00",
                     "legalBasis": "《市场主体登记管理条例》"},
        "domains": [], "inventory": None},
    "signature": "c2ln", "keyId": "k1"}


def test_an_unknown_enterprise_prints_the_registry_answer_and_nothing_else() -> None:
    view = ReportView.from_signed(UNKNOWN_DOC)
    assert view.registry is not None and view.registry.status == "NOT_FOUND"
    page = render_html(view, verify_base="http://h")
    assert "登记机关无此企业，未进行核查" in page and "无此企业" in page
    assert "主体未经登记机关确认，未向其他部门查询" in page and "核查依据" in page
    assert "财产及债务清单" not in page and "发现的问题及记录" not in page


def inventory_doc() -> dict[str, Any]:
    contribution = {"type": "contribution", "scheme": "social_insurance", "insured_count": 3,
                    "paid_through": "2026-07", "arrears_amount": 300000, "arrears_months": 3,
                    "late_fee": 100, "liability_ref": "SBHD1"}
    report = {**TODAY_DOC["report"], "reportNo": "XXHC-2026-000008", "domains": [
        {"domain": "social_insurance", "title": "社会保险参保缴费", "department": "市人社局",
         "status": "OK", "disputed": True, "records": [{**contribution, "counted": False}]},
        {"domain": "social_insurance", "title": "社会保险参保缴费", "department": "市税务局",
         "status": "OK", "disputed": True,
         "records": [{**contribution, "arrears_amount": 200000, "paid_through": "2026-08"}]}],
        "inventory": {"total": 200100, "secured": 0, "notes": ["受理日之后的滞纳金不属于破产债权"],
                      "assets": [{"domain": "vehicles", "title": "车辆", "department": "市公安局",
                                  "count": 2, "seized": 1, "mortgaged": 0, "areaM2": None}],
                      "classes": [
                          {"code": "SECURED", "order": None, "title": "有财产担保的债权",
                           "basis": "第一百零九条", "total": 0, "items": []},
                          {"code": "EMPLOYEE", "order": 1, "title": "第一顺序：职工债权",
                           "basis": "第一百一十三条", "total": 200000, "items": [
                               {"item": "欠缴社会保险费", "department": "市税务局",
                                "amount": 200000, "months": 2, "periodFrom": "2026-09",
                                "periodTo": "2026-10", "liabilityRef": "SBHD1"}]}],
                      "reconciliations": [{"domain": "social_insurance", "disputed": True,
                                           "reason": "采用市税务局的答复"}]}}
    return {**TODAY_DOC, "report": report}


def test_the_inventory_is_printed_with_classes_totals_and_reconciliation() -> None:
    view = ReportView.from_signed(inventory_doc())
    assessed, collected = view.domains
    assert assessed.findings == () and len(collected.findings) == 1  # counted once
    page = render_html(view, verify_base="http://h")
    for text in ("财产及债务清单", "第一顺序：职工债权", "¥2,000.00", "¥2,001.00", "【不一致】采用市税务局的答复",
                 "已在另一部门的答复中计入", "2026-09至2026-10（2个月）", "受理日之后的滞纳金",
                 "车辆 2 项（查封 1）"):
        assert text in page, text
    table = render_table(view, "zh")
    assert "第一顺序：职工债权: ¥2,000.00" in table and "¥2,001.00" in table
    assert "! 采用市税务局的答复" in table


def test_a_revoked_registration_is_a_finding_of_its_own() -> None:
    view = ReportView.from_signed(TODAY_DOC)  # the registry says 吊销
    (registration,) = view.domains
    assert len(registration.findings) == 1
    assert conclusion(registration, "zh") == "登记状态：吊销"


def test_an_objection_and_a_disagreement_are_told_apart() -> None:
    base = {"domain": "tax", "title": "纳税缴税", "department": "市税务局", "status": "OK",
            "records": []}
    rows = [{**base, "disputed": True, "objections": ["obj_1"]},
            {**base, "disputed": True, "disagreement": True},
            {**base, "disputed": True},  # a document from before both were told apart
            {**base, "disputed": False}]
    view = ReportView.from_signed({**TODAY_DOC, "report": {**TODAY_DOC["report"],
                                                           "domains": rows}})
    marks = [d.marks for d in view.domains]
    assert marks == ["（企业已提出异议，处理中）", "（两部门答复不一致）", "（两部门答复不一致）", ""]
    assert view.domains[0].objections == ("obj_1",) and view.domains[1].disagreement
    page = render_html(view, verify_base="http://h")
    assert "无记录（企业已提出异议，处理中）" in page
    assert "disputed" in render_table(view, "en") and "异议" in render_table(view, "zh")


@pytest.mark.parametrize(("kind", "english"), [
    ("BANKRUPTCY", "taxes paid and owed"),  # domain.md, bankruptcy check item 8
    ("IPO_COMPLIANCE", "lawful tax payment"),  # domain.md, IPO check item 13
])
def test_the_english_table_names_each_domain_in_english(kind: str, english: str) -> None:
    rows = [{"domain": "tax", "title": "纳税缴税", "department": "市税务局", "status": "OK",
             "records": []},
            {"domain": "not_in_the_catalogue", "title": "新领域", "department": "市某局",
             "status": "OK", "records": []}]
    view = ReportView.from_signed({**TODAY_DOC, "report": {**TODAY_DOC["report"], "kind": kind,
                                                           "domains": rows}})
    table = render_table(view, "en")
    assert english in table and "纳税缴税" not in table
    assert "not_in_the_catalogue" in table  # a domain this hub does not know: its code
    assert "纳税缴税" in render_table(view, "zh") and english not in render_table(view, "zh")


def test_an_ipo_reports_registration_row_is_named_in_english() -> None:
    """The registration (the subject gate) is not one of the IPO check's 17 domains, but a
    deregistered enterprise's IPO report shows it: domain.md, bankruptcy item 4."""
    rows = [{"domain": "registration", "title": "注册登记基本信息", "department": "市市场监管局",
             "status": "OK", "records": []}]
    view = ReportView.from_signed({**TODAY_DOC, "report": {**TODAY_DOC["report"],
                                                           "kind": "IPO_COMPLIANCE",
                                                           "domains": rows}})
    assert "registration basics" in render_table(view, "en")
    assert "注册登记基本信息" in render_table(view, "zh")
