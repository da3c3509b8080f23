"""The licence library (电子证照库) connector: signed licences by number or by holder.

Keys are built by `number_key` (a type, a number and the holder the caller expects) and
`holder_key` (every licence of one type a holder holds); one call carries up to `max_batch` of
them as the library's queries. The answer for a key is OK with one `licence` record per envelope the library
returned (none: the library holds no such licence), each record holding the envelope as JSON
text: the connector does not look inside — verifying a licence is the hub's (`licence.verify`),
never the library's word.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

from connectors.base import Answer, Call, Each, FetchResult, chunked
from connectors.config import SourceConfig
from connectors.errors import SourceFailure, SourceInvalid
from connectors.jsonapi import call_json, new_session
from connectors.records import Record

__all__ = ["LIBRARY_DEPARTMENT", "LIBRARY_SOURCE", "LibraryConfig", "LicenceConnector", "build_queries", "holder_key",
           "number_key", "parse_results"]

LIBRARY_SOURCE = "dzzz_licences"
LIBRARY_DEPARTMENT = "市行政审批和政务信息管理局（电子证照库）"
_SEP = "\x1f"


@dataclass(frozen=True, slots=True)
class LibraryConfig:
    """The `[licences]` table: where the library is and how the hub proves who it is."""

    url: str
    credential: str  # a reference: env:NAME, file:PATH or value:SECRET
    auth_header: str = "X-Dzzz-AppKey"
    department: str = LIBRARY_DEPARTMENT
    timeout_s: float = 2.0
    max_batch: int = 50
    concurrency: int = 8

    def source(self) -> SourceConfig:
        """The library as the gateway's source set sees it (state, circuit, calls)."""
        return SourceConfig(name=LIBRARY_SOURCE, department=self.department, subject="licence",
                            check=None, domain="licence", record="licence",
                            transport="rest-batch", envelope="licence", fields={},
                            timeout_s=self.timeout_s, max_batch=self.max_batch,
                            concurrency=self.concurrency, url=self.url,
                            auth_header=self.auth_header)


def number_key(library_code: str, number: str, holder: str) -> str:
    return _SEP.join(("n", library_code, number, holder))


def holder_key(library_code: str, holder: str) -> str:
    return _SEP.join(("h", library_code, holder))


def build_queries(keys: Sequence[str]) -> dict[str, Any]:
    """The library's request body for `keys` (qid = the key's position)."""
    queries = []
    for i, key in enumerate(keys):
        parts = key.split(_SEP)
        if parts[0] == "n":
            queries.append({"qid": str(i), "zzlxdm": parts[1], "zzbh": parts[2],
                            "czztdm": parts[3]})
        else:
            queries.append({"qid": str(i), "zzlxdm": parts[1], "czztdm": parts[2]})
    return {"queries": queries}


def parse_results(body: Any, keys: Sequence[str]) -> dict[str, tuple[Record, ...]]:
    """The envelopes per key; raise `SourceInvalid` when the answer is not the agreed shape."""
    if not isinstance(body, Mapping) or body.get("code") != 0:
        message = body.get("msg") if isinstance(body, Mapping) else None
        raise SourceInvalid(f"the licence library refused the query ({message or 'no code 0'})")
    data = body.get("data")
    results = data.get("results") if isinstance(data, Mapping) else None
    if not isinstance(results, list):
        raise SourceInvalid("the licence library's answer has no results list")
    out: dict[str, tuple[Record, ...]] = {}
    for item in results:
        if not isinstance(item, Mapping) or not isinstance(item.get("qid"), str):
            raise SourceInvalid("a licence library result has no qid")
        qid, licences = item["qid"], item.get("licences")
        if not qid.isdigit() or int(qid) >= len(keys):
            raise SourceInvalid(f"the licence library answered a query it was not asked ({qid})")
        if not isinstance(licences, list) or not all(isinstance(x, Mapping) for x in licences):
            raise SourceInvalid("a licence library result's licences are not a list of objects")
        out[keys[int(qid)]] = tuple(Record("licence", {"envelope": orjson.dumps(x).decode()})
                                    for x in licences)
    return out


class LicenceConnector:
    """Calls the licence library; never raises for what the library does."""

    def __init__(self, config: LibraryConfig, secret: str,
                 session: aiohttp.ClientSession | None = None) -> None:
        self.library = config
        self.config = config.source()
        self._secret = secret
        self._session = session or new_session()
        self._cap = asyncio.Semaphore(config.concurrency)

    async def fetch(self, keys: Sequence[str], each: Each | None = None) -> FetchResult:
        """Every key's answer (nothing early through `each`)."""
        result = FetchResult()
        for answers, call in await asyncio.gather(*(
                self._call(c) for c in chunked(keys, self.library.max_batch))):
            result.answers.update(answers)
            result.calls.append(call)
        return result

    async def aclose(self) -> None:
        await self._session.close()

    async def _call(self, keys: list[str]) -> tuple[dict[str, Answer], Call]:
        lib = self.library
        started = time.perf_counter()
        try:
            async with self._cap:
                started = time.perf_counter()
                body = await call_json(self._session, "POST", lib.url,
                                       department=lib.department, timeout_s=lib.timeout_s,
                                       headers={lib.auth_header: self._secret},
                                       payload=build_queries(keys))
            parsed = parse_results(body, keys)
        except SourceFailure as exc:
            latency = (time.perf_counter() - started) * 1000
            answer = Answer(exc.status, detail=str(exc), latency_ms=latency)
            return dict.fromkeys(keys, answer), Call(LIBRARY_SOURCE, exc.status, latency,
                                                     len(keys))
        latency = (time.perf_counter() - started) * 1000
        now = dt.datetime.now(dt.UTC)
        answers = {k: Answer("OK", parsed[k], as_of=now, latency_ms=latency) if k in parsed
                   else Answer("INVALID", detail="the licence library did not answer this query",
                               latency_ms=latency) for k in keys}
        return answers, Call(LIBRARY_SOURCE, "OK", latency, len(keys))
