"""SQL connector: a department's front-end exchange database (前置库) read with SQLAlchemy.

The department publishes a view; the hub selects the agreed columns for a batch of subject keys.
A subject the department does not hold is NOT_FOUND, never an empty OK: either the department
publishes a roster of the subjects it holds (`subjects_table`), or every subject it holds has a
row (`absent = "not_found"`). Each answer carries its data time, the oldest push time
(`as_of_column`) of the subject's rows, and is stale past the source's `max_age`.
Identifiers come from validated configuration and keys are bound parameters, so no value ever
reaches the SQL text. Connections are pooled; for SQLite a fetch first checks that the file is
still there (the department may take it away), and waits on locks no longer than the timeout.
A call's queries run as one synchronous function in a `SyncLane`: on PostgreSQL inside the
async connection, on SQLite whole on one of the connector's own threads (one thread hop per
call instead of aiosqlite's one per statement, cursor and rollback).
A failure's `detail` is read by clerks: in Chinese, naming the department, never the view, a
driver's exception class or its message (those go to the hub's log).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, make_url
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from connectors.base import Answer, Call, CallIds, Each, FetchResult, check_age, chunked
from connectors.config import SourceConfig
from connectors.errors import SourceFailure, SourceInvalid, SourceUnavailable
from connectors.lane import INLINE_KEYS, KeySelect, SyncLane
from connectors.parse import RecordMapper, parse_timestamp
from connectors.priority import PriorityCap

__all__ = ["SqlConnector", "open_engine"]

log = logging.getLogger("hub.connectors")


def open_engine(cfg: SourceConfig) -> AsyncEngine:
    if cfg.dsn.startswith("sqlite"):
        return create_async_engine(cfg.dsn, pool_size=cfg.concurrency, max_overflow=0,
                                   connect_args={"timeout": cfg.timeout_s})
    return create_async_engine(cfg.dsn, pool_size=cfg.concurrency, max_overflow=0,
                               pool_pre_ping=True)


def _sqlite_file(dsn: str) -> Path | None:
    """The database file of a SQLite DSN (`sqlite+aiosqlite:///file:PATH?mode=ro&uri=true`)."""
    if not dsn.startswith("sqlite"):
        return None
    path = make_url(dsn).database or ""
    path = path.removeprefix("file:").split("?")[0]
    return Path(path) if path and path != ":memory:" else None


class SqlConnector:
    def __init__(self, config: SourceConfig, engine: AsyncEngine,
                 clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC), *,
                 call_ids: CallIds | None = None) -> None:
        self.config = config
        self.engine = engine
        self._clock = clock
        self._ids = call_ids or CallIds()
        self._mapper = RecordMapper(config)
        self._cap = PriorityCap(config.concurrency)
        self._lane = SyncLane(engine, threads=config.concurrency, timeout_s=config.timeout_s,
                              name=f"sql-{config.name}")
        columns = [config.key_field, *dict.fromkeys(config.fields.values())]
        if config.as_of_column:
            columns.append(config.as_of_column)
        self._columns = columns
        # A pooled SQLite connection keeps reading a file that the department has taken away;
        # checking that the file is still there makes a removed 前置库 read as down.
        self._file = _sqlite_file(config.dsn)
        self._query = KeySelect(f"SELECT {', '.join(columns)} FROM {config.table} "
                                f"WHERE {config.key_field} IN")
        self._roster: KeySelect | None = None
        if config.subjects_table:
            roster_cols = [config.key_field] + ([config.as_of_column] if config.as_of_column
                                                else [])
            self._roster = KeySelect(f"SELECT {', '.join(roster_cols)} FROM "
                                     f"{config.subjects_table} WHERE {config.key_field} IN")

    @property
    def max_batch(self) -> int:
        return self.config.max_batch

    async def fetch(self, keys: Sequence[str], each: Each | None = None) -> FetchResult:
        """Every key's answer, the chunks' queries at once (nothing early through `each`:
        a 前置库 answers in milliseconds)."""
        result = FetchResult()
        chunks = chunked(keys, self.config.max_batch)
        if not chunks:
            return result
        deadline = asyncio.get_running_loop().time() + self.config.timeout_s
        for answers, call in await asyncio.gather(*(self.call(c, deadline, self._ids.next())
                                                    for c in chunks)):
            result.answers.update(answers)
            result.calls.append(call)
        return result

    async def aclose(self) -> None:
        self._lane.close()
        await self.engine.dispose()

    def _select(self, conn: Connection, keys: list[str]
                ) -> tuple[list[Any], dict[str, Any] | None]:
        """The data rows for `keys` and, with a roster, the held keys with their push time."""
        held = None
        if self._roster is not None:
            held = {r[0]: (r[1] if len(r) > 1 else None) for r in self._roster.rows(conn, keys)}
        return self._query.rows(conn, keys), held

    async def call(self, keys: list[str], deadline: float, call_id: str
                   ) -> tuple[dict[str, Answer], Call]:
        """One query for `keys`, finished by `deadline` (loop time)."""
        cfg = self.config
        started = time.perf_counter()
        try:
            async with asyncio.timeout_at(deadline), self._cap:
                if self._file is not None and not self._file.exists():
                    self._lane.reset()
                    await self.engine.dispose()
                    raise SourceUnavailable(f"{cfg.department}的前置库无法打开（数据库文件不存在）")
                rows, held = await self._lane.run(lambda conn: self._select(conn, keys),
                                                  inline=len(keys) <= INLINE_KEYS)
            answers = self._answers(keys, [dict(zip(self._columns, r, strict=True))
                                           for r in rows], held, started)
            return answers, Call(cfg.name, "OK", _ms(started), len(keys), call_id)
        except TimeoutError:
            failure: SourceFailure = SourceUnavailable(
                f"{cfg.department}的前置库未在 {cfg.timeout_s:g} 秒内答复")
        except (OperationalError, ProgrammingError) as exc:
            log.warning("source %s: %s", cfg.name, exc.orig)
            failure = _classify(cfg, exc)
        except (DBAPIError, SQLAlchemyError, OSError) as exc:
            log.warning("source %s: %r", cfg.name, exc)
            failure = SourceUnavailable(f"{cfg.department}的前置库访问失败")
        except SourceFailure as exc:
            failure = exc
        latency = _ms(started)
        answer = Answer(failure.status, detail=str(failure), latency_ms=latency)
        return dict.fromkeys(keys, answer), Call(cfg.name, failure.status, latency, len(keys),
                                                 call_id)

    def _answers(self, keys: list[str], rows: list[Mapping[str, Any]],
                 held: Mapping[str, Any] | None, started: float) -> dict[str, Answer]:
        """Answers per key; `held` is the roster's key → push time, None without a roster."""
        cfg = self.config
        wanted = set(keys)
        grouped: dict[str, list[Mapping[str, Any]]] = {}
        dated: dict[str, dt.datetime] = {}

        def date(key: str, value: Any, what: str) -> None:
            if cfg.as_of_column:
                moment = parse_timestamp(value, what)
                dated[key] = min(dated.get(key, moment), moment)

        for key, pushed in (held or {}).items():
            if key not in wanted:
                raise SourceInvalid("前置库的主体名册返回了中枢未查询的主体")
            date(key, pushed, "the roster's update time")
        for row in rows:
            key = row[cfg.key_field]
            if key not in wanted:
                raise SourceInvalid("前置库返回了中枢未查询的主体")
            if held is not None and key not in held:
                raise SourceInvalid("前置库中有其主体名册未列出的主体的记录")
            grouped.setdefault(key, []).append(row)
            date(key, row[cfg.as_of_column] if cfg.as_of_column else None, "the row's update time")
        oldest = min(dated.values(), default=None)
        latency = _ms(started)
        now = self._clock()
        out = {}
        for key in keys:
            found = grouped.get(key)
            known = key in held if held is not None else found is not None
            if known:
                answer = Answer("OK", tuple(map(self._mapper, found or ())),
                                as_of=dated.get(key, oldest), latency_ms=latency)
            else:
                answer = Answer("NOT_FOUND", as_of=oldest, latency_ms=latency)
            out[key] = check_age(answer, cfg.max_age_s, now)
        return out


def _classify(cfg: SourceConfig, exc: DBAPIError) -> SourceFailure:
    message = str(exc.orig).lower()
    if "no such column" in message or ("column" in message and "does not exist" in message):
        return SourceInvalid(f"{cfg.department}的前置库数据缺少约定的字段")
    if "unable to open" in message:
        return SourceUnavailable(f"{cfg.department}的前置库无法打开")
    if "locked" in message or "busy" in message:
        return SourceUnavailable(f"{cfg.department}的前置库被锁定，暂时无法读取")
    return SourceUnavailable(f"{cfg.department}的前置库拒绝了查询")


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
