"""The subject gate and the signed document, as pure functions; the Chinese details."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import orjson
import pytest

from connectors.base import Answer
from connectors.catalogue import CheckKind, domains_of
from connectors.config import SourceConfig
from connectors.records import Record
from schema.checks import PlanItem, outcome
from schema.period import CheckScope
from schema.report import Requester, assemble, gate
from schema.wording import circuit_open, failure_detail, stale_detail
from signing.canonical import canonical
from signing.keys import KeyRing, init_keys, verify_signature

CHINA = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 11, 28, 10, 0, tzinfo=CHINA)
REGISTRY = SourceConfig(name="scjg_registration", department="市市场监管局", subject="enterprise",
                        check=CheckKind.BANKRUPTCY, domain="registration", record="registration",
                        transport="rest-batch", envelope="list", fields={})
ASKER = Requester("court", "市中级人民法院", "张三", "(2026)豫07破1号", "req-1")
SCOPE = CheckScope(None, NOW.date(), dt.date(2026, 11, 20))
USCC = "91410700155862203H"


def registration(status: str) -> Record:
    return Record("registration", {
        "name": "新乡市润丰生物科技有限公司", "legal_representative": "王伟",
        "registered_capital": 500_000_000, "established_on": dt.date(2009, 10, 15),
        "status": status, "address": "红旗区", "business_scope": "生物科技",
        "status_on": dt.date(2025, 6, 22) if status in ("吊销", "注销") else None,
        "registration_authority": "新乡市红旗区市场监督管理局"})


@pytest.mark.parametrize(("answer", "confirmed", "unknown"), [
    (Answer("OK", (registration("存续"),), as_of=NOW), True, False),
    (Answer("NOT_FOUND", as_of=NOW), False, True),
    (Answer("OK", (), as_of=NOW), False, True),  # holds the code, but no registration
    (Answer("UNAVAILABLE", detail="市市场监管局 did not answer within 2 s"), False, False),
    (Answer("INVALID", detail="the answer is not valid JSON"), False, False),
    (Answer("UNAVAILABLE", (registration("存续"),), as_of=NOW, stale=True), False, False),
    (None, False, False),
])
def test_the_gate(answer: Answer | None, confirmed: bool, unknown: bool) -> None:
    g = gate(USCC, REGISTRY, answer, ASKER)
    assert (g.confirmed, g.unknown) == (confirmed, unknown)
    assert g.subject.uscc == USCC
    assert (g.subject.name is not None) == confirmed
    assert g.registry.legal_basis and g.registry.department == "市市场监管局"
    if answer is not None:
        assert g.registry.answer_ref == "req-1/scjg_registration"
    assert gate(USCC, None, None, ASKER).registry.status == "UNAVAILABLE"


@pytest.fixture(scope="module")
def ring(tmp_path_factory: pytest.TempPathFactory) -> KeyRing:
    return init_keys(tmp_path_factory.mktemp("keys") / "keys")


def sign(ring: KeyRing, status_or_answer: str | Answer) -> dict[str, Any]:
    answer = status_or_answer if isinstance(status_or_answer, Answer) else \
        Answer("OK", (registration(status_or_answer),), as_of=NOW)
    report = assemble(ring, CheckKind.BANKRUPTCY, gate(USCC, REGISTRY, answer, ASKER), [], [],
                      report_no="XXHC-2026-000123", report_id="r1", scope=SCOPE,
                      requester=ASKER, now=NOW)
    verify_signature(ring.public, report.key_id, canonical(orjson.loads(report.canonical)),
                     report.signature)
    return {"verdict": report.verdict, "detail": report.detail,
            "document": orjson.loads(report.canonical)}


@pytest.mark.parametrize(("status", "verdict", "says"), [
    ("存续", "CLEAN", None), ("在业", "CLEAN", None),
    ("吊销", "FINDINGS", "企业登记状态为吊销（2025-06-22）"),
    ("注销", "FINDINGS", "企业登记状态为注销（2025-06-22）"),
    ("迁出", "CLEAN", "已迁出"),
])
def test_a_revoked_or_deregistered_enterprise_is_a_finding(ring: KeyRing, status: str,
                                                            verdict: str, says: str | None
                                                            ) -> None:
    out = sign(ring, status)
    assert out["verdict"] == verdict
    assert (out["detail"] is None) == (says is None)
    if says:
        assert says in str(out["detail"])


def test_the_signed_document_carries_what_the_notice_prints(ring: KeyRing) -> None:
    doc = sign(ring, "存续")["document"]
    assert doc["reportNo"] == "XXHC-2026-000123" and doc["kind"] == "BANKRUPTCY"
    assert doc["subject"] == {"uscc": USCC, "name": "新乡市润丰生物科技有限公司", "status": "存续",
                              "registeredOn": "2009-10-15", "statusOn": None,
                              "registrationAuthority": "新乡市红旗区市场监督管理局"}
    assert doc["period"] == {"since": None, "until": "2026-11-28"}
    assert doc["baseDate"] == "2026-11-20"
    assert doc["requestedBy"] == {"caller": "court", "name": "市中级人民法院"}
    assert (doc["operator"], doc["case"]) == ("张三", "(2026)豫07破1号")
    assert "企业破产法" in doc["legalBasis"]
    assert doc["registry"]["answerRef"] == "req-1/scjg_registration"


def test_unknown_and_unconfirmed_subjects_read_no_domain(ring: KeyRing) -> None:
    unknown = sign(ring, Answer("NOT_FOUND", as_of=NOW))
    assert unknown["verdict"] == "SUBJECT_UNKNOWN"
    assert unknown["document"]["domains"] == [] and "未向其他部门查询" in str(unknown["detail"])
    failed = sign(ring, Answer("UNAVAILABLE", detail="市市场监管局 answered with an error (HTTP 500)"))
    assert failed["verdict"] == "INCOMPLETE" and failed["document"]["domains"] == []
    assert "未能确认主体" in str(failed["detail"]) and "HTTP 500" in str(failed["detail"])


def test_penalties_outside_the_period_are_left_out_and_counted() -> None:
    source = SourceConfig(name="sw_penalties", department="市税务局", subject="enterprise",
                          check=CheckKind.IPO_COMPLIANCE, domain="tax", record="violation",
                          transport="rest-batch", envelope="map", fields={})
    tax = next(d for d in domains_of(CheckKind.IPO_COMPLIANCE) if d.code == "tax")

    def penalty(day: dt.date) -> Record:
        return Record("violation", {"decision_no": f"新税稽罚〔{day.year}〕1号", "authority": "税务局",
                                    "decided_on": day, "summary": "少缴税款", "amount": 100,
                                    "rectified": True})

    scope = CheckScope(dt.date(2023, 11, 28), dt.date(2026, 11, 28))
    answer = Answer("OK", (penalty(dt.date(2023, 11, 27)), penalty(dt.date(2023, 11, 28)),
                           penalty(dt.date(2026, 11, 28))), as_of=NOW)
    o = outcome(CheckKind.IPO_COMPLIANCE, PlanItem(tax, source), answer, scope=scope)
    assert [r.get("decided_on") for r in o.records] == [dt.date(2023, 11, 28),
                                                        dt.date(2026, 11, 28)]
    assert "另有 1 条处罚记录" in str(o.detail)
    stale = outcome(CheckKind.IPO_COMPLIANCE, PlanItem(tax, source),
                    Answer("UNAVAILABLE", (), as_of=NOW, stale=True))
    assert stale.status == "STALE" and "数据过期" in str(stale.detail)


CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize(("status", "said", "chinese"), [
    ("UNAVAILABLE", "市税务局未在 2 秒内答复", "市税务局未在 2 秒内答复，本领域未能核查"),
    ("UNAVAILABLE", "无法连接市税务局（连接被拒绝或中断）", "无法连接市税务局（连接被拒绝或中断），本领域未能核查"),
    ("UNAVAILABLE", "市税务局答复出错（HTTP 500）", "市税务局答复出错（HTTP 500），本领域未能核查"),
    ("INVALID", "the answer is about a subject the hub did not ask for",
     "市税务局的答复与中枢查询的主体不符"),
    ("INVALID", "the answer says nothing about 2 of the 3 subjects asked for",
     "市税务局的答复与中枢查询的主体不符"),
    ("INVALID", "the answer is not valid JSON", "不是约定的 JSON 格式"),
    ("INVALID", "the source reported failure (status '99')", "答复表明查询失败"),
    ("INVALID", "a violation record has no decision_no (department field 'X')",
     "市税务局的答复不符合约定格式，已整体弃用，本领域未能核查（a violation record has no"),
    ("UNAVAILABLE", "something new", "市税务局未能提供答复，本领域未能核查（something new）"),
    ("UNAVAILABLE", None, "市税务局未能提供答复，本领域未能核查"),
])
def test_failure_details_are_chinese(status: str, said: str | None, chinese: str) -> None:
    detail = failure_detail("市税务局", status, said)
    assert chinese in detail and CJK.search(detail)
    assert "本领域未能核查" in detail and detail.count("本领域未能核查") == 1


def test_the_circuit_breakers_words_are_kept() -> None:
    words = circuit_open("市税务局", 9.6)
    assert failure_detail("市税务局", "UNAVAILABLE", words) == words
    assert "熔断" in words and "约 10 秒后自动重试" in words


def test_stale_detail_names_the_data_time_and_the_limit() -> None:
    detail = stale_detail("市住房公积金管理中心", NOW - dt.timedelta(days=3), 2 * 86400)
    assert "2026-11-25 10:00" in detail and "48 小时" in detail and "数据过期" in detail
