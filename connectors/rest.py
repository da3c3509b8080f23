"""REST connectors over aiohttp: batch style and one-key-per-call style.

One `ClientSession` is shared by every source (created in the app's lifespan and passed in);
each source has its own concurrency cap, and every fetch runs under one deadline, the source's
timeout, which covers queueing for the cap as well as the calls. Redirects are never followed.
Request building and answer parsing are pure (`build_request`, `parse.parse_body`). A failure's
`detail` is read by clerks: it is in Chinese and names the department, never an exception
class or a configuration key (those go to the hub's log for its operators).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp
import orjson
from yarl import URL

from connectors.auth import signed_headers
from connectors.base import Answer, Call, FetchResult, check_age, chunked
from connectors.config import SourceConfig
from connectors.errors import SourceFailure, SourceInvalid, SourceUnavailable
from connectors.parse import parse_body, to_record

__all__ = [
    "FETCH_BUDGET_CAP_S",
    "MAX_BODY_BYTES",
    "RestConnector",
    "build_request",
    "fetch_budget_s",
]

MAX_BODY_BYTES = 16 * 1024 * 1024
log = logging.getLogger("hub.connectors")


def build_request(cfg: SourceConfig, secret: str, keys: Sequence[str], now_ms: int
                  ) -> tuple[str, str, dict[str, str], bytes]:
    """Method, URL, headers and body of one department call for `keys`."""
    params: dict[str, str] = {}
    headers = {"Accept": "application/json"}
    body = b""
    if cfg.envelope == "list":
        method = "POST"
        body = orjson.dumps({cfg.key_param: list(keys)})
        headers["Content-Type"] = "application/json"
    elif cfg.envelope == "hits":
        method = "POST"
        body = urlencode({cfg.key_param: ",".join(keys)}).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    else:
        method = "GET"
        params[cfg.key_param] = ",".join(keys)
    if cfg.auth == "app-key-query":
        params["appkey"] = secret
    elif cfg.auth == "app-key-header":
        headers[cfg.auth_header] = secret
    url = cfg.url + ("?" + urlencode(params) if params else "")
    if cfg.auth == "hmac-sha256":
        parts = urlsplit(url)
        path_qs = parts.path + ("?" + parts.query if parts.query else "")
        headers.update(signed_headers(cfg.app_id, secret, method, path_qs, body, now_ms))
    return method, url, headers, body


FETCH_BUDGET_CAP_S = 30.0


def fetch_budget_s(cfg: SourceConfig, calls: int, cap_s: float = FETCH_BUDGET_CAP_S) -> float:
    """How long one fetch of `calls` department calls may take, queueing included.

    Each call has the source's timeout; calls beyond the source's concurrency wait their turn,
    so a one-key-per-call source asked about many subjects gets a timeout per round of calls,
    up to a bound (a list larger than that is a job's work, not a query's)."""
    rounds = math.ceil(calls / cfg.concurrency)
    return min(cfg.timeout_s * rounds, max(cfg.timeout_s, cap_s))


class RestConnector:
    """A department REST API, batch (many keys per call) or single-key (one per call)."""

    def __init__(self, config: SourceConfig, session: aiohttp.ClientSession, secret: str,
                 clock: Callable[[], float] = time.time,
                 budget_cap_s: float = FETCH_BUDGET_CAP_S) -> None:
        self.config = config
        self._session = session
        self._secret = secret
        self._clock = clock
        self._budget_cap_s = budget_cap_s
        self._cap = asyncio.Semaphore(config.concurrency)
        self._size = 1 if config.transport == "rest-single" else config.max_batch

    async def fetch(self, keys: Sequence[str]) -> FetchResult:
        result = FetchResult()
        chunks = chunked(keys, self._size)
        if not chunks:
            return result
        budget = fetch_budget_s(self.config, len(chunks), self._budget_cap_s)
        deadline = asyncio.get_running_loop().time() + budget
        for answers, call in await asyncio.gather(*(self._call(c, deadline) for c in chunks)):
            result.answers.update(answers)
            if call is not None:
                result.calls.append(call)
        return result

    async def aclose(self) -> None:
        """Nothing of its own to release: the HTTP session is shared and closed by the hub."""

    async def _call(self, keys: list[str], deadline: float
                    ) -> tuple[dict[str, Answer], Call | None]:
        cfg = self.config
        started = time.perf_counter()
        sent = False
        try:
            async with asyncio.timeout_at(deadline):
                async with self._cap, asyncio.timeout(cfg.timeout_s):
                    method, url, headers, body = build_request(
                        cfg, self._secret, keys, int(self._clock() * 1000))
                    sent = True
                    started = time.perf_counter()
                    raw = await self._exchange(method, url, headers, body)
            parsed, as_of = parse_body(cfg, raw, keys)
            latency = (time.perf_counter() - started) * 1000
            answers = {}
            now = dt.datetime.fromtimestamp(self._clock(), dt.UTC)
            for key, records in parsed.items():
                if records is None:
                    answer = Answer("NOT_FOUND", as_of=as_of, latency_ms=latency)
                else:
                    answer = Answer("OK", tuple(to_record(cfg, r) for r in records),
                                    as_of=as_of, latency_ms=latency)
                answers[key] = check_age(answer, cfg.max_age_s, now)
            return answers, Call(cfg.name, "OK", latency, len(keys))
        except TimeoutError:
            failure: SourceFailure = SourceUnavailable(
                f"{cfg.department}未在 {cfg.timeout_s:g} 秒内答复" if sent else
                f"{cfg.department}的调用排队超过本次查询的总时限；大批量核查请提交核查任务"
                "（submitCheckJob）")
        except aiohttp.ClientConnectionError as exc:
            log.warning("source %s: connection failed: %r", cfg.name, exc)
            failure = SourceUnavailable(f"无法连接{cfg.department}（连接被拒绝或中断）")
        except aiohttp.ClientError as exc:
            log.warning("source %s: call failed: %r", cfg.name, exc)
            failure = SourceUnavailable(f"调用{cfg.department}失败（答复不完整或不合 HTTP 规范）")
        except SourceFailure as exc:
            failure = exc
        latency = (time.perf_counter() - started) * 1000
        answer = Answer(failure.status, detail=str(failure), latency_ms=latency)
        call = Call(cfg.name, failure.status, latency, len(keys)) if sent else None
        return dict.fromkeys(keys, answer), call

    async def _exchange(self, method: str, url: str, headers: dict[str, str], body: bytes
                        ) -> bytes:
        cfg = self.config
        kwargs: dict[str, Any] = {"headers": headers, "allow_redirects": False}
        if body:
            kwargs["data"] = body
        # encoded=True: send the URL exactly as built (and signed), with no re-quoting.
        async with self._session.request(method, URL(url, encoded=True), **kwargs) as resp:
            if 300 <= resp.status < 400:
                raise SourceInvalid(f"{cfg.department}答复了重定向（HTTP {resp.status}），"
                                    "中枢不跟随重定向")
            if resp.status in (401, 403):
                log.warning("source %s refused the hub's credential (HTTP %d); check "
                            "sources.%s.credential", cfg.name, resp.status, cfg.name)
                raise SourceUnavailable(f"{cfg.department}拒绝了中枢的访问凭据"
                                        f"（HTTP {resp.status}），请联系中枢运维人员")
            if resp.status >= 400:
                raise SourceUnavailable(f"{cfg.department}答复出错（HTTP {resp.status}）")
            if resp.content_type != "application/json":
                raise SourceInvalid(f"{cfg.department}答复的内容不是 JSON"
                                    f"（{resp.content_type or '未标明类型'}）")
            raw = bytearray()
            async for chunk in resp.content.iter_chunked(256 * 1024):
                raw += chunk
                if len(raw) > MAX_BODY_BYTES:
                    raise SourceInvalid(f"{cfg.department}的答复超过 "
                                        f"{MAX_BODY_BYTES // 2**20} MiB")
            return bytes(raw)
