"""The objection desk connector's pure halves: what is filed and how answers are read."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from connectors.errors import SourceInvalid
from connectors.objections import DeskObjection, filing, parse_filed, parse_status

DEADLINE = dt.datetime(2026, 12, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def test_a_filing_carries_the_reference_the_record_and_the_deadline() -> None:
    body = filing(DeskObjection("obj_1", "410702196708144574", "household", "address", None,
                                None, "地址有误", ("证明1",), DEADLINE))
    assert body == {"hubRef": "obj_1", "subject": "410702196708144574",
                    "dataItem": "household", "field": "address", "reportNo": None,
                    "recordRef": None, "reason": "地址有误", "evidence": ["证明1"],
                    "deadline": "2026-12-01T00:00:00+08:00"}


@pytest.mark.parametrize("word, decision", [("处理中", "PENDING"), ("已更正", "CORRECTED"),
                                            ("不予更正", "REJECTED")])
def test_the_desks_words_are_read(word: str, decision: str) -> None:
    data = {"slbh": "S-1", "zt": word, "sm": "说明", "clsj": "2026-11-30T10:00:00+08:00"}
    answer = parse_status({"code": 0, "data": data})
    assert answer.decision == decision
    if decision != "PENDING":
        assert answer.decided_at == dt.datetime(2026, 11, 30, 2, tzinfo=dt.UTC)


@pytest.mark.parametrize("body, words", [
    ({"code": 1, "msg": "x"}, "not the agreed shape"),
    ({"code": 0, "data": {"zt": "好的"}}, "unknown status"),
    ({"code": 0, "data": {"zt": "已更正", "clsj": "2026-11-30 10:00"}}, "with an offset"),
    ({"code": 0, "data": {"zt": "已更正"}}, "with an offset"),
])
def test_status_answers_of_another_shape_are_invalid(body: Any, words: str) -> None:
    with pytest.raises(SourceInvalid, match=words):
        parse_status(body)


@pytest.mark.parametrize("body", [{"code": 0, "data": {}}, {"code": 0, "data": {"slbh": ""}},
                                  {"code": 0, "data": {"slbh": "x" * 65}}, "text"])
def test_a_filing_without_the_desks_number_is_invalid(body: Any) -> None:
    with pytest.raises(SourceInvalid):
        parse_filed(body)
