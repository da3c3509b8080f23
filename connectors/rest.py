"""REST connectors: batch style and one-key-per-call style, over `connectors.http.HttpClient`.

Everything about a source that does not change per call is built once (`RequestPlan`: the
origin, the request line's fixed part, the fixed headers, the credential and its signing key;
`parse.RecordMapper`: the field conversions), so a call only joins its keys, signs, sends, and
parses straight into records. Each source has its own concurrency cap (interactive calls first,
`connectors.priority`), and every call runs under one deadline, the fetch's, which covers
queueing for the cap as well as the call — except a batch job's (background) calls, which queue
as long as their turn takes and then get the source's timeout each. Redirects are
never followed; answers are capped at `MAX_BODY_BYTES`. A failure's `detail` is read by clerks:
it is in Chinese and names the department, never an exception class or a configuration key
(those go to the hub's log for its operators).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import logging
import math
import time
from base64 import b64encode
from collections.abc import Callable, Sequence
from urllib.parse import quote_plus, urlsplit

import orjson

from connectors.auth import HMAC_KEY_HEADER, HMAC_SIGNATURE_HEADER, HMAC_TIMESTAMP_HEADER
from connectors.base import Answer, Call, CallIds, Each, FetchResult, check_age, chunked
from connectors.config import SourceConfig
from connectors.errors import (
    BodyTooLarge,
    ConnectionFailed,
    CredentialError,
    ProtocolViolation,
    SourceFailure,
    SourceInvalid,
    SourceUnavailable,
)
from connectors.http import HttpClient, Response
from connectors.parse import RecordMapper, parse_body
from connectors.priority import BACKGROUND, PriorityCap
from connectors.propagation import propagation_headers

__all__ = ["FETCH_BUDGET_CAP_S", "MAX_BODY_BYTES", "RequestPlan", "RestConnector", "fetch_budget_s"]

MAX_BODY_BYTES = 16 * 1024 * 1024
log = logging.getLogger("hub.connectors")


FETCH_BUDGET_CAP_S = 30.0


def fetch_budget_s(cfg: SourceConfig, calls: int, cap_s: float = FETCH_BUDGET_CAP_S) -> float:
    """How long one fetch of `calls` department calls may take, queueing included.

    Each call has the source's timeout; calls beyond the source's concurrency wait their turn,
    so a one-key-per-call source asked about many subjects gets a timeout per round of calls,
    up to a bound (a list larger than that is a job's work, not a query's)."""
    rounds = math.ceil(calls / cfg.concurrency)
    return min(cfg.timeout_s * rounds, max(cfg.timeout_s, cap_s))


def _header_value(value: str, what: str) -> bytes:
    if any(c in value for c in "\r\n\0") or not value.isprintable():
        raise CredentialError(f"{what} contains a line break or a control character")
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        raise CredentialError(f"{what} is not plain ASCII text") from None


class RequestPlan:
    """The fixed parts of one source's requests, and `build(keys, now_ms)` for the rest."""

    def __init__(self, cfg: SourceConfig, secret: str) -> None:
        parts = urlsplit(cfg.url)
        self.envelope = cfg.envelope
        self.method = "GET" if cfg.envelope in ("map", "single") else "POST"
        self._path = parts.path or "/"
        self._key_name = cfg.key_param
        self._key_param = quote_plus(cfg.key_param)
        fixed = [parts.query] if parts.query else []
        headers = [b"Accept: application/json\r\n"]
        if cfg.envelope == "list":
            headers.append(b"Content-Type: application/json\r\n")
        elif cfg.envelope == "hits":
            headers.append(b"Content-Type: application/x-www-form-urlencoded\r\n")
        self._hmac: hmac.HMAC | None = None
        if cfg.auth == "app-key-query":
            fixed.append("appkey=" + quote_plus(secret))
        elif cfg.auth == "app-key-header":
            name = _header_value(cfg.auth_header, f"sources.{cfg.name}.auth_header")
            headers.append(name + b": " + _header_value(secret, f"sources.{cfg.name}.credential")
                           + b"\r\n")
        else:
            app_id = _header_value(cfg.app_id, f"sources.{cfg.name}.app_id")
            headers.append(HMAC_KEY_HEADER.encode() + b": " + app_id + b"\r\n")
            self._hmac = hmac.new(secret.encode(), digestmod=hashlib.sha256)
        self._fixed_query = "&".join(fixed)
        self._headers = b"".join(headers)

    def build(self, keys: Sequence[str], now_ms: int) -> tuple[str, bytes, bytes]:
        """The request target (path and query, as signed), the request head and the body."""
        joined = ",".join(keys)
        query = self._fixed_query
        body = b""
        if self.envelope == "list":
            body = orjson.dumps({self._key_name: list(keys)})
        elif self.envelope == "hits":
            body = f"{self._key_param}={quote_plus(joined)}".encode()
        else:
            query = f"{self._key_param}={quote_plus(joined)}" + ("&" + query if query else "")
        target = self._path + ("?" + query if query else "")
        head = [f"{self.method} {target} HTTP/1.1\r\n".encode(), self._headers,
                propagation_headers()]
        if self._hmac is not None:
            timestamp = str(now_ms)
            message = "\n".join((self.method, target, timestamp,
                                 hashlib.sha256(body).hexdigest())).encode()
            mac = self._hmac.copy()
            mac.update(message)
            head.append(f"{HMAC_TIMESTAMP_HEADER}: {timestamp}\r\n{HMAC_SIGNATURE_HEADER}: "
                        f"{b64encode(mac.digest()).decode()}\r\n".encode())
        return target, b"".join(head), body


class RestConnector:
    """A department REST API, batch (many keys per call) or single-key (one per call)."""

    def __init__(self, config: SourceConfig, client: HttpClient, secret: str, *,
                 clock: Callable[[], float] = time.time, call_ids: CallIds | None = None,
                 budget_cap_s: float = FETCH_BUDGET_CAP_S) -> None:
        self.config = config
        self._budget_cap_s = budget_cap_s
        self._client = client
        self._clock = clock
        self._ids = call_ids or CallIds()
        self._cap = PriorityCap(config.concurrency)
        self._size = config.keys_per_call
        self._origin = HttpClient.origin(config.url)
        self._plan = RequestPlan(config, secret)
        self._mapper = RecordMapper(config)

    @property
    def max_batch(self) -> int:
        return self._size

    async def fetch(self, keys: Sequence[str], each: Each | None = None) -> FetchResult:
        """Every key's answer; with several calls, each call's answers go to `each` as it
        returns (a batch makes a subject's report once its last answer is in)."""
        chunks = chunked(keys, self._size)
        if not chunks:
            return FetchResult()
        # A job's fetch (background) waits for its turn as long as it takes: each call still
        # has the source's timeout once sent, but a one-key-per-call source is not given one
        # deadline for a whole chunk's queue.
        budget = math.inf if BACKGROUND.get() else fetch_budget_s(
            self.config, len(chunks), self._budget_cap_s)
        deadline = asyncio.get_running_loop().time() + budget
        if len(chunks) == 1:
            answers, call = await self.call(chunks[0], deadline, self._ids.next())
            return FetchResult(answers, [call] if call else [])
        # No more calls wait for the source's cap than it has slots: each waiting call holds a
        # task, its timeout and a waiter, and a one-key source asked about a thousand subjects
        # would hold a thousand of them at once.
        done: list[tuple[dict[str, Answer], Call | None] | None] = [None] * len(chunks)
        turns = iter(range(len(chunks)))

        async def worker() -> None:
            for i in turns:
                done[i] = answered = await self.call(chunks[i], deadline, self._ids.next())
                if each is not None:
                    each(answered[0])

        await asyncio.gather(*(worker() for _ in range(min(len(chunks), self.config.concurrency))))
        result = FetchResult()
        for answers, call in filter(None, done):
            result.answers.update(answers)
            if call is not None:
                result.calls.append(call)
        return result

    async def aclose(self) -> None:
        """Nothing of its own to release: the HTTP client is shared and closed by the hub."""

    async def call(self, keys: list[str], deadline: float, call_id: str
                   ) -> tuple[dict[str, Answer], Call | None]:
        """One department call for `keys` (at most `max_batch`), queued for the source's cap
        until `deadline` (loop time), then given the source's timeout (never past `deadline`):
        an answer for every key, and the call made, if one was sent."""
        cfg = self.config
        started = time.perf_counter()
        sent = False
        try:
            # One timeout, moved once: from the fetch's deadline to the call's own.
            async with asyncio.timeout_at(None if math.isinf(deadline) else deadline
                                          ) as limit, self._cap:
                loop_now = asyncio.get_running_loop().time()
                if loop_now >= deadline:
                    raise TimeoutError  # its turn came after the fetch's deadline: not sent
                limit.reschedule(min(deadline, loop_now + cfg.timeout_s))
                _, head, body = self._plan.build(keys, int(self._clock() * 1000))
                sent = True
                started = time.perf_counter()
                response = await self._client.request(self._origin, head, body, MAX_BODY_BYTES)
            parsed, as_of = parse_body(cfg, self._accepted(response), keys)
            latency = (time.perf_counter() - started) * 1000
            mapper, max_age = self._mapper, cfg.max_age_s
            now = dt.datetime.fromtimestamp(self._clock(), dt.UTC)
            answers = {
                key: check_age(
                    Answer("NOT_FOUND", as_of=as_of, latency_ms=latency) if records is None
                    else Answer("OK", tuple(map(mapper, records)), as_of=as_of,
                                latency_ms=latency), max_age, now)
                for key, records in parsed.items()}
            return answers, Call(cfg.name, "OK", latency, len(keys), call_id)
        except TimeoutError:
            failure: SourceFailure = SourceUnavailable(
                f"{cfg.department}未在 {cfg.timeout_s:g} 秒内答复" if sent else
                f"{cfg.department}的调用排队超过本次查询的总时限；大批量核查请提交核查任务"
                "（submitCheckJob）")
        except ConnectionFailed as exc:
            log.warning("source %s: connection failed: %s", cfg.name, exc)
            failure = SourceUnavailable(
                f"无法与{cfg.department}建立可信的加密连接（TLS 证书不受信任或握手失败）"
                if exc.tls else f"调用{cfg.department}失败（答复不完整或不合 HTTP 规范）"
                if exc.connected else f"无法连接{cfg.department}（连接被拒绝或中断）")
        except ProtocolViolation as exc:
            log.warning("source %s: %s", cfg.name, exc)
            failure = SourceUnavailable(f"调用{cfg.department}失败（答复不完整或不合 HTTP 规范）")
        except BodyTooLarge as exc:
            failure = SourceInvalid(f"{cfg.department}的答复超过 {exc.size}")
        except SourceFailure as exc:
            failure = exc
        latency = (time.perf_counter() - started) * 1000
        answer = Answer(failure.status, detail=str(failure), latency_ms=latency)
        call = Call(cfg.name, failure.status, latency, len(keys), call_id) if sent else None
        return dict.fromkeys(keys, answer), call

    def _accepted(self, response: Response) -> bytes:
        cfg = self.config
        status = response.status
        if 300 <= status < 400:
            raise SourceInvalid(f"{cfg.department}答复了重定向（HTTP {status}），中枢不跟随重定向")
        if status in (401, 403):
            log.warning("source %s refused the hub's credential (HTTP %d); check "
                        "sources.%s.credential", cfg.name, status, cfg.name)
            raise SourceUnavailable(f"{cfg.department}拒绝了中枢的访问凭据（HTTP {status}），"
                                    "请联系中枢运维人员")
        if status >= 400:
            raise SourceUnavailable(f"{cfg.department}答复出错（HTTP {status}）")
        if response.content_type != "application/json":
            raise SourceInvalid(f"{cfg.department}答复的内容不是 JSON"
                                f"（{response.content_type or '未标明类型'}）")
        return response.body
