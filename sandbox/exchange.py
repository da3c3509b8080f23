"""Front-end exchange databases (前置库): departments that publish by pushing rows into SQL.

Some departments do not offer an API; they push their data into an exchange database that
consumers read with SQL. The sandbox writes one SQLite file per department, with a base table
per source and a view (the published interface) that the hub reads. Faults act on the file the
way they would in production: `down` takes the file away, `hang` holds an exclusive lock, `error`
drops the published view, `garbage` republishes it with columns that are not the agreed ones.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from sandbox.data import AS_OF, World
from sandbox.departments import SourceSpec
from sandbox.faults import SQL_MODES, Fault, FaultError
from sandbox.render import envelope_names, field_names, render_record

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

    def build(self) -> None:
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
                self._fill(con, spec)
                con.commit()
            finally:
                con.close()
            tmp.replace(path)

    def _fill(self, con: sqlite3.Connection, spec: SourceSpec) -> None:
        names = field_names(spec)
        key = envelope_names(spec)["key"]
        columns = [key, *names.values(), AS_OF_COLUMN]
        table = _table(spec)
        con.execute(f"CREATE TABLE {table} ({', '.join(columns)})")
        con.execute(f"CREATE INDEX ix_{table} ON {table} ({key})")
        rows = []
        for uscc in self.world.usccs:
            for record in spec.select(self.world, uscc) or []:
                rendered = render_record(spec, record)
                rows.append((uscc, *(rendered[n] for n in names.values()), AS_OF.isoformat()))
        marks = ", ".join("?" for _ in columns)
        con.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
        con.execute(self._view_sql(spec, "ok"))

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
