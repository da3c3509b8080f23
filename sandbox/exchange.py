"""Front-end exchange databases (前置库): departments that publish by pushing rows into SQL.

Some departments do not offer an API; they push their data into an exchange database that
consumers read with SQL. The sandbox writes one SQLite file per department, with a base table
per source and a view (the published interface) that the hub reads, and, where the source has
one, a roster view (名录) of the subjects the department holds, so that "no rows" can be told
apart from "not our subject". Every row carries the time of the push (`gxsj`), the data date the
hub reports and checks against the source's declared `max_age`. Faults act on the file the
way they would in production: `down` takes the file away, `hang` holds an exclusive lock, `error`
drops the published view, `garbage` republishes it with columns that are not the agreed ones.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from sandbox.data import World
from sandbox.departments import SourceSpec
from sandbox.faults import SQL_MODES, Fault, FaultError
from sandbox.render import data_time, envelope_names, field_names, render_record
from sandbox.synth import CHINA

__all__ = ["AS_OF_COLUMN", "ExchangeDatabase", "database_file"]

AS_OF_COLUMN = "gxsj"  # 更新时间: when the department last pushed the row


def database_file(data_dir: Path, spec: SourceSpec) -> Path:
    """One exchange database file per source, so that one source's fault leaves others alone."""
    return data_dir / f"qzk_{spec.name}.sqlite"


def _table(spec: SourceSpec) -> str:
    return "t_" + spec.path.lower().removeprefix("v_")


class ExchangeDatabase:
    """The SQLite files of the SQL sources, their contents and their faults."""

    def __init__(self, world: World, specs: Sequence[SourceSpec], data_dir: Path) -> None:
        self.world = world
        self.specs = {s.name: s for s in specs if s.transport == "sql"}
        self.data_dir = data_dir
        self._locks: dict[str, sqlite3.Connection] = {}

    def build(self, now: dt.datetime | None = None) -> None:
        pushed_at = now or dt.datetime.now(CHINA)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        for spec in self.specs.values():
            path = database_file(self.data_dir, spec)
            for stale in (path, path.with_suffix(".offline")):
                stale.unlink(missing_ok=True)
            tmp = path.with_suffix(".building")
            tmp.unlink(missing_ok=True)
            con = sqlite3.connect(tmp)
            try:
                con.execute("PRAGMA journal_mode=DELETE")
                self._fill(con, spec, data_time(spec, pushed_at).isoformat())
                con.commit()
            finally:
                con.close()
            tmp.replace(path)

    def _fill(self, con: sqlite3.Connection, spec: SourceSpec, pushed: str) -> None:
        names = field_names(spec)
        key = envelope_names(spec)["key"]
        columns = [key, *names.values(), AS_OF_COLUMN]
        table = _table(spec)
        con.execute(f"CREATE TABLE {table} ({', '.join(columns)})")
        con.execute(f"CREATE INDEX ix_{table} ON {table} ({key})")
        rows = []
        held = []
        for uscc in self.world.usccs:
            records = spec.select(self.world, uscc)
            if records is None:
                continue
            held.append((uscc, pushed))
            for record in records:
                rendered = render_record(spec, record)
                rows.append((uscc, *(rendered[n] for n in names.values()), pushed))
        marks = ", ".join("?" for _ in columns)
        con.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
        con.execute(self._view_sql(spec, "ok"))
        if spec.roster:
            roster = "t_" + spec.roster.lower().removeprefix("v_")
            con.execute(f"CREATE TABLE {roster} ({key} PRIMARY KEY, {AS_OF_COLUMN})")
            con.executemany(f"INSERT INTO {roster} VALUES (?, ?)", held)
            con.execute(f"CREATE VIEW {spec.roster} AS SELECT {key}, {AS_OF_COLUMN} FROM {roster}")

    def _view_sql(self, spec: SourceSpec, mode: str) -> str:
        table = _table(spec)
        if mode == "garbage":
            # The view drifts from the agreed interface: the key stays, every other column is
            # renamed, as happens when a department re-publishes without telling consumers.
            key = envelope_names(spec)["key"]
            cols = ", ".join(f"{n} AS c{i}" for i, n in enumerate(field_names(spec).values()))
            return f"CREATE VIEW {spec.path} AS SELECT {key}, {cols} FROM {table}"
        return f"CREATE VIEW {spec.path} AS SELECT * FROM {table}"

    def apply(self, name: str, fault: Fault) -> None:
        spec = self.specs[name]
        if fault.mode not in SQL_MODES:
            raise FaultError(
                f"{name} is a front-end exchange database (SQL); it takes the faults "
                f"{', '.join(SQL_MODES)}, not {fault.mode}"
            )
        path = database_file(self.data_dir, spec)
        offline = path.with_suffix(".offline")
        lock = self._locks.pop(name, None)
        if lock is not None:
            lock.rollback()
            lock.close()
        if fault.mode != "down" and offline.exists():
            offline.replace(path)
        if fault.mode == "down":
            if path.exists():
                path.replace(offline)
            return
        con = sqlite3.connect(path, isolation_level=None)
        try:
            con.execute(f"DROP VIEW IF EXISTS {spec.path}")
            if fault.mode != "error":
                con.execute(self._view_sql(spec, "garbage" if fault.mode == "garbage" else "ok"))
        finally:
            con.close()
        if fault.mode == "hang":
            holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            holder.execute("BEGIN EXCLUSIVE")
            self._locks[name] = holder

    def close(self) -> None:
        for lock in self._locks.values():
            lock.rollback()
            lock.close()
        self._locks.clear()
