"""The sandbox department services: one real HTTP listener per department source on loopback.

Each REST source listens on its own port, checks its own credential, answers in its own words
after a department-like delay, and can be broken on purpose (`faults`). A control listener
serves `/_sandbox/samples`, `/_sandbox/stats`, `/_sandbox/faults`, `/_sandbox/reset` and
`/_sandbox/config`. SQL sources are exchange-database files (`exchange`).
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import random
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web

from connectors.auth import (
    HMAC_KEY_HEADER,
    HMAC_SIGNATURE_HEADER,
    HMAC_TIMESTAMP_HEADER,
    sign,
)
from sandbox.applicants import with_applicants
from sandbox.civic import CivicWorld
from sandbox.data import World
from sandbox.departments import SOURCES, SourceSpec
from sandbox.exchange import ExchangeDatabase
from sandbox.faults import Fault, FaultError, parse_fault
from sandbox.licence_authority import LicenceAuthority
from sandbox.licence_samples import licence_samples
from sandbox.objection_desks import ObjectionDesks
from sandbox.render import data_time, envelope_names, render_body
from sandbox.samples import samples
from sandbox.service import Listener, dribble, reset_midway
from sandbox.synth import CHINA

__all__ = ["CLOCK_SKEW_MS", "Sandbox", "SourceStats", "credential_of"]

CLOCK_SKEW_MS = 300_000


def credential_of(seed: int, spec: SourceSpec) -> str:
    """The sandbox's secret for a source: derived from the seed, so configs are reproducible."""
    return hashlib.blake2b(f"{seed}/{spec.name}".encode(), digest_size=16).hexdigest()


@dataclass(slots=True)
class SourceStats:
    calls: int = 0
    keys: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    refused: int = 0  # calls refused for a bad credential
    # The trace context and request id of the last call, as the hub sent them.
    last_traceparent: str | None = None
    last_request_id: str | None = None

    def as_json(self) -> dict[str, int | str | None]:
        return {"calls": self.calls, "keys": self.keys, "in_flight": self.in_flight,
                "max_in_flight": self.max_in_flight, "refused": self.refused,
                "last_traceparent": self.last_traceparent,
                "last_request_id": self.last_request_id}


@dataclass(slots=True)
class _Source:
    spec: SourceSpec
    secret: str
    port: int = 0
    runner: web.AppRunner | None = None
    site: web.SockSite | None = None
    fault: Fault = field(default_factory=Fault)
    stats: SourceStats = field(default_factory=SourceStats)
    rng: random.Random = field(default_factory=random.Random)


class Sandbox:
    """All simulated departments of one seed, served on 127.0.0.1."""

    def __init__(self, *, seed: int = 20240601, host: str = "127.0.0.1", port: int = 9100,
                 latency: bool = True, data_dir: Path, world: World | None = None,
                 specs: Sequence[SourceSpec] = SOURCES, advertise: str | None = None) -> None:
        self.seed = seed
        self.host = host
        # The host name the hub reaches the departments by (a container's service name, when
        # the sandbox listens on 0.0.0.0 in another container); the listening address if None.
        self.advertise = advertise or host
        self.base_port = port
        self.latency = latency
        self.world = world or CivicWorld(seed)
        self.data_dir = data_dir
        self.sources = {s.name: _Source(s, credential_of(seed, s), rng=random.Random(s.name))
                        for s in specs}
        http = [s for s in self.sources.values() if s.spec.transport != "sql"]
        for offset, source in enumerate(http, start=1):
            source.port = port + offset if port else 0
        self.exchange = ExchangeDatabase(self.world, specs, data_dir)
        # Services with an API of their own: the licence library and the objection desks.
        after = len(http) + 1
        self.licences = LicenceAuthority(self.world, host=host, port=port + after if port else 0)
        self.desks = ObjectionDesks(self.world, [s.department for s in specs], host=host,
                                    port=port + after + 1 if port else 0)
        self.services: dict[str, Listener] = {
            s.name: s for s in (self.licences.listener, self.desks.listener)}
        for listener in (self.licences.listener, self.desks.listener):
            listener.advertise = self.advertise
        self._control: web.AppRunner | None = None
        self.port = port
        self._samples: dict[str, Any] | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        self._samples, _, licences = await asyncio.gather(
            asyncio.to_thread(self._make_samples), asyncio.to_thread(self.exchange.build),
            asyncio.to_thread(licence_samples, self.licences.holdings,
                              dt.datetime.now(CHINA).date()))
        self._samples = {**self._samples, "licences": licences}
        control = web.Application()
        control.add_routes([
            web.get("/_sandbox/samples", self._samples_view),
            web.get("/_sandbox/stats", self._stats_view),
            web.post("/_sandbox/stats/reset", self._reset_stats_view),
            web.get("/_sandbox/faults", self._faults_view),
            web.post("/_sandbox/faults", self._set_fault_view),
            web.post("/_sandbox/reset", self._reset_view),
            web.get("/_sandbox/config", self._config_view),
            web.get("/_sandbox/health", self._health_view),
            web.post("/_sandbox/latency", self._latency_view),
            web.get("/_sandbox/objections", self._objections_view),
            web.post("/_sandbox/objections", self._set_objections_view),
        ])
        self._control = web.AppRunner(control, access_log=None)
        await self._control.setup()
        sock = _bind(self.host, self.base_port)
        self.port = sock.getsockname()[1]
        await web.SockSite(self._control, sock).start()
        for source in self.sources.values():
            if source.spec.transport == "sql":
                continue
            app = web.Application(client_max_size=4 * 1024 * 1024)
            app.router.add_route("*", source.spec.path, self._handler(source))
            source.runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
            await source.runner.setup()
            await self._listen(source)
        for service in self.services.values():
            service.latency = self.latency
            await service.start()

    def _make_samples(self) -> dict[str, Any]:
        return with_applicants(samples(self.world), self.world)

    async def stop(self) -> None:
        self.exchange.close()
        for service in self.services.values():
            await service.stop()
        for source in self.sources.values():
            if source.runner is not None:
                await source.runner.cleanup()
        if self._control is not None:
            await self._control.cleanup()

    async def _listen(self, source: _Source) -> None:
        if source.runner is None:
            raise RuntimeError("the sandbox is not started")
        sock = _bind(self.host, source.port)
        source.port = sock.getsockname()[1]
        source.site = web.SockSite(source.runner, sock)
        await source.site.start()

    # -- faults ------------------------------------------------------------------------------

    def knows(self, name: str) -> bool:
        """Whether `name` is a source or service that faults can be set on."""
        return name in self.sources or name in self.services

    async def set_fault(self, name: str, fault: Fault) -> None:
        if name in self.services:
            await self.services[name].set_fault(fault)
            return
        source = self.sources.get(name)
        if source is None:
            raise FaultError(f"no source named {name!r}; GET /_sandbox/config lists them")
        if source.spec.transport == "sql":
            await asyncio.to_thread(self.exchange.apply, name, fault)
        elif fault.mode == "down" and source.site is not None:
            await source.site.stop()
            source.site = None
            # A department that is down does not keep serving on connections opened before.
            server = source.runner.server if source.runner is not None else None
            for connection in server.connections if server is not None else ():
                connection.force_close()
        elif fault.mode != "down" and source.site is None:
            await self._listen(source)
        source.fault = fault

    async def reset(self) -> None:
        for name, source in self.sources.items():
            if source.fault.mode != "ok":
                await self.set_fault(name, Fault())
            source.stats = SourceStats()
            source.rng = random.Random(name)
        for service in self.services.values():
            await service.set_fault(Fault())
        self.desks.reset()
        self.licences.reset()

    # -- department handlers -----------------------------------------------------------------

    def _handler(self, source: _Source) -> Any:
        spec = source.spec
        names = envelope_names(spec)

        async def handle(request: web.Request) -> web.StreamResponse:
            body = await request.read()
            refusal = self._check_credential(source, request, body)
            if refusal is not None:
                source.stats.refused += 1
                return _json({"code": 401, "msg": refusal}, status=401)
            keys, problem = await _keys(spec, names["param"], request)
            if problem is not None:
                return _json({"code": 400, "msg": problem}, status=400)
            stats = source.stats
            stats.calls += 1
            stats.keys += len(keys)
            stats.last_traceparent = request.headers.get("traceparent")
            stats.last_request_id = request.headers.get("X-Request-Id")
            stats.in_flight += 1
            stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
            try:
                return await self._answer(source, keys, request)
            finally:
                stats.in_flight -= 1

        return handle

    def _check_credential(self, source: _Source, request: web.Request, body: bytes) -> str | None:
        spec = source.spec
        if spec.auth == "app-key-header":
            given = request.headers.get(spec.auth_header, "")
            ok = hmac.compare_digest(given.encode(), source.secret.encode())
            return None if ok else f"缺少或错误的应用密钥 ({spec.auth_header}): app key refused"
        if spec.auth == "app-key-query":
            given = request.query.get("appkey", "")
            ok = hmac.compare_digest(given.encode(), source.secret.encode())
            return None if ok else "appkey 无效: app key refused"
        app_id = request.headers.get(HMAC_KEY_HEADER, "")
        stamp = request.headers.get(HMAC_TIMESTAMP_HEADER, "")
        given = request.headers.get(HMAC_SIGNATURE_HEADER, "")
        if app_id != spec.name or not stamp.isdigit():
            return "签名校验失败: unknown application or missing timestamp"
        if abs(int(stamp) - int(time.time() * 1000)) > CLOCK_SKEW_MS:
            return "签名校验失败: timestamp outside the allowed clock skew"
        expected = sign(source.secret, request.method, request.raw_path, stamp, body)
        try:
            ok = hmac.compare_digest(base64.b64decode(given), base64.b64decode(expected))
        except ValueError:
            ok = False
        return None if ok else "签名校验失败: signature does not match"

    async def _answer(self, source: _Source, keys: list[str], request: web.Request
                      ) -> web.StreamResponse:
        spec, fault = source.spec, source.fault
        if self.latency:
            await asyncio.sleep(spec.latency_ms * source.rng.uniform(0.75, 1.25) / 1000)
        if fault.mode == "slow":
            await asyncio.sleep(fault.value / 1000)
        elif fault.mode == "hang":
            await asyncio.Event().wait()
        elif fault.mode == "error" or (fault.mode == "flaky" and source.rng.random() < fault.value):
            return _json({"code": 500, "msg": "系统繁忙，请稍后再试"}, status=500)
        elif fault.mode == "garbage":
            return web.Response(body=b'{"code":0,"data":<html>upstream error</html>',
                                content_type="application/json")
        if fault.mode == "wrong-subject":
            answers = [(k, self._select(spec, self._other(spec, k))) for k in keys]
            answers = [(self._other(spec, k), r) for k, r in answers]
        elif fault.mode == "partial":
            answers = [(k, self._select(spec, k)) for k in keys[:len(keys) // 2]]
            if not answers and spec.envelope == "single":
                return _json({"code": "200", "message": "success", "data": None})
        else:
            answers = [(k, self._select(spec, k)) for k in keys]
        body = orjson.dumps(render_body(spec, answers, data_time(spec, dt.datetime.now(CHINA))))
        if fault.mode == "reset":
            return await reset_midway(request, body)
        if fault.mode == "slowloris":
            return await dribble(request, body)
        return web.Response(body=body, content_type="application/json")

    def _select(self, spec: SourceSpec, key: str) -> list[dict[str, Any]] | None:
        return spec.select(self.world, key)

    def _other(self, spec: SourceSpec, key: str) -> str:
        """A different known subject of the same kind, for `wrong-subject`."""
        if spec.subject == "enterprise":
            ids = self.world.usccs
            index = self.world.uscc_index.get(key, 0)
        else:
            ids = self.world.person_ids
            index = self.world.person_index.get(key, 0)
        return ids[(index + 1) % len(ids)]

    # -- control API -------------------------------------------------------------------------

    async def _samples_view(self, request: web.Request) -> web.Response:
        return _json(self._samples)

    async def _stats_view(self, request: web.Request) -> web.Response:
        out = {}
        for name, s in self.sources.items():
            observable = s.spec.transport != "sql"
            out[name] = {**s.stats.as_json(), "observable": observable,
                         "fault": str(s.fault)}
        keys = {self.licences.listener.name: self.licences.keys,
                self.desks.listener.name: self.desks.listener.calls}
        for name, service in self.services.items():
            out[name] = {"calls": service.calls, "keys": keys[name], "in_flight": 0,
                         "max_in_flight": 0, "refused": 0, "observable": True,
                         "fault": str(service.fault)}
        total = sum(s.stats.calls for s in self.sources.values())
        return _json({"sources": out, "total_calls": total})

    async def _reset_stats_view(self, request: web.Request) -> web.Response:
        for s in self.sources.values():
            s.stats = SourceStats()
        self.licences.keys = 0
        for service in self.services.values():
            service.calls = 0
        return _json({"ok": True})

    async def _faults_view(self, request: web.Request) -> web.Response:
        return _json({**{n: str(s.fault) for n, s in self.sources.items()},
                      **{n: str(s.fault) for n, s in self.services.items()}})

    async def _set_fault_view(self, request: web.Request) -> web.Response:
        try:
            payload = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            return _json({"error": 'send JSON: {"source": NAME, "mode": MODE}'}, status=400)
        if (not isinstance(payload, dict) or not isinstance(payload.get("source"), str)
                or not isinstance(payload.get("mode"), str)):
            return _json({"error": 'send JSON: {"source": NAME, "mode": MODE}'}, status=400)
        try:
            await self.set_fault(payload["source"], parse_fault(payload["mode"]))
        except FaultError as exc:
            return _json({"error": str(exc)}, status=400)
        name = payload["source"]
        fault = self.services[name].fault if name in self.services else self.sources[name].fault
        return _json({"source": name, "mode": str(fault)})

    async def _reset_view(self, request: web.Request) -> web.Response:
        await self.reset()
        return _json({"ok": True})

    async def _config_view(self, request: web.Request) -> web.Response:
        from sandbox.config import render_config

        return web.Response(text=render_config(self), content_type="application/toml")

    async def _latency_view(self, request: web.Request) -> web.Response:
        try:
            payload = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            payload = None
        if not isinstance(payload, dict) or not isinstance(payload.get("enabled"), bool):
            return _json({"error": 'send JSON: {"enabled": true} or {"enabled": false}'},
                         status=400)
        self.latency = payload["enabled"]
        for service in self.services.values():
            service.latency = self.latency
        return _json({"latency": self.latency})

    async def _objections_view(self, request: web.Request) -> web.Response:
        return _json(self.desks.view())

    async def _set_objections_view(self, request: web.Request) -> web.Response:
        try:
            payload = orjson.loads(await request.read())
            return _json(self.desks.configure(payload))
        except (orjson.JSONDecodeError, ValueError) as exc:
            return _json({"error": str(exc)}, status=400)

    async def _health_view(self, request: web.Request) -> web.Response:
        return _json({"ok": True, "sources": len(self.sources)})

    def url_of(self, name: str) -> str:
        source = self.sources[name]
        return f"http://{self.advertise}:{source.port}{source.spec.path}"


async def _keys(spec: SourceSpec, param: str, request: web.Request
                ) -> tuple[list[str], str | None]:
    if spec.envelope == "list":
        try:
            payload = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            return [], "请求体不是合法的 JSON: body is not JSON"
        keys = payload.get(param) if isinstance(payload, dict) else None
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            return [], f"参数 {param} 应为字符串数组: {param} must be a list of strings"
    elif spec.envelope == "hits":
        form = await request.post()
        raw = form.get(param)
        keys = [k for k in str(raw).split(",") if k] if isinstance(raw, str) else []
    else:
        raw = request.query.get(param, "")
        keys = [k for k in raw.split(",") if k]
    if not keys:
        return [], f"缺少参数 {param}: no subject keys given"
    limit = 1 if spec.envelope == "single" else spec.max_batch
    if len(keys) > limit:
        return [], f"单次查询最多 {limit} 个主体: at most {limit} keys per call"
    return keys, None


def _json(payload: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(payload), status=status,
                        content_type="application/json")


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock
