"""The departments' objection desks (数据异议受理): filing an objection and asking where it stands.

One `Desk` per department, declared in `[objections.departments.CODE]`. `file` sends the
objection with the hub's reference (the desk files it once per reference) and returns the desk's
own number; `ask` returns where it stands — `PENDING`, `CORRECTED` or `REJECTED` with the desk's
note and decision time. Both raise `SourceFailure` (unavailable, or an answer not in the agreed
shape) and report the call they made, for the audit trail. Request building and answer parsing
are pure (`filing`, `parse_filed`, `parse_status`).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import aiohttp

from connectors.base import Call
from connectors.errors import SourceFailure, SourceInvalid
from connectors.jsonapi import call_json

__all__ = ["DeskAnswer", "DeskConfig", "DeskDecision", "DeskObjection", "ObjectionDesk",
           "filing", "parse_filed", "parse_status"]

DeskDecision = Literal["PENDING", "CORRECTED", "REJECTED"]
_WORDS: Mapping[str, DeskDecision] = {"处理中": "PENDING", "已受理": "PENDING",
                                      "已更正": "CORRECTED", "不予更正": "REJECTED"}


@dataclass(frozen=True, slots=True)
class DeskConfig:
    code: str
    department: str  # the department's name, as its sources declare it
    url: str
    credential: str  # a reference: env:NAME, file:PATH or value:SECRET
    auth_header: str = "X-App-Key"
    timeout_s: float = 2.0


@dataclass(frozen=True, slots=True)
class DeskObjection:
    """What the desk is told: the subject in clear (the department holds the record anyway)."""

    hub_ref: str
    subject: str
    item: str
    field: str | None
    report_no: str | None
    record_ref: str | None
    reason: str
    evidence: tuple[str, ...]
    deadline: dt.datetime


@dataclass(frozen=True, slots=True)
class DeskAnswer:
    decision: DeskDecision
    note: str | None = None
    decided_at: dt.datetime | None = None


def filing(o: DeskObjection) -> dict[str, Any]:
    return {"hubRef": o.hub_ref, "subject": o.subject, "dataItem": o.item, "field": o.field,
            "reportNo": o.report_no, "recordRef": o.record_ref, "reason": o.reason,
            "evidence": list(o.evidence), "deadline": o.deadline.isoformat()}


def _data(body: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(body, Mapping) or body.get("code") != 0 or not isinstance(
            body.get("data"), Mapping):
        message = body.get("msg") if isinstance(body, Mapping) else None
        raise SourceInvalid(f"the desk's answer to {what} is not the agreed shape"
                            + (f" ({message})" if message else ""))
    data: Mapping[str, Any] = body["data"]
    return data


def parse_filed(body: Any) -> str:
    """The desk's own number for a filed objection."""
    number = _data(body, "a filing").get("slbh")
    if not isinstance(number, str) or not number or len(number) > 64:
        raise SourceInvalid("the desk did not give its number (slbh) for the objection")
    return number


def parse_status(body: Any) -> DeskAnswer:
    data = _data(body, "a status query")
    word = data.get("zt")
    decision = _WORDS.get(word) if isinstance(word, str) else None
    if decision is None:
        raise SourceInvalid(f"the desk answered an unknown status {word!r}")
    note = data.get("sm")
    when = data.get("clsj")
    decided: dt.datetime | None = None
    if decision != "PENDING":
        try:
            decided = dt.datetime.fromisoformat(when) if isinstance(when, str) else None
        except ValueError:
            decided = None
        if decided is None or decided.tzinfo is None:
            raise SourceInvalid("the desk's decision has no time with an offset (clsj)")
    return DeskAnswer(decision, note if isinstance(note, str) else None, decided)


class ObjectionDesk:
    """One department's desk; the session is shared and closed by its owner."""

    def __init__(self, config: DeskConfig, secret: str, session: aiohttp.ClientSession) -> None:
        self.config = config
        self._secret = secret
        self._session = session

    @property
    def source(self) -> str:
        return f"desk:{self.config.code}"

    async def file(self, objection: DeskObjection) -> tuple[str | SourceFailure, Call]:
        """The desk's number, or the failure; and the call, for the audit trail."""
        started = time.perf_counter()
        try:
            body = await self._call("POST", "/tj", payload=filing(objection))
            result: str | SourceFailure = parse_filed(body)
        except SourceFailure as exc:
            result = exc
        return result, self._record(result, started)

    async def ask(self, number: str) -> tuple[DeskAnswer | SourceFailure, Call]:
        started = time.perf_counter()
        try:
            body = await self._call("GET", "/cx", params={"slbh": number})
            result: DeskAnswer | SourceFailure = parse_status(body)
        except SourceFailure as exc:
            result = exc
        return result, self._record(result, started)

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        cfg = self.config
        return await call_json(self._session, method, cfg.url.rstrip("/") + path,
                               department=cfg.department, timeout_s=cfg.timeout_s,
                               headers={cfg.auth_header: self._secret}, **kwargs)

    def _record(self, result: object, started: float) -> Call:
        status = result.status if isinstance(result, SourceFailure) else "OK"
        return Call(self.source, status, (time.perf_counter() - started) * 1000, 1)
