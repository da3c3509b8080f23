"""Metrics and traces: what an operations team watches, built per app, never at import.

**Metrics** (Prometheus, `prometheus_client`). With several workers (`hub serve --workers N`)
every worker writes its values to files in `PROMETHEUS_MULTIPROC_DIR`, which `hub serve` sets
before any worker starts, and `/metrics` adds them up across workers on each scrape; in a single
process without that variable the values live in the app's own registry. Requests by operation
and outcome (duration histogram), department calls by source (duration histogram, outcomes),
requests in flight, shed requests, audit appends (latency, failures), consent decisions by code,
circuit changes, and check-job progress.

**Traces** (OpenTelemetry). A span per request, per source fetch and per audit append; the
connectors carry the current span's context to the departments as `traceparent`. Spans are
exported over OTLP/HTTP when `[telemetry] otlp_endpoint` is set and not at all otherwise; a
test injects its own tracer provider. Without either no span is even opened (`span` is a null
context then): OpenTelemetry's no-op tracer still builds a span object and attaches a context
per span, ~10 µs each, a dozen times per check — and the no-op span would only pass the current
context on, which is what not opening one does.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from connectors.base import Call

__all__ = ["MULTIPROC_ENV", "Telemetry", "prepare_multiprocess"]

log = logging.getLogger("hub.sources")
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_CALL = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
_APPEND = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 10.0)


class _NoSpan:
    """What `Telemetry.span` yields without tracing: attributes set on it go nowhere."""

    def set_attributes(self, attributes: Any) -> None:
        pass


_NO_SPAN = _NoSpan()


def prepare_multiprocess(directory: Path) -> None:
    """Set up `directory` for the workers' metric files (emptied: values of a previous run
    would otherwise be added in). Call before any worker imports prometheus_client."""
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.db"):
        old.unlink()
    os.environ[MULTIPROC_ENV] = str(directory)


def _pid_asked_at_fork() -> None:
    """Make prometheus_client's multiprocess values learn the process id at a fork instead of
    asking `os.getpid()` at every change: a system call each, some forty per check (~7 µs
    in all, measured). The id changes only when the process forks, and the values' class
    is made once per process, before any value (a second class would open the same files)."""
    from prometheus_client import values

    if getattr(values.ValueClass, "hub_pid_at_fork", False):
        return
    pid = [os.getpid()]
    os.register_at_fork(after_in_child=lambda: pid.__setitem__(0, os.getpid()))
    value_class: Any = values.MultiProcessValue(  # type: ignore[no-untyped-call]
        process_identifier=lambda: pid[0])
    value_class.hub_pid_at_fork = True
    values.ValueClass = value_class


class Telemetry:
    """The metrics and the tracer of one app (implements `schema.observer.Observer`)."""

    def __init__(self, *, otlp_endpoint: str | None = None, service: str = "one-thing-hub",
                 tracer_provider: Any = None) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.multiprocess = bool(os.environ.get(MULTIPROC_ENV))
        if self.multiprocess:
            _pid_asked_at_fork()
        # Multiprocess: values go to the workers' files, and a scrape reads them all.
        self.registry = None if self.multiprocess else CollectorRegistry(auto_describe=True)
        reg = self.registry
        self.requests = Histogram("hub_request_duration_seconds",
                                  "GraphQL requests, by operation and outcome",
                                  ["operation", "outcome"], buckets=_LATENCY, registry=reg)
        self.source_calls = Histogram("hub_source_call_duration_seconds",
                                      "Calls to department sources, by source and outcome",
                                      ["source", "status"], buckets=_CALL, registry=reg)
        self.in_flight = Gauge("hub_requests_in_flight", "Requests being served",
                               multiprocess_mode="livesum", registry=reg)
        self.admission_limit = Gauge(
            "hub_admission_limit", "Requests the adaptive admission limit lets in flight "
            "(every worker's, added up)", multiprocess_mode="livesum", registry=reg)
        self.loop_demand = Gauge(
            "hub_loop_cpu_demand", "The event loop thread's smoothed demand for the CPU, the "
            "share of time it ran or waited to run (0-1; the busiest worker's)",
            multiprocess_mode="livemax", registry=reg)
        self.shed = Counter("hub_shed_requests", "Requests refused by admission control",
                            ["code"], registry=reg)
        self.audit_append = Histogram("hub_audit_append_seconds", "Audit entry commits",
                                      buckets=_APPEND, registry=reg)
        self.audit_failures = Counter("hub_audit_failures", "Audit entries that could not be "
                                      "committed (the request answered AUDIT_UNAVAILABLE)",
                                      registry=reg)
        self.decisions = Counter("hub_consent_decisions", "Person-data decisions by code",
                                 ["code"], registry=reg)
        self.circuits = Counter("hub_source_circuit_transitions", "Circuit breaker changes",
                                ["source", "state"], registry=reg)
        self.job_items = Counter("hub_job_items", "Check-job enterprises finished, by verdict",
                                 ["verdict"], registry=reg)
        self.tracer = self._tracer(otlp_endpoint, service, tracer_provider)
        self.tracing = tracer_provider is not None or bool(otlp_endpoint)
        self._call_series: dict[tuple[str, str], Any] = {}  # labels() takes a lock each time

    @staticmethod
    def _tracer(endpoint: str | None, service: str, provider: Any) -> Any:
        from opentelemetry import trace

        if provider is None and not endpoint:
            return trace.NoOpTracer()
        if provider is None:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            from opentelemetry.sdk.resources import Resource
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor

            provider = TracerProvider(resource=Resource.create({"service.name": service}))
            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
        return provider.get_tracer("hub")

    def span(self, name: str, attributes: dict[str, Any] | None = None
             ) -> contextlib.AbstractContextManager[Any]:
        """A span made current for the block (it yields the span: `set_attributes` on it), or
        without tracing a null context yielding a span that records nothing."""
        if not self.tracing:
            return contextlib.nullcontext(_NO_SPAN)
        return self.tracer.start_as_current_span(name, attributes=attributes)  # type: ignore[no-any-return]

    def admission(self, limit: float, demand: float) -> None:
        """The admission limit and the loop's CPU demand after one tick (`hub.admission`)."""
        self.admission_limit.set(int(limit))
        self.loop_demand.set(round(demand, 3))

    # -- the gateway's observer ----------------------------------------------------------------

    def fetch(self, source: str, keys: int) -> contextlib.AbstractContextManager[Any]:
        return self.span("source.fetch", {"hub.source": source, "hub.keys": keys})

    def calls(self, calls: Sequence[Call]) -> None:
        series = self._call_series
        for call in calls:
            key = (call.source, call.status)
            child = series.get(key)
            if child is None:
                child = series[key] = self.source_calls.labels(*key)
            child.observe(call.latency_ms / 1000)
            if call.status != "OK":
                log.warning("source failed", extra={"source": call.source,
                                                    "status": call.status,
                                                    "latency_ms": round(call.latency_ms, 1)})

    def decision(self, code: str) -> None:
        self.decisions.labels(code).inc()

    def circuit(self, source: str, state: str) -> None:
        self.circuits.labels(source, state).inc()

    # -- scraping ------------------------------------------------------------------------------

    def render(self) -> tuple[bytes, str]:
        """The Prometheus text exposition of every worker's values, and its content type."""
        from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

        if self.registry is not None:
            return generate_latest(self.registry), CONTENT_TYPE_LATEST
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        collect: Any = multiprocess.MultiProcessCollector  # untyped in prometheus_client
        collect(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST

    def process_exit(self) -> None:
        """A worker stops: its live gauges no longer count."""
        if self.multiprocess:
            from prometheus_client import multiprocess

            mark_dead: Any = multiprocess.mark_process_dead  # untyped in prometheus_client
            mark_dead(os.getpid())
