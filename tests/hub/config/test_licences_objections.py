"""`[licences]` and `[objections]`: every bad value refused with the key named."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.config.errors import ConfigError
from hub.config.licences import parse_licences
from hub.config.objections import parse_objections

RAW = Ed25519PrivateKey.from_private_bytes(bytes(32)).public_key().public_bytes(
    serialization.Encoding.Raw, serialization.PublicFormat.Raw)
KEY = {"kid": hashlib.sha256(RAW).hexdigest()[:16], "x": base64.b64encode(RAW).decode()}
GOOD = {"url": "http://127.0.0.1:9141/dzzz/api/v1/licences/query", "credential": "env:K",
        "issuers": {"scjg": {"name": "新乡市市场监督管理局", "keys": [KEY]}}}


def test_a_good_table_reads() -> None:
    library, issuers = parse_licences(GOOD, Path("."))
    assert library is not None and library.max_batch == 50
    assert list(issuers["scjg"].keys) == [KEY["kid"]]
    assert parse_licences(None, Path(".")) == (None, {})


@pytest.mark.parametrize("change, words", [
    ({"colour": 1}, "licences.colour: unknown key"),
    ({"url": "ftp://x"}, "licences.url: 'ftp://x' is not an http(s) URL"),
    ({"url": None}, "licences.url: required"),
    ({"max_batch": 0}, "licences.max_batch"),
    ({"issuers": None}, "licences.issuers: list the issuers"),
    ({"issuers": {"scjg": {"name": "x"}}}, "licences.issuers.scjg: give keys or keys_file"),
    ({"issuers": {"scjg": {"name": "x", "keys": [{**KEY, "kid": "0" * 16}]}}},
     "licences.issuers.scjg.keys: keys[0].kid"),
    ({"issuers": {"scjg": {"keys": [KEY]}}}, "licences.issuers.scjg.name: required"),
    ({"issuers": {"scjg": {"name": "x", "keys_file": "missing.json"}}},
     "licences.issuers.scjg.keys_file: no such file"),
])
def test_bad_licence_tables_name_the_key(change: dict[str, Any], words: str) -> None:
    table = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    with pytest.raises(ConfigError) as caught:
        parse_licences(table, Path("."))
    assert words in str(caught.value)


def test_a_keys_file_must_be_that_issuers_document(tmp_path: Path) -> None:
    (tmp_path / "jtj.json").write_text(json.dumps({"issuer": "jtj", "keys": [KEY]}))
    table = {**GOOD, "issuers": {"scjg": {"name": "x", "keys_file": "jtj.json"}}}
    with pytest.raises(ConfigError, match="not the key document of issuer 'scjg'"):
        parse_licences(table, tmp_path)
    (tmp_path / "scjg.json").write_text(json.dumps({"issuer": "scjg", "keys": [KEY]}))
    table = {**GOOD, "issuers": {"scjg": {"name": "x", "keys_file": "scjg.json"}}}
    assert list(parse_licences(table, tmp_path)[1]) == ["scjg"]


DESK = {"name": "市税务局", "url": "http://127.0.0.1:9150/sw/sjyy", "credential": "env:D"}


def test_objections_default_to_five_working_days_and_read_their_desks() -> None:
    assert parse_objections(None, Path(".")).deadline_working_days == 5
    settings = parse_objections({"deadline_working_days": 3, "departments": {"sw": DESK}},
                                Path("."))
    assert settings.deadline_working_days == 3 and settings.desks["市税务局"].code == "sw"


@pytest.mark.parametrize("table, words", [
    ({"deadline": 5}, "objections.deadline: unknown key"),
    ({"deadline_working_days": 0}, "objections.deadline_working_days"),
    ({"holidays": "missing.toml"}, "objections.holidays: .*no such holiday file"),
    ({"departments": {"sw": {**DESK, "url": "sw"}}}, "objections.departments.sw.url"),
    ({"departments": {"sw": {"name": "市税务局"}}}, "objections.departments.sw.url: required"),
    ({"departments": {"sw": DESK, "sw2": DESK}}, "objections.departments.sw2.name: 市税务局 has"),
    ({"departments": {"sw": {**DESK, "key": "x"}}}, "objections.departments.sw.key: unknown"),
])
def test_bad_objection_tables_name_the_key(table: dict[str, Any], words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        parse_objections(table, Path("."))


def test_a_bad_holiday_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "h.toml").write_text('[2027.holidays]\n"春节" = "2027-02-30"\n',
                                     encoding="utf-8")
    with pytest.raises(ConfigError, match=r"objections\.holidays: .*h\.toml: 2027\.holidays\.春节: "
                                          r"'2027-02-30' is not a date"):
        parse_objections({"holidays": "h.toml"}, tmp_path)
