"""The audit writer's own statements: the head read, the linked batch's inserts, a savepoint,
and the executemany of the rows that records' store changes insert.

They are the same few statements in every transaction, and on SQLite each went through
SQLAlchemy's execution machinery (statement construction, cache key, execution context,
result proxy) at several times the cost of the statement itself: ~300 µs of a ~400 µs
transaction. On SQLite they run as plain DBAPI calls on the transaction's own connection,
with SQL made once from the table definitions; on PostgreSQL they stay SQLAlchemy Core (the
driver connection there is an async adapter). The store changes that records carry
(`AuditRecord.effects`) are other modules' statements. A (plain `INSERT`, rows) change — a
check's filed report — runs on SQLite as the SQL SQLAlchemy compiles for it, once per
statement and set of columns, with the columns' own bind processors (a date and time is stored
exactly as SQLAlchemy stores it); anything else, or an insert whose compiled form binds other
than the rows' columns (defaults made in Python, RETURNING), goes through SQLAlchemy.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Insert, Table, insert, select
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from audit.chain import LinkedBatch
from audit.store import AuditTables

__all__ = ["ChainStatements"]


_Plan = tuple[str, tuple[str, ...], tuple[Callable[[Any], Any] | None, ...]]
_PLANS = 64


def _insert_sql(table: Table) -> tuple[str, tuple[str, ...]]:
    columns = tuple(c.name for c in table.columns)
    marks = ", ".join("?" for _ in columns)
    return f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})", columns


class ChainStatements:
    def __init__(self, tables: AuditTables, dialect: str) -> None:
        self.tables = tables
        self.raw = dialect == "sqlite"
        e = tables.entries
        self._head = select(e.c.seq, e.c.entry_hash).order_by(e.c.seq.desc()).limit(1)
        self._head_sql = f"SELECT seq, entry_hash FROM {e.name} ORDER BY seq DESC LIMIT 1"
        self._inserts = {t.name: _insert_sql(t) for t in (e, tables.subjects, tables.consents,
                                                          tables.applications)}
        # (statement, columns) -> (SQL, bind processors in its order), or None: SQLAlchemy's.
        self._plans: dict[tuple[Any, tuple[str, ...]], _Plan | None] = {}

    def head(self, conn: Connection) -> tuple[int, str] | None:
        """The last entry's (seq, hash), None for an empty log."""
        if self.raw:
            row = _driver(conn).execute(self._head_sql).fetchone()
        else:
            row = conn.execute(self._head).first()
        return None if row is None else (row[0], row[1])

    def insert(self, conn: Connection, linked: LinkedBatch) -> None:
        """The batch's entries and the rows of the subject, consent and application indexes."""
        t = self.tables
        parts: list[tuple[Table, list[dict[str, Any]]]] = [
            (t.entries, [e.row() for e in linked.entries]), (t.subjects, linked.subjects),
            (t.consents, linked.consents), (t.applications, linked.applications)]
        for table, rows in parts:
            if not rows:
                continue
            if self.raw:
                sql, columns = self._inserts[table.name]
                _driver(conn).executemany(sql, [tuple(r[c] for c in columns) for r in rows])
            else:
                conn.execute(insert(table), rows)

    def executemany(self, conn: Connection, statement: Any,
                    rows: Sequence[Mapping[str, Any]]) -> None:
        """`statement` with each of `rows` (all with the same keys), in this transaction."""
        plan = self._plan(conn, statement, tuple(rows[0])) if self.raw and rows else None
        if plan is None:
            conn.execute(statement, rows)
            return
        sql, names, processors = plan
        try:
            params = [tuple(r[n] if p is None else p(r[n]) for n, p in zip(names, processors,
                                                                          strict=True))
                      for r in rows]
        except KeyError:  # a row without a column the first one has: SQLAlchemy says so
            conn.execute(statement, rows)
            return
        try:
            _driver(conn).executemany(sql, params)
        except sqlite3.Error as exc:  # as SQLAlchemy raises it: the savepoint rolls it back
            raise DBAPIError.instance(sql, params, exc, sqlite3.Error) from exc

    def _plan(self, conn: Connection, statement: Any, keys: tuple[str, ...]) -> _Plan | None:
        key = (statement, keys)
        if key in self._plans:
            return self._plans[key]
        plan = None
        if isinstance(statement, Insert) and isinstance(statement.table, Table):
            table = statement.table
            compiled = statement.compile(dialect=conn.dialect, column_keys=list(keys))
            names = tuple(compiled.positiontup or ())
            if not compiled.effective_returning and set(names) == set(keys) \
                    and len(names) == len(keys) and all(n in table.c for n in names):
                dialect = conn.dialect  # the dialect's own type: SQLite's DATETIME formats
                plan = (compiled.string, names,
                        tuple(table.c[n].type.dialect_impl(dialect).bind_processor(dialect)
                              for n in names))
        if len(self._plans) >= _PLANS:
            self._plans.clear()  # statements made per call must not pile up here
        self._plans[key] = plan
        return plan

    @contextlib.contextmanager
    def savepoint(self, conn: Connection) -> Iterator[None]:
        """What runs inside is kept whole or not at all; the transaction goes on either way.
        Raises what went wrong inside (SQLAlchemyError for a failed store change)."""
        if not self.raw:
            with conn.begin_nested():
                yield
            return
        driver = _driver(conn)
        driver.execute("SAVEPOINT audit_effects")
        try:
            yield
        except SQLAlchemyError:
            driver.execute("ROLLBACK TO audit_effects")
            driver.execute("RELEASE audit_effects")
            raise
        driver.execute("RELEASE audit_effects")


def _driver(conn: Connection) -> Any:
    """The DBAPI (sqlite3) connection under `conn`, in `conn`'s transaction."""
    return conn.connection.driver_connection
