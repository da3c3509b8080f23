"""The licence library connector's pure halves: the queries it sends, the answers it accepts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from connectors.errors import SourceInvalid
from connectors.licences import build_queries, holder_key, number_key, parse_results

KEYS = [number_key("spjyxkz", "JY14107020012345", "91410700MA44TEST0X"),
        holder_key("bdcqz", "410702196708144574")]


def test_keys_become_the_librarys_queries() -> None:
    assert build_queries(KEYS) == {"queries": [
        {"qid": "0", "zzlxdm": "spjyxkz", "zzbh": "JY14107020012345",
         "czztdm": "91410700MA44TEST0X"},
        {"qid": "1", "zzlxdm": "bdcqz", "czztdm": "410702196708144574"}]}


def test_each_key_gets_its_envelopes_as_records_untouched() -> None:
    envelope = {"document": {"licenceNo": "JY14107020012345"}, "signature": "s", "kid": "k"}
    out = parse_results({"code": 0, "data": {"results": [
        {"qid": "1", "licences": []}, {"qid": "0", "licences": [envelope]}]}}, KEYS)
    assert out[KEYS[1]] == ()
    (record,) = out[KEYS[0]]
    assert record.type == "licence" and json.loads(str(record.get("envelope"))) == envelope


@pytest.mark.parametrize("body, words", [
    ({"code": 500, "msg": "忙"}, "refused the query"), ([], "refused the query"),
    ({"code": 0, "data": {}}, "no results list"),
    ({"code": 0, "data": {"results": [{"licences": []}]}}, "no qid"),
    ({"code": 0, "data": {"results": [{"qid": "7", "licences": []}]}}, "was not asked"),
    ({"code": 0, "data": {"results": [{"qid": "0", "licences": ["x"]}]}}, "not a list of"),
])
def test_answers_of_another_shape_are_invalid(body: Any, words: str) -> None:
    with pytest.raises(SourceInvalid, match=words):
        parse_results(body, KEYS)
