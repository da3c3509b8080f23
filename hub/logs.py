"""The hub's log output: one JSON object per line, or a readable console format on a terminal.

Everything logs through the standard library (`logging.getLogger("hub.…")`, uvicorn's loggers
too); `configure_logging` puts one handler on the root logger whose formatter is structlog's
`ProcessorFormatter`. Fields given with `extra={…}` become keys of the JSON object. Every line
carries `time` (UTC, ISO 8601), `level`, `logger` and `message`; an exception adds `exception`
(its traceback, as one string). Logs never carry subject identifiers or values: callers of the
logger pass request ids, caller names, codes and counts.

`[log] level` (debug, info, warning, error) and `[log] format` (auto, json, console) come from
the configuration; `auto` is the console format when stderr is a terminal and JSON otherwise.
"""

from __future__ import annotations

import functools
import logging
import sys
import time
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import IO, Any, Literal

__all__ = ["FORMATS", "LEVELS", "LogFormat", "LogSettings", "configure_logging", "resolve_format"]

LogFormat = Literal["auto", "json", "console"]
LEVELS = ("debug", "info", "warning", "error")
FORMATS: tuple[LogFormat, ...] = ("auto", "json", "console")
# LogRecord attributes that are not worth a key in every line (uvicorn's coloured duplicate of
# the message, the task name asyncio adds).
_DROP = ("color_message", "taskName")
# Libraries whose INFO lines narrate their own internals; they speak at WARNING unless the hub
# logs at DEBUG.
_CHATTY = ("alembic", "aiosqlite", "asyncio")


@dataclass(frozen=True, slots=True)
class LogSettings:
    level: str = "info"
    format: LogFormat = "auto"


def resolve_format(fmt: LogFormat, stream: IO[str]) -> Literal["json", "console"]:
    """`auto` is the console format on a terminal, JSON lines otherwise."""
    if fmt == "auto":
        isatty = getattr(stream, "isatty", None)
        return "console" if isatty is not None and isatty() else "json"
    return fmt


def _drop_noise(_logger: Any, _name: str, event: MutableMapping[str, Any]
                ) -> MutableMapping[str, Any]:
    for key in _DROP:
        event.pop(key, None)
    return event


# Every attribute a LogRecord has of its own (or gets from formatting): the rest are extras.
_RECORD_KEYS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message", "asctime", *_DROP}
_LEVELS = {logging.DEBUG: "debug", logging.INFO: "info", logging.WARNING: "warning",
           logging.ERROR: "error", logging.CRITICAL: "critical"}


class _JsonLines(logging.Formatter):
    """One JSON object per record: `time` (UTC, ISO 8601, microseconds), `level`, `logger`,
    `message`, the record's extras, and `exception` (the traceback, as one string).

    Written out rather than through structlog's formatter chain: the hub logs a line per
    request, which cost ~80 µs through the chain and ~35 µs now (microbenchmark; most of that
    is logging's own record and handler)."""

    def format(self, record: logging.LogRecord) -> str:
        import orjson

        line: dict[str, Any] = {
            "time": _utc_iso(record.created),
            "level": _LEVELS.get(record.levelno) or record.levelname.lower(),
            "logger": record.name, "message": record.getMessage()}
        for key, value in record.__dict__.items():
            if key not in _RECORD_KEYS:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return orjson.dumps(line, default=str).decode()


def _utc_iso(created: float) -> str:
    second = int(created)
    return f"{_utc_second(second)}.{int((created - second) * 1_000_000):06d}Z"


@functools.lru_cache(maxsize=4)
def _utc_second(second: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))


def configure_logging(settings: LogSettings, stream: IO[str] | None = None) -> None:
    """Send every log record of this process to `stream` (stderr) in the configured format.

    Idempotent: a second call replaces the handler the first installed.
    """
    import structlog

    out = sys.stderr if stream is None else stream
    rendered = resolve_format(settings.format, out)
    shared: list[Any] = [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
    ]
    renderer: logging.Formatter
    if rendered == "json":
        renderer = _JsonLines()
    else:
        renderer = structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder(), _drop_noise],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                        structlog.dev.ConsoleRenderer(
                            colors=resolve_format("auto", out) == "console")],
        )
    handler = logging.StreamHandler(out)
    handler.setFormatter(renderer)
    handler.set_name("hub")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "hub"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.level.upper())
    for name in _CHATTY:
        logging.getLogger(name).setLevel("DEBUG" if settings.level == "debug" else "WARNING")
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
