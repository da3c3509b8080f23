"""Parsing department answers: pure functions, every malformed shape refused with a reason."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import orjson
import pytest

from connectors.config import SourceConfig
from connectors.errors import SourceInvalid
from connectors.parse import parse_body, to_record

FIELDS = {"decision_no": "cfjdswh", "authority": "cfjg", "decided_on": "cfrq",
          "summary": "wfss", "amount": "fkje", "rectified": "sfzg"}
CFG = SourceConfig(name="s", department="市测试局", subject="enterprise",
                   check="IPO_COMPLIANCE", domain="tax", record="violation",
                   transport="rest-batch", envelope="list", fields=FIELDS,
                   url="http://127.0.0.1:1/x", credential="value:k", key_param="codes",
                   key_field="tyshxydm", records_field="jlxx")
RECORD = {"cfjdswh": "新税稽罚〔2024〕1号", "cfjg": "税务局", "cfrq": "2024-05-01",
          "wfss": "少缴税款", "fkje": 1234.5, "sfzg": True}


def body(doc: Any) -> bytes:
    return orjson.dumps(doc)


def list_doc(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"code": 0, "msg": "ok", "data": {"updateTime": "2026-11-01T00:00:00+08:00",
                                             "list": items}}


def test_list_envelope_parses_found_and_unknown() -> None:
    doc = list_doc([{"tyshxydm": "A", "exists": True, "jlxx": [RECORD]},
                    {"tyshxydm": "B", "exists": False, "jlxx": []}])
    parsed, as_of = parse_body(CFG, body(doc), ["A", "B"])
    assert parsed["B"] is None
    assert parsed["A"] == [RECORD]
    assert as_of == dt.datetime(2026, 11, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.mark.parametrize(("raw", "says"), [
    (b"<html>", "not valid JSON"),
    (b"[]", "not a JSON object"),
    (body({"code": 1, "msg": "busy"}), "reported failure"),
    (body(list_doc([{"tyshxydm": "Z", "exists": True, "jlxx": []}])), "did not ask for"),
    (body(list_doc([{"tyshxydm": "A", "exists": True, "jlxx": []}] * 2)), "twice"),
    (body(list_doc([])), "says nothing about 1"),
    (body(list_doc([{"tyshxydm": "A", "exists": "yes", "jlxx": []}])), "boolean 'exists'"),
    (body(list_doc([{"tyshxydm": "A", "exists": True, "jlxx": {}}])), "not a JSON array"),
    (body({"code": 0, "data": {"updateTime": "soon", "list": [
        {"tyshxydm": "A", "exists": True, "jlxx": []}]}}), "not an ISO 8601"),
])
def test_malformed_list_answers(raw: bytes, says: str) -> None:
    with pytest.raises(SourceInvalid, match=says):
        parse_body(CFG, raw, ["A"])


def test_hits_envelope_requires_every_key_once() -> None:
    cfg = dataclasses.replace(CFG, envelope="hits")
    doc = {"success": True, "result": {"asOf": "2026-11-01T00:00:00+08:00",
                                       "hits": [{"tyshxydm": "A", **RECORD}] * 2,
                                       "empty": ["B"], "unknown": ["C"]}}
    parsed, _ = parse_body(cfg, body(doc), ["A", "B", "C"])
    assert len(parsed["A"] or []) == 2 and parsed["B"] == [] and parsed["C"] is None
    with pytest.raises(SourceInvalid, match="says nothing"):
        parse_body(cfg, body(doc), ["A", "B", "C", "D"])
    doc["result"]["empty"] = ["A"]
    with pytest.raises(SourceInvalid, match="twice"):
        parse_body(cfg, body(doc), ["A", "C"])


def test_map_and_single_envelopes() -> None:
    cfg = dataclasses.replace(CFG, envelope="map")
    doc = {"status": "00", "sjsj": "2026-11-01T00:00:00+08:00",
           "rows": {"A": {"exists": "1", "items": [RECORD]}}}
    assert parse_body(cfg, body(doc), ["A"])[0]["A"] == [RECORD]
    doc["rows"]["A"]["exists"] = 1
    with pytest.raises(SourceInvalid, match="'exists'"):
        parse_body(cfg, body(doc), ["A"])
    single = dataclasses.replace(CFG, envelope="single", records_field="records")
    assert parse_body(single, body({"code": "404"}), ["A"])[0] == {"A": None}
    with pytest.raises(SourceInvalid, match="did not ask for"):
        parse_body(single, body({"code": "200", "data": {"tyshxydm": "B", "records": []}}),
                   ["A"])


def test_record_mapping_and_formats() -> None:
    rec = to_record(CFG, RECORD)
    assert rec.values["amount"] == 123450
    assert rec.values["decided_on"] == dt.date(2024, 5, 1)
    fen = dataclasses.replace(CFG, money_unit="fen", date_format="compact", bool_style="zh")
    rec = to_record(fen, {**RECORD, "fkje": 500, "cfrq": "20240501", "sfzg": "否"})
    assert rec.values["amount"] == 500 and rec.values["rectified"] is False
    epoch = dataclasses.replace(CFG, date_format="epoch_ms", money_unit="yuan_str")
    rec = to_record(epoch, {**RECORD, "cfrq": 1714492800000, "fkje": "1,000.10"})
    assert rec.values["decided_on"] == dt.date(2024, 5, 1)
    assert rec.values["amount"] == 100010
    assert to_record(CFG, {**RECORD, "fkje": None}).values["amount"] is None


@pytest.mark.parametrize(("change", "says"), [
    ({"cfjdswh": None}, "has no decision_no"),
    ({"cfjdswh": 12}, "not text"),
    ({"cfrq": "2024/05/01"}, "agreed format"),
    ({"cfrq": "2024-02-30"}, "agreed format"),
    ({"fkje": "12.5"}, "not a number of yuan"),
    ({"fkje": True}, "not an amount"),
    ({"sfzg": "1"}, "not True or False"),
])
def test_bad_values_are_refused(change: dict[str, Any], says: str) -> None:
    with pytest.raises(SourceInvalid, match=says):
        to_record(CFG, {**RECORD, **change})


def test_infinite_and_non_numeric_money() -> None:
    cfg = dataclasses.replace(CFG, money_unit="yuan_str")
    with pytest.raises(SourceInvalid, match="finite"):
        to_record(cfg, {**RECORD, "fkje": "Infinity"})
    with pytest.raises(SourceInvalid, match="not an amount"):
        to_record(cfg, {**RECORD, "fkje": "twelve"})


def test_optional_fields_left_out_of_the_mapping_read_as_not_said() -> None:
    """A department that does not hold 重大违法 etc. leaves them unmapped: null, never "no"."""
    rec = to_record(CFG, RECORD)
    assert rec.values["major_violation"] is None and rec.values["rectified_on"] is None


def test_violation_details_are_converted() -> None:
    fields = {**FIELDS, "violation_type": "wflx", "penalty_kind": "cfzl",
              "major_violation": "sfzdwf", "fine_paid": "fkyjn", "rectified_on": "zgwcrq"}
    cfg = dataclasses.replace(CFG, fields=fields, bool_style="digit")
    raw = {**RECORD, "sfzg": "1", "wflx": "偷税", "cfzl": "罚款", "sfzdwf": "1", "fkyjn": "0",
           "zgwcrq": "2024-06-30"}
    values = to_record(cfg, raw).values
    assert values["major_violation"] is True and values["fine_paid"] is False
    assert values["rectified_on"] == dt.date(2024, 6, 30) and values["violation_type"] == "偷税"
    with pytest.raises(SourceInvalid, match="major_violation"):
        to_record(cfg, {**raw, "sfzdwf": "yes"})


def test_arrears_lines_are_converted() -> None:
    fields = {"item": "SZ", "period_from": "SSQQ", "period_to": "SSQZ", "months": "YS",
              "arrears_amount": "QFJE", "late_fee": "ZNJ", "liability_ref": "REF",
              "assessed_on": "HDRQ"}
    cfg = dataclasses.replace(CFG, record="arrears", fields=fields, money_unit="yuan_str",
                              date_format="compact")
    raw = {"SZ": "增值税", "SSQQ": "202601", "SSQZ": "202606", "YS": "6", "QFJE": "1,200.50",
           "ZNJ": "30.01", "REF": "新税通〔2026〕12号", "HDRQ": "20260720"}
    values = to_record(cfg, raw).values
    assert values["period_from"] == "2026-01" and values["period_to"] == "2026-06"
    assert values["months"] == 6 and values["arrears_amount"] == 120050
    assert values["late_fee"] == 3001 and values["assessed_on"] == dt.date(2026, 7, 20)
    with pytest.raises(SourceInvalid, match="period_to"):
        to_record(cfg, {**raw, "SSQZ": "202613"})
