"""The departments' data-objection desks (数据异议处理) as a sandbox service.

Every department that supplies data has a desk where the hub files an applicant's objection to a
record it holds. Each desk has its own path and app key; what it answers is set per department
through the control API, and fixed for an objection when the desk receives it:

    POST /{dept}/sjyy/tj        file an objection (idempotent on the hub's reference `hubRef`)
      → {"code": 0, "data": {"slbh": "<desk's number>", "zt": "已受理"}}
    GET  /{dept}/sjyy/cx?slbh=… where it stands: 处理中 (in hand), 已更正 (corrected) or
                                不予更正 (rejected), with a note and the time it was decided

    control (on the sandbox's control port):
    POST /_sandbox/objections   {"department": CODE or "*", "answer": "CORRECTED" | "REJECTED" |
                                 "never", "delay_ms": N}: how a desk answers what it receives next
    GET  /_sandbox/objections   the objections each desk received, and the desks' settings

A desk told `never` keeps every objection 处理中 for ever: the hub must find it OVERDUE. When a
desk corrects an objection to an enterprise's penalty (its `recordRef` is the decision number),
the department's record is corrected too: the penalty reads rectified from then on. Other
corrections are only said (the sandbox does not know the right value).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson
from aiohttp import web

from sandbox.data import World
from sandbox.service import Listener
from sandbox.synth import CHINA

__all__ = ["ANSWERS", "DEPARTMENT_CODES", "NAME", "Desk", "ObjectionDesks", "department_code"]

NAME = "objection_desks"
Answer = Literal["CORRECTED", "REJECTED", "never"]
ANSWERS: tuple[Answer, ...] = ("CORRECTED", "REJECTED", "never")
DEPARTMENT_CODES = {
    "市城管局": "cgj", "市资源规划局": "zrzy", "市人社局": "rsj", "市生态环境局": "sthj",
    "市市场监管局": "scjg", "市卫健委": "wjw", "市文旅局": "wlj", "市应急局": "yjj",
    "市住建局": "zjj", "不动产登记和交易中心": "bdc", "市住房公积金管理中心": "gjj",
    "市科技局": "kjj", "市交通运输局": "jtj", "市税务局": "sw", "市水利局": "slj",
    "市消防救援支队": "xf", "市通管办": "tgb", "市公安局": "ga", "市医保局": "ybj",
    "新乡海关": "hg", "市民政局": "mzj", "市教育局": "jyj", "市残联": "cl",
    "中国人民银行新乡市分行": "rmyh",
}
_WORDS = {"CORRECTED": "已更正", "REJECTED": "不予更正"}
_NOTES = {"CORRECTED": "经核实，原数据有误，已予更正。", "REJECTED": "经核实，原数据准确，不予更正。"}


def department_code(name: str) -> str:
    """The desk code of a department (a stable code derived from its name if not listed)."""
    return DEPARTMENT_CODES.get(name) or "d" + hashlib.blake2b(
        name.encode(), digest_size=3).hexdigest()


@dataclass(slots=True)
class _Filed:
    number: str
    hub_ref: str
    payload: dict[str, Any]
    answer: Answer
    due: float  # monotonic time at which the answer is given
    decided_at: str | None = None


@dataclass(slots=True)
class Desk:
    code: str
    name: str
    secret: str
    answer: Answer = "CORRECTED"
    delay_ms: int = 5000
    filed: dict[str, _Filed] = field(default_factory=dict)  # desk number -> objection


class ObjectionDesks:
    def __init__(self, world: World, departments: Iterable[str], *, host: str, port: int
                 ) -> None:
        self.world = world
        seed = world.seed
        self.corrected: list[dict[str, Any]] = []  # records corrected, undone by reset
        self.desks: dict[str, Desk] = {}
        for name in dict.fromkeys(departments):
            code = department_code(name)
            secret = hashlib.blake2b(f"{seed}/desk/{code}".encode(), digest_size=16).hexdigest()
            self.desks[code] = Desk(code, name, secret)
        self.listener = Listener(NAME, [
            web.post("/{dept}/sjyy/tj", self._file),
            web.get("/{dept}/sjyy/cx", self._status),
        ], host=host, port=port, latency_ms=60)

    def url(self, code: str) -> str:
        return f"{self.listener.base_url}/{code}/sjyy"

    # -- control -----------------------------------------------------------------------------

    def configure(self, payload: Any) -> dict[str, Any]:
        """Apply a control request; raise ValueError with what is accepted."""
        if not isinstance(payload, dict):
            raise ValueError('send JSON: {"department": CODE or "*", "answer": "CORRECTED" | '
                             '"REJECTED" | "never", "delay_ms": N}')
        code, answer = payload.get("department"), payload.get("answer")
        delay = payload.get("delay_ms", 0)
        if code != "*" and code not in self.desks:
            raise ValueError(f"no department desk {code!r}; known: {', '.join(self.desks)}")
        if answer not in ANSWERS:
            raise ValueError(f"answer must be one of {', '.join(ANSWERS)}")
        if isinstance(delay, bool) or not isinstance(delay, int) or not 0 <= delay <= 86_400_000:
            raise ValueError("delay_ms must be a whole number of milliseconds (0 to 86400000)")
        for desk in self.desks.values() if code == "*" else [self.desks[code]]:
            desk.answer, desk.delay_ms = answer, delay
        return {"department": code, "answer": answer, "delay_ms": delay}

    def view(self) -> dict[str, Any]:
        return {code: {"name": d.name, "answer": d.answer, "delay_ms": d.delay_ms,
                       "received": [{"slbh": f.number, **f.payload} for f in d.filed.values()]}
                for code, d in self.desks.items()}

    def reset(self) -> None:
        for record in self.corrected:
            record["rectified"], record["rectified_on"] = False, None
        self.corrected.clear()
        for desk in self.desks.values():
            desk.answer, desk.delay_ms = "CORRECTED", 5000
            desk.filed.clear()
        self.listener.reset()

    # -- the desks' API ----------------------------------------------------------------------

    def _desk(self, request: web.Request) -> Desk | web.Response:
        desk = self.desks.get(request.match_info["dept"])
        if desk is None:
            return _json({"code": 404, "msg": "无此部门: no such department"}, status=404)
        given = request.headers.get("X-App-Key", "")
        if not hmac.compare_digest(given.encode(), desk.secret.encode()):
            return _json({"code": 401, "msg": "缺少或错误的应用密钥 (X-App-Key)"}, status=401)
        return desk

    async def _file(self, request: web.Request) -> web.Response:
        desk = self._desk(request)
        if isinstance(desk, web.Response):
            return desk
        try:
            payload = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            payload = None
        needed = ("hubRef", "subject", "dataItem", "reason")
        if not isinstance(payload, dict) or not all(
                isinstance(payload.get(k), str) and payload[k] for k in needed):
            return _json({"code": 400, "msg": f"缺少必填项: {', '.join(needed)} are required"},
                         status=400)
        for filed in desk.filed.values():
            if filed.hub_ref == payload["hubRef"]:
                return _json({"code": 0, "data": {"slbh": filed.number, "zt": "已受理"}})
        number = f"SJYY-{desk.code.upper()}-{len(desk.filed) + 1:06d}"
        desk.filed[number] = _Filed(number, payload["hubRef"], payload, desk.answer,
                                    time.monotonic() + desk.delay_ms / 1000)
        return _json({"code": 0, "data": {"slbh": number, "zt": "已受理"}})

    async def _status(self, request: web.Request) -> web.Response:
        desk = self._desk(request)
        if isinstance(desk, web.Response):
            return desk
        filed = desk.filed.get(request.query.get("slbh", ""))
        if filed is None:
            return _json({"code": 404, "msg": "无此受理编号: no such objection"}, status=404)
        if filed.answer == "never" or time.monotonic() < filed.due:
            return _json({"code": 0, "data": {"slbh": filed.number, "zt": "处理中", "sm": None,
                                              "clsj": None}})
        if filed.decided_at is None:
            filed.decided_at = dt.datetime.now(CHINA).isoformat(timespec="seconds")
            if filed.answer == "CORRECTED":
                self._correct(filed.payload)
        return _json({"code": 0, "data": {"slbh": filed.number, "zt": _WORDS[filed.answer],
                                          "sm": _NOTES[filed.answer],
                                          "clsj": filed.decided_at}})


    def _correct(self, payload: dict[str, Any]) -> None:
        """A corrected penalty reads rectified at every department that serves it."""
        ent = self.world.enterprise(payload["subject"])
        ref = payload.get("recordRef")
        if ent is None or not isinstance(ref, str):
            return
        for records in ent.violations.values():
            for record in records:
                if record["decision_no"] == ref and not record["rectified"]:
                    record["rectified"] = True
                    record["rectified_on"] = dt.datetime.now(CHINA).date()
                    self.corrected.append(record)


def _json(payload: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(payload), status=status,
                        content_type="application/json")
