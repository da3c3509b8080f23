"""The licence library (电子证照库) as a sandbox service: query signed licences, publish keys.

Run by the city's administrative approval and e-government bureau; the issuing departments
(市场监管局, 交通运输局, 不动产登记中心, 残联) file their signed licences in it. Its own API:

    POST /dzzz/api/v1/licences/query     (app key in X-Dzzz-AppKey)
      {"queries": [{"qid": "1", "zzlxdm": "spjyxkz", "zzbh": "JY…", "czztdm": "9141…"},
                   {"qid": "2", "czztdm": "4107…"}]}            at most 50 per call
      → {"code": 0, "msg": "成功", "data": {"results": [{"qid": "1", "licences": [envelope…]}, …]}}
    GET /dzzz/issuers/{code}/.well-known/licence-keys     an issuer's public key document

A query with a type and number finds that licence (`LicenceHoldings.by_number`); a query with a
type and a holder lists the holder's licences of that type, with a holder only all of them. An
envelope is `{"document", "signature", "kid"}` as the issuer signed it. Under the
`wrong-subject` fault the library answers about another holder; under `partial`, only the
first half of the queries of a call.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import orjson
from aiohttp import web

from licence.issuers import issuer_document
from sandbox.data import World
from sandbox.licence_data import ISSUERS, UNTRUSTED_ISSUER, LicenceHoldings
from sandbox.service import Listener
from signing.keys import key_id

__all__ = ["APP_KEY_HEADER", "NAME", "QUERY_PATH", "LicenceAuthority"]

NAME = "dzzz_licences"
QUERY_PATH = "/dzzz/api/v1/licences/query"
APP_KEY_HEADER = "X-Dzzz-AppKey"
_MAX_QUERIES = 50


class LicenceAuthority:
    department = "市行政审批和政务信息管理局（电子证照库）"

    def __init__(self, world: World, *, host: str, port: int) -> None:
        self.world = world
        self.holdings = LicenceHoldings(world)
        self.secret = hashlib.blake2b(f"{world.seed}/{NAME}".encode(), digest_size=16).hexdigest()
        self.keys = 0
        self.listener = Listener(NAME, [
            web.post(QUERY_PATH, self._query),
            web.get("/dzzz/issuers/{code}/.well-known/licence-keys", self._keys),
        ], host=host, port=port, latency_ms=90)

    def reset(self) -> None:
        self.keys = 0
        self.listener.reset()

    @property
    def url(self) -> str:
        return self.listener.base_url + QUERY_PATH

    def keys_url(self, code: str) -> str:
        return f"{self.listener.base_url}/dzzz/issuers/{code}/.well-known/licence-keys"

    def issuer_documents(self) -> dict[str, dict[str, Any]]:
        """Every issuer's published key document (the out-of-province one too)."""
        out = {}
        for issuer in (*ISSUERS.values(), UNTRUSTED_ISSUER):
            public = self.holdings.keys[issuer.code].public_key()
            out[issuer.code] = issuer_document(issuer.code, issuer.name,
                                               {key_id(public): public})
        return out

    async def _keys(self, request: web.Request) -> web.Response:
        doc = self.issuer_documents().get(request.match_info["code"])
        if doc is None:
            return _json({"code": 404, "msg": "无此发证机关: no such issuer"}, status=404)
        return _json(doc)

    async def _query(self, request: web.Request) -> web.Response:
        if not hmac.compare_digest(request.headers.get(APP_KEY_HEADER, "").encode(),
                                   self.secret.encode()):
            return _json({"code": 401, "msg": f"缺少或错误的应用密钥 ({APP_KEY_HEADER})"},
                         status=401)
        try:
            payload = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            return _json({"code": 400, "msg": "请求体不是合法的 JSON: body is not JSON"}, status=400)
        queries = payload.get("queries") if isinstance(payload, dict) else None
        if (not isinstance(queries, list) or not queries or len(queries) > _MAX_QUERIES
                or not all(isinstance(q, dict) and isinstance(q.get("qid"), str)
                           and isinstance(q.get("czztdm"), str) for q in queries)):
            return _json({"code": 400, "msg": f"queries 应为 1 至 {_MAX_QUERIES} 个查询，每个含 qid 与 "
                          "czztdm: queries must be 1-50 objects with qid and czztdm"}, status=400)
        self.keys += len(queries)
        if self.listener.fault.mode == "partial":  # answers the first half of what it is asked
            queries = queries[:len(queries) // 2]
        wrong = self.listener.fault.mode == "wrong-subject"
        results = [{"qid": q["qid"], "licences": self._answer(q, wrong)} for q in queries]
        return _json({"code": 0, "msg": "成功", "data": {"results": results}})

    def _answer(self, query: dict[str, Any], wrong: bool) -> list[dict[str, Any]]:
        holder = query["czztdm"]
        if wrong:
            holder = self._other(holder)
        code, number = query.get("zzlxdm"), query.get("zzbh")
        if isinstance(code, str) and isinstance(number, str):
            if wrong:  # the same kind of licence, of somebody else
                found = [h for h in self.holdings.of_holder(holder)
                         if h.document["licenceType"] == code][:1]
            else:
                found = self.holdings.by_number(code, number, holder)
        else:
            found = [h for h in self.holdings.of_holder(holder)
                     if code in (None, h.document["licenceType"])]
        return [h.envelope for h in found]

    def _other(self, holder: str) -> str:
        w = self.world
        if holder in w.uscc_index:
            return w.usccs[(w.uscc_index[holder] + 1) % len(w.usccs)]
        index = w.person_index.get(holder, 0)
        return w.person_ids[(index + 1) % len(w.person_ids)]


def _json(payload: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(payload), status=status,
                        content_type="application/json")
