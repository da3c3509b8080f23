"""Hub settings: read once from TOML (or built for the demo), validated, then immutable.

`load_settings` names the bad key in every error ("callers.fgw.role: …"), so `hub serve` can
refuse to start with a message an operator can act on.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from connectors.auth import resolve_credential
from connectors.config import SourceConfig
from connectors.errors import CredentialError
from connectors.licences import LibraryConfig
from consent.catalogue import DEFAULT_MATTERS, Matter
from consent.enforcement import Role
from hub.config.console import ConsoleSettings, parse_console
from hub.config.errors import ConfigError
from hub.config.jobs import JobSettings, parse_jobs
from hub.config.licences import parse_licences
from hub.config.matters import parse_matters
from hub.config.objections import ObjectionSettings, parse_objections
from hub.config.reader import TableReader
from hub.config.sources import parse_sources
from hub.logs import FORMATS, LEVELS, LogSettings
from licence.issuers import TrustedIssuer
from schema.limits import Limits

__all__ = [
    "ROLES",
    "CallerConfig",
    "ConfigError",
    "Settings",
    "TelemetrySettings",
    "hash_key",
    "load_settings",
]

ROLES: tuple[Role, ...] = ("lead", "portal", "window", "auditor", "gateway")


def hash_key(api_key: str) -> str:
    """API keys are stored as SHA-256 hex; they are long random strings, so no KDF is needed."""
    return hashlib.sha256(api_key.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class CallerConfig:
    name: str
    display: str
    role: Role
    key_sha256: str
    rate: float | None = None  # requests per second this caller may make (None: no quota)
    burst: int | None = None


@dataclass(frozen=True)
class Settings:
    sources: tuple[SourceConfig, ...]
    callers: tuple[CallerConfig, ...]
    keys_dir: Path
    store_url: str
    matters: Mapping[str, Matter] = field(default_factory=lambda: dict(DEFAULT_MATTERS))
    demo: bool = False
    host: str = "127.0.0.1"
    port: int = 8000
    limits: Limits = field(default_factory=Limits)
    redis_url: str | None = None  # per-caller quota buckets shared by every hub process
    max_in_flight: int = 64
    checkpoint_every: int = 100  # a signed checkpoint at least every N entries ...
    checkpoint_seconds: float = 5.0  # ... or T seconds, and on shutdown
    audit_write_timeout: float = 10.0  # past it a request answers AUDIT_UNAVAILABLE
    audit_witness: Path | None = None  # a file outside the store that keeps each checkpoint
    audit_witness_url: str | None = None  # a URL each checkpoint is POSTed to
    breaker_failures: int = 5  # consecutive failed fetches that open a source's circuit
    breaker_reset_s: float = 10.0  # how long an open circuit waits before a probe
    report_prefix: str = "XXHC"  # report numbers XXHC-2026-000123
    report_retention_days: int = 1096  # how long filed reports are kept (three years)
    report_number_block: int = 20  # report numbers a process reserves at a time (reports.pool)
    public_url: str | None = None  # where /verify is reached (the QR code); else host:port
    pdf_workers: int = 1  # processes that print 告知书 PDFs
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    console: ConsoleSettings = field(default_factory=ConsoleSettings)  # the auditor's console
    licences: LibraryConfig | None = None  # the licence library ([licences])
    issuers: Mapping[str, TrustedIssuer] = field(default_factory=dict)
    objections: ObjectionSettings = field(default_factory=ObjectionSettings)
    jobs: JobSettings = field(default_factory=JobSettings)
    log: LogSettings = field(default_factory=LogSettings)
    telemetry: TelemetrySettings = field(default_factory=lambda: TelemetrySettings())
    # Documents by hash (hub.trusted): None is the default, "apq" in demo mode, "off" else.
    trusted_documents: TrustMode | None = None
    drain_seconds: int = 30  # on SIGTERM, how long in-flight requests may take to finish

    @property
    def trust_mode(self) -> TrustMode:
        if self.trusted_documents is not None:
            return self.trusted_documents
        return "apq" if self.demo else "off"

    @property
    def verify_base(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"


def _table(raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"{key}: must be a table")
    return value


def _int(where: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{where}: must be a whole number from {low} to {high}, got {value!r}")
    return value


def _seconds(where: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ConfigError(f"{where}: must be a number of seconds from {low:g} to {high:g}, "
                          f"got {value!r}")
    return float(value)


def _str(where: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: must be a non-empty string")
    return value


def _callers(raw: Mapping[str, Any]) -> tuple[CallerConfig, ...]:
    table = _table(raw, "callers")
    if not table:
        raise ConfigError("callers: declare at least one [callers.NAME] table")
    out = []
    for name, entry in table.items():
        where = f"callers.{name}"
        if not isinstance(entry, Mapping):
            raise ConfigError(f"{where}: must be a table")
        unknown = sorted(set(entry) - {"name", "role", "key_sha256", "rate", "burst"})
        if unknown:
            raise ConfigError(f"{where}.{unknown[0]}: unknown key")
        given = _str(f"{where}.role", entry.get("role"))
        role = next((r for r in ROLES if r == given), None)
        if role is None:
            raise ConfigError(f"{where}.role: {given!r} is not one of {', '.join(ROLES)}")
        digest = _str(f"{where}.key_sha256", entry.get("key_sha256"))
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ConfigError(f"{where}.key_sha256: must be 64 lower-case hex digits (the "
                              "SHA-256 of the caller's API key)")
        rate, burst = _quota(where, entry)
        out.append(CallerConfig(name, _str(f"{where}.name", entry.get("name", name)), role,
                                digest, rate, burst))
    if len({c.key_sha256 for c in out}) != len(out):
        raise ConfigError("callers: two callers share one API key")
    return tuple(out)


def _quota(where: str, entry: Mapping[str, Any]) -> tuple[float | None, int | None]:
    rate = entry.get("rate")
    if rate is None:
        if "burst" in entry:
            raise ConfigError(f"{where}.burst: give a rate (requests per second) with a burst")
        return None, None
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0.01 <= rate <= 100_000:
        raise ConfigError(f"{where}.rate: must be a number of requests per second from 0.01 to "
                          f"100000, got {rate!r}")
    burst = _int(f"{where}.burst", entry.get("burst", max(1, int(rate * 2))), 1, 1_000_000)
    return float(rate), burst


def _redis_url(raw: Mapping[str, Any]) -> str | None:
    value = _table(raw, "limits").get("redis_url")
    if value is None:
        return None
    url = _str("limits.redis_url", value)
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(f"limits.redis_url: {url!r} is not a redis:// or rediss:// URL")
    return url


def _limits(raw: Mapping[str, Any]) -> Limits:
    table = {k: v for k, v in _table(raw, "limits").items() if k != "redis_url"}
    defaults = Limits()
    bounds = {"max_depth": (2, 100), "max_aliases": (0, 1000), "max_tokens": (100, 100_000),
              "max_complexity": (10, 1_000_000), "max_repeats": (1, 10_000),
              "max_batch": (1, 10_000), "max_body_bytes": (1024, 64 * 2**20),
              "parse_cache_bytes": (0, 2**32)}
    unknown = sorted(set(table) - set(bounds))
    if unknown:
        raise ConfigError(f"limits.{unknown[0]}: unknown key (known: {', '.join(bounds)}, "
                          "redis_url)")
    values = {k: _int(f"limits.{k}", table.get(k, getattr(defaults, k)), *b)
              for k, b in bounds.items()}
    return Limits(**values)


def _reports(raw: Mapping[str, Any]) -> dict[str, Any]:
    table = _table(raw, "reports")
    known = ("prefix", "retention_days", "public_url", "pdf_workers", "number_block")
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise ConfigError(f"reports.{unknown[0]}: unknown key (known: {', '.join(known)})")
    prefix = _str("reports.prefix", table.get("prefix", "XXHC"))
    if not (2 <= len(prefix) <= 8 and prefix.isascii() and prefix.isalpha() and prefix.isupper()):
        raise ConfigError(f"reports.prefix: {prefix!r} must be 2-8 capital letters (report "
                          "numbers read PREFIX-2026-000123)")
    public = table.get("public_url")
    if public is not None:
        public = _str("reports.public_url", public)
        if not public.startswith(("http://", "https://")):
            raise ConfigError(f"reports.public_url: {public!r} is not an http(s) URL")
    return {"report_prefix": prefix,
            "report_retention_days": _int("reports.retention_days",
                                          table.get("retention_days", 1096), 1, 36_600),
            "public_url": public,
            "pdf_workers": _int("reports.pdf_workers", table.get("pdf_workers", 1), 1, 64),
            "report_number_block": _int("reports.number_block", table.get("number_block", 20),
                                        1, 100_000)}


def _store(value: str, environ: Mapping[str, str]) -> str:
    """A store URL, or `env:NAME` / `file:PATH` naming where it is kept (it may hold a
    password that should not sit in the configuration file)."""
    if not value.startswith(("env:", "file:")):
        return value
    try:
        return resolve_credential(value, environ)
    except CredentialError as exc:
        raise ConfigError(f"hub.store: {exc}") from None


TrustMode = Literal["off", "apq", "only"]  # documents by hash: see hub.trusted
_TRUST_MODES: tuple[TrustMode, ...] = ("off", "apq", "only")


@dataclass(frozen=True, slots=True)
class TelemetrySettings:
    """`[telemetry]`: where traces go (none by default) and who may scrape /metrics."""

    otlp_endpoint: str | None = None  # OTLP/HTTP traces endpoint, e.g. http://otel:4318/v1/traces
    metrics_token: str | None = None  # when set, /metrics wants Authorization: Bearer <token>


def _trust_mode(hub: Mapping[str, Any]) -> TrustMode | None:
    value = hub.get("trusted_documents")
    if value is None:
        return None
    mode = next((m for m in _TRUST_MODES if m == value), None)
    if mode is None:
        raise ConfigError(f"hub.trusted_documents: {value!r} is not one of "
                          f"{', '.join(_TRUST_MODES)} (off: query text; apq: text or a hash "
                          "the hub has seen; only: registered documents alone)")
    return mode


def _telemetry(raw: Mapping[str, Any], environ: Mapping[str, str]) -> TelemetrySettings:
    table = _table(raw, "telemetry")
    known = ("otlp_endpoint", "metrics_token")
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise ConfigError(f"telemetry.{unknown[0]}: unknown key (known: {', '.join(known)})")
    endpoint = table.get("otlp_endpoint")
    if endpoint is not None:
        endpoint = _str("telemetry.otlp_endpoint", endpoint)
        if not endpoint.startswith(("http://", "https://")):
            raise ConfigError(f"telemetry.otlp_endpoint: {endpoint!r} is not an http(s) URL of "
                              "an OTLP/HTTP collector")
    token = table.get("metrics_token")
    if token is not None:
        reference = _str("telemetry.metrics_token", token)
        try:
            token = resolve_credential(reference, environ)
        except CredentialError as exc:
            raise ConfigError(f"telemetry.metrics_token: {exc}") from None
        if len(token) < 16:
            raise ConfigError("telemetry.metrics_token: use at least 16 characters")
    return TelemetrySettings(endpoint, token)


def _log(raw: Mapping[str, Any]) -> LogSettings:
    table = _table(raw, "log")
    unknown = sorted(set(table) - {"level", "format"})
    if unknown:
        raise ConfigError(f"log.{unknown[0]}: unknown key (known: level, format)")
    reader = TableReader("log", table)
    level = reader.choice("level", LEVELS, "info")
    fmt = reader.choice("format", FORMATS, "auto")
    return LogSettings(level, "json" if fmt == "json" else "console" if fmt == "console"
                       else "auto")


def _one_calendar(console: ConsoleSettings, objections: ObjectionSettings
                  ) -> tuple[ConsoleSettings, ObjectionSettings]:
    """The hub keeps one working-day calendar: a holiday file named in either table serves
    both the console and the objections' deadlines; two different files are refused."""
    mine, theirs = console.holidays_file, objections.holidays_file
    if mine is not None and theirs is not None and mine.resolve() != theirs.resolve():
        raise ConfigError(f"console.holidays_file: {mine} is not objections.holidays "
                          f"({theirs}); the hub keeps one working-day calendar, so name the "
                          "file once (either key serves both) or name the same file")
    if mine is not None and theirs is None:
        objections = replace(objections, calendar=console.calendar, holidays_file=mine)
    elif theirs is not None and mine is None:
        console = replace(console, calendar=objections.calendar, holidays_file=theirs)
    return console, objections


def load_settings(path: Path, environ: Mapping[str, str] | None = None) -> Settings:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such configuration file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    sections = ("hub", "log", "limits", "callers", "matters", "sources", "console", "licences",
                "objections", "reports", "telemetry", "jobs")
    unknown = sorted(set(raw) - set(sections))
    if unknown:
        raise ConfigError(f"{unknown[0]}: unknown section (known: {', '.join(sections)})")
    hub = _table(raw, "hub")
    if "audit" in hub:
        raise ConfigError("hub.audit: auditing cannot be switched off; every request leaves an "
                          "audit entry (remove the key)")
    known = {"host", "port", "keys_dir", "store", "demo", "max_in_flight", "trusted_documents",
             "breaker_failures",
             "breaker_reset_s", "checkpoint_every", "checkpoint_seconds", "audit_write_timeout",
             "audit_witness", "audit_witness_url", "drain_seconds"}
    if set(hub) - known:
        raise ConfigError(f"hub.{sorted(set(hub) - known)[0]}: unknown key")
    base = path.resolve().parent  # relative paths in the file are relative to the file
    keys_dir = base / _str("hub.keys_dir", hub.get("keys_dir", "keys"))
    demo = hub.get("demo", False)
    if not isinstance(demo, bool):
        raise ConfigError("hub.demo: must be true or false")
    reader = TableReader("hub", hub)
    seconds = reader.number("checkpoint_seconds", 5.0, 0.1, 86400)
    write_timeout = reader.number("audit_write_timeout", 10.0, 0.1, 600)
    witness = base / reader.string("audit_witness") if "audit_witness" in hub else None
    witness_url = reader.string("audit_witness_url") if "audit_witness_url" in hub else None
    if witness_url is not None and urlsplit(witness_url).scheme not in ("http", "https"):
        raise ConfigError(f"hub.audit_witness_url: {witness_url!r} is not an http(s) URL")
    store = _store(_str("hub.store", hub.get("store", f"sqlite+aiosqlite:///{base / 'hub.sqlite'}")),
                   os.environ if environ is None else environ)
    callers = _callers(raw)
    licences, issuers = parse_licences(raw.get("licences"), base)
    console, objections = _one_calendar(
        parse_console(raw.get("console"), base, frozenset(c.name for c in callers)),
        parse_objections(raw.get("objections"), base))
    return Settings(
        licences=licences, issuers=issuers, objections=objections, console=console,
        jobs=parse_jobs(raw.get("jobs")),
        sources=parse_sources(raw.get("sources")), callers=callers,
        matters=parse_matters(raw.get("matters"), frozenset(c.name for c in callers)),
        keys_dir=keys_dir,
        store_url=store, demo=demo, host=_str("hub.host", hub.get("host", "127.0.0.1")),
        port=_int("hub.port", hub.get("port", 8000), 0, 65535), limits=_limits(raw),
        redis_url=_redis_url(raw),
        max_in_flight=_int("hub.max_in_flight", hub.get("max_in_flight", 64), 1, 100_000),
        checkpoint_seconds=seconds,
        breaker_failures=_int("hub.breaker_failures", hub.get("breaker_failures", 5), 1, 1000),
        breaker_reset_s=_seconds("hub.breaker_reset_s", hub.get("breaker_reset_s", 10), 0.1,
                                 3600),
        checkpoint_every=_int("hub.checkpoint_every", hub.get("checkpoint_every", 100), 1,
                              1_000_000),
        audit_write_timeout=write_timeout, audit_witness=witness, audit_witness_url=witness_url,
        environ=dict(os.environ if environ is None else environ),
        **_reports(raw),
        log=_log(raw),
        telemetry=_telemetry(raw, os.environ if environ is None else environ),
        trusted_documents=_trust_mode(hub),
        drain_seconds=reader.integer("drain_seconds", 30, 0, 3600),
    )
