"""`create_app(settings)`: the hub as one Starlette application; nothing is built at import.

Long-lived parts (keys, connectors, the stores, the schema and its executor) are created in
the lifespan and closed with it. Every request's audit entry goes to the audit log; there is no
switch that turns auditing off — a benchmark that measures its cost injects its own sink
(`audit_sink`). Routes: `/graphql`, `/healthz`, `/readyz`, `/metrics`, `/.well-known/hub-keys`,
`/reports/{reportNo}.pdf|.html` and `/verify`, the batch check jobs' `POST /jobs` and
`/jobs/{id}/…` (`hub.jobs_http`; their chunks run in the background, `hub.job_worker`), and
the auditor's console under `/console` (`hub.console`; audited through the same sink). Opening the store refuses
a schema that is not at this hub's revision; on shutdown (after the server has drained
in-flight requests) closing the audit log signs a final checkpoint. In demo mode GraphiQL's
assets are served under `/graphiql`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hmac
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from audit.log import AuditLog
from connectors.auth import resolve_credential
from connectors.base import Connector
from connectors.jsonapi import new_session
from connectors.licences import LicenceConnector
from connectors.objections import ObjectionDesk
from connectors.registry import Connectors
from hub.admission import Admission, Quota
from hub.config.settings import Settings
from hub.console.charts import chart_css
from hub.console.pipeline import Console
from hub.console.routes import console_mount
from hub.graphiql import ASSETS_PATH, graphiql_assets, graphiql_page
from hub.graphql_http import CHINA, AuditSink, GraphQLEndpoint, callers_by_key
from hub.job_worker import JobWorker
from hub.jobs_http import JobsEndpoint
from hub.quota_redis import RedisBuckets
from hub.report.printer import Printer
from hub.reports_http import ReportsEndpoint
from hub.store import Store, open_store
from hub.sweeper import ObjectionSweeper
from hub.telemetry import Telemetry
from hub.trusted import TrustedDocuments
from objection.flow import ObjectionFlow
from schema.build import build_schema
from schema.execute import Executor
from schema.gateway import Services
from schema.sources import SourceSet
from signing.keys import KeyRing
from signing.seal import load_sealer

__all__ = ["HubState", "create_app"]


@dataclass(slots=True)
class HubState:
    keys: KeyRing
    sources: SourceSet
    endpoint: GraphQLEndpoint
    reports: ReportsEndpoint
    store: Store
    console: Console | None = None
    sweeper: ObjectionSweeper | None = None
    jobs: JobsEndpoint | None = None


class _AdmissionFront:
    """ASGI middleware: a `/graphql` request meets the admission limit before routing
    (`GraphQLEndpoint.front`), so that a refusal costs as little as it can."""

    def __init__(self, app: ASGIApp, state: Callable[[], HubState | None]) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] == "http" and scope["path"] == "/graphql"
                and scope["method"] in ("GET", "POST")):
            current = self.state()
            if current is not None:
                await current.endpoint.front(scope, receive, send, self.app)
                return
        await self.app(scope, receive, send)


def _real_now() -> dt.datetime:
    return dt.datetime.now(CHINA)


def create_app(settings: Settings, *, audit_sink: AuditSink | None = None,
               clock: Callable[[], dt.datetime] | None = None,
               tracer_provider: Any = None, freeze_gc: bool = False) -> Starlette:
    """The hub. `audit_sink` replaces the audit log as the writer of request entries (the
    benchmark measures the log's cost that way); the log is still opened for reading. `clock`
    is the hub's time (requests, deadlines; tests move it), by default the real one.
    `tracer_provider` (OpenTelemetry) receives the hub's spans instead of the OTLP exporter
    of `[telemetry]` (tests use an in-memory one). `freeze_gc` (the served process,
    `hub.asgi`): once started, everything built so far (the schema, the connectors, the
    modules) moves out of the garbage collector's sight (`gc.freeze`), so that its full
    collections, which otherwise walk all of it and stop every request for 60-180 ms every
    second or two under load, only walk what requests left behind; undone at shutdown."""
    holder: dict[str, HubState] = {}
    now = clock or _real_now

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        keys = KeyRing.load(settings.keys_dir)
        store = await open_store(settings.store_url, report_prefix=settings.report_prefix,
                                 report_retention=dt.timedelta(
                                     days=settings.report_retention_days),
                                 report_block=settings.report_number_block)
        audit = await AuditLog.open(settings.store_url, keys,
                                    checkpoint_every=settings.checkpoint_every,
                                    checkpoint_seconds=settings.checkpoint_seconds,
                                    write_timeout=settings.audit_write_timeout,
                                    witness_file=settings.audit_witness,
                                    witness_url=settings.audit_witness_url)
        connectors = await Connectors.open(settings.sources, settings.environ)
        buckets = RedisBuckets(settings.redis_url) if settings.redis_url else None
        desk_session = new_session()
        extra: dict[str, Connector] = {}
        sweeper: ObjectionSweeper | None = None
        worker: JobWorker | None = None
        printer = Printer(settings.verify_base, settings.pdf_workers)
        telemetry = Telemetry(otlp_endpoint=settings.telemetry.otlp_endpoint,
                              tracer_provider=tracer_provider)
        try:
            if settings.licences is not None:
                library = LicenceConnector(settings.licences, resolve_credential(
                    settings.licences.credential, settings.environ))
                extra[library.config.name] = library
            desks = {name: ObjectionDesk(desk, resolve_credential(desk.credential,
                                                                  settings.environ),
                                         desk_session)
                     for name, desk in settings.objections.desks.items()}
            flow = ObjectionFlow(store.objections, desks, settings.objections.calendar,
                                 load_sealer(settings.keys_dir),
                                 settings.objections.deadline_working_days)
            sources = SourceSet({**{c.name: c for c in settings.sources},
                                 **{c.config.name: c.config for c in extra.values()}},
                                {**connectors, **extra},
                                breaker_failures=settings.breaker_failures,
                                breaker_reset_s=settings.breaker_reset_s)
            quotas = {c.name: Quota(c.rate, c.burst) for c in settings.callers
                      if c.rate is not None and c.burst is not None}
            admission = Admission(settings.max_in_flight, quotas, buckets,
                                  on_tick=telemetry.admission)
            services = Services(sources, settings.matters, keys, store.consents, audit,
                                store.reports, reviews=store.reviews, issuers=settings.issuers,
                                objections=flow, applications=store.applications,
                                observer=telemetry, jobs=store.jobs,
                                background_turn=admission.background_turn)
            schema = build_schema(sdl_for_all=settings.demo)
            executor = Executor(schema, settings.limits, introspection=settings.demo)
            graphiql = graphiql_page() if settings.demo else None
            trusted = TrustedDocuments(settings.trust_mode, store.engine, store.trusted)
            endpoint = GraphQLEndpoint(settings, executor, services, audit_sink or audit,
                                       graphiql, admission, clock=now, telemetry=telemetry,
                                       trusted=trusted)
            console = Console(settings, services, audit_sink or audit, store.sessions,
                              settings.console.calendar, chart_css()
                              ) if settings.console.enabled else None
            sweeper = ObjectionSweeper(flow, audit_sink or audit, settings.objections.sweep_s,
                                       now)
            sweeper.start()
            worker = JobWorker(services, store.jobs, audit_sink or audit,
                               {c.name: c for c in callers_by_key(settings).values()},
                               settings.jobs.pacing, now, telemetry)
            worker.start()
            reports = ReportsEndpoint(settings, services, audit_sink or audit, printer, now)
            jobs = JobsEndpoint(settings, services, audit_sink or audit, now)
            holder["state"] = HubState(keys, sources, endpoint, reports, store, console, sweeper,
                                       jobs)
            if freeze_gc:
                gc.collect()
                gc.freeze()
            yield
        finally:
            if freeze_gc:
                gc.unfreeze()
            if worker is not None:
                await worker.aclose()  # a chunk in flight is claimed again after its lease
            if sweeper is not None:
                await sweeper.aclose()
            current = holder.pop("state", None)
            if current is not None:
                await current.endpoint.aclose()  # audits the last shed requests
            if buckets is not None:
                await buckets.aclose()
            for connector in extra.values():
                await connector.aclose()
            await desk_session.close()
            await printer.aclose()
            await connectors.aclose()
            await audit.close()  # signs a last checkpoint over what this process wrote
            await store.close()
            telemetry.process_exit()

    def state() -> HubState:
        return holder["state"]

    async def graphql(request: Request) -> Response:
        return await state().endpoint(request)

    async def report(request: Request) -> Response:
        return await state().reports.report(request)

    async def verify(request: Request) -> Response:
        return await state().reports.verify(request)

    def jobs() -> JobsEndpoint:
        current = state().jobs
        if current is None:
            raise RuntimeError("the hub is not serving")
        return current

    async def submit_job(request: Request) -> Response:
        return await jobs().submit(request)

    async def job_file(request: Request) -> Response:
        return await jobs().file(request)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        current = state()
        sources = current.sources
        try:
            async with current.store.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            store_ok = True
        except (SQLAlchemyError, OSError):
            store_ok = False
        body = {"status": "ready" if store_ok else "unready",
                "store": "reachable" if store_ok else "unreachable", "sources": {
            name: {"enabled": sources.configs[name].enabled, "last_status": s.last_status,
                   "consecutive_failures": s.consecutive_failures, "circuit": s.breaker.state}
            for name, s in sources.states.items()}}
        return JSONResponse(body, status_code=200 if store_ok else 503)

    async def hub_keys(request: Request) -> Response:
        return JSONResponse(state().keys.public_json())

    async def metrics(request: Request) -> Response:
        token = settings.telemetry.metrics_token
        if token is not None:
            scheme, _, given = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(),
                                                                     token.encode()):
                return PlainTextResponse("send Authorization: Bearer <the metrics token>\n",
                                         status_code=401,
                                         headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
        body, content_type = state().endpoint.telemetry.render()
        return Response(body, media_type=content_type)

    def console() -> Console:
        current = state().console
        if current is None:
            raise RuntimeError("the console is switched off")  # its routes are not mounted then
        return current

    routes: list[BaseRoute] = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
        Route("/.well-known/hub-keys", hub_keys),
        Route("/reports/{file}", report),
        Route("/verify", verify),
        Route("/jobs", submit_job, methods=["POST"]),
        Route("/jobs/{job_id}/{file:path}", job_file),
    ]
    if settings.console.enabled:
        routes.append(console_mount(console))
    if settings.demo:
        routes.append(Mount(ASSETS_PATH, graphiql_assets()))
    return Starlette(routes=routes, lifespan=lifespan,
                     middleware=[Middleware(_AdmissionFront, state=lambda: holder.get("state"))])

