"""Audit entry bodies: the call record's optional call id, and bodies without it unchanged."""

from __future__ import annotations

import datetime as dt

from audit.entry import AuditRecord, CallRecord, encode


def test_a_call_without_an_id_is_written_as_before() -> None:
    assert CallRecord("sw_penalties", "OK", 12.345, 3).as_json() == {
        "source": "sw_penalties", "status": "OK", "latencyMs": 12.3, "keys": 3}


def test_a_shared_call_carries_its_id() -> None:
    assert CallRecord("sw_penalties", "OK", 12.345, 1, "5f2a9c01d3e4-17").as_json() == {
        "source": "sw_penalties", "status": "OK", "latencyMs": 12.3, "keys": 1,
        "callId": "5f2a9c01d3e4-17"}


def test_an_entry_body_without_call_ids_keeps_its_bytes() -> None:
    """The canonical body of an entry whose calls have no id is byte for byte the old one."""
    record = AuditRecord(time=dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC), request_id="r1",
                         outcome="ALLOWED", caller="xzsp", purpose="IPO_COMPLIANCE",
                         subjects=["91410700147483887Y"],
                         sources=[CallRecord("cgj_penalties", "OK", 1.04, 1)])
    assert encode(record.body(7, "0" * 64)) == (
        b'{"caller":"xzsp","case":null,"consentIds":[],"denied":[],"legalBasis":null,'
        b'"operator":null,"outcome":"ALLOWED","prevHash":"' + b"0" * 64 + b'",'
        b'"purpose":"IPO_COMPLIANCE","queryHash":null,"released":[],"requestId":"r1",'
        b'"seq":7,"sources":[{"keys":1,"latencyMs":1.0,"source":"cgj_penalties",'
        b'"status":"OK"}],"subjectCategories":{},"subjects":["91410700147483887Y"],'
        b'"time":"2026-11-01T08:00:00.000000Z"}')
