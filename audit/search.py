"""Reading the audit log: searching entries, streaming them in order, listing checkpoints.

Reads use their own engine, which never takes the write lock, so an auditor's search never
holds up an append. The application an entry served has an index of its own
(`audit_applications`); fields without an indexed column (operator, job) are matched in the
entry's canonical body, where `"key":"value"` appears exactly once per key; an entry that never
recorded the key (job is not written yet) simply does not match.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from audit.chain import StoredEntry
from audit.checkpoint import Checkpoint
from audit.entry import decode, encode
from audit.store import AuditTables

__all__ = ["AuditReader", "SearchFilter", "SearchPage"]

SearchPage = tuple[list[tuple[int, dict[str, Any], str]], int, bool]  # rows, total, more


@dataclass(frozen=True, slots=True)
class SearchFilter:
    caller: str | None = None
    subjects: tuple[str, ...] = ()  # any of these (USCC or pseudonyms under each key version)
    purpose: str | None = None
    consent_id: str | None = None
    case: str | None = None
    application: str | None = None
    outcome: str | None = None
    since: str | None = None  # format_time text
    until: str | None = None
    operator: str | None = None
    job: str | None = None  # not in the log yet: ready for batch check jobs


def _body_pattern(key: str, value: str) -> str:
    """A LIKE pattern for `"key":"value"` in a canonical body (LIKE's wildcards escaped)."""
    member = encode({key: value})[1:-1].decode()  # the member exactly as the body holds it
    return "%" + member.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class AuditReader:
    def __init__(self, engine: AsyncEngine, tables: AuditTables) -> None:
        self.engine = engine
        self.tables = tables

    def _where(self, f: SearchFilter) -> list[Any]:
        e = self.tables.entries
        clauses: list[Any] = []
        if f.caller:
            clauses.append(e.c.caller == f.caller)
        if f.purpose:
            clauses.append(e.c.purpose == f.purpose)
        if f.case:
            clauses.append(e.c.case_no == f.case)
        if f.outcome:
            clauses.append(e.c.outcome == f.outcome)
        if f.since:
            clauses.append(e.c.time >= f.since)
        if f.until:
            clauses.append(e.c.time <= f.until)
        if f.subjects:
            s = self.tables.subjects
            clauses.append(e.c.seq.in_(select(s.c.seq).where(s.c.subject.in_(f.subjects))))
        if f.application:
            a = self.tables.applications
            clauses.append(e.c.seq.in_(select(a.c.seq).where(a.c.application == f.application)))
        if f.consent_id:
            c = self.tables.consents
            clauses.append(e.c.seq.in_(select(c.c.seq).where(c.c.consent_id == f.consent_id)))
        for key, value in (("operator", f.operator), ("job", f.job)):
            if value:
                clauses.append(e.c.body.like(_body_pattern(key, value), escape="\\"))
        return clauses

    async def entry(self, seq: int) -> StoredEntry | None:
        """The stored entry `seq`, or None."""
        e = self.tables.entries
        async with self.engine.connect() as conn:
            r = (await conn.execute(select(e).where(e.c.seq == seq))).first()
        if r is None:
            return None
        return StoredEntry(r.seq, r.time, r.request_id, r.caller, r.purpose, r.case_no,
                           r.outcome, r.body, r.entry_hash)

    async def entry_hashes(self, size: int) -> list[str]:
        """The entry hashes of seq 1..size, in order (the leaves of a checkpoint's tree)."""
        e = self.tables.entries
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(e.c.entry_hash).where(e.c.seq <= size)
                                       .order_by(e.c.seq))).scalars().all()
        return list(rows)

    async def search(self, f: SearchFilter, *, first: int, before_seq: int | None
                     ) -> SearchPage:
        """Newest first: (seq, body, hash) rows, the total matching, and whether more follow."""
        e = self.tables.entries
        where = self._where(f)
        query = select(e.c.seq, e.c.body, e.c.entry_hash).where(*where)
        if before_seq is not None:
            query = query.where(e.c.seq < before_seq)
        query = query.order_by(e.c.seq.desc()).limit(first + 1)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
            total = (await conn.execute(select(func.count()).select_from(e).where(*where))
                     ).scalar_one()
        more = len(rows) > first
        return [(r.seq, decode(r.body), r.entry_hash) for r in rows[:first]], int(total), more

    async def find(self, f: SearchFilter, match: Callable[[dict[str, Any]], bool], *,
                   limit: int) -> dict[str, Any] | None:
        """The newest body among the first `limit` entries matching `f` for which `match`
        holds (None: none of them)."""
        before: int | None = None
        seen = 0
        while seen < limit:
            rows, _, more = await self.search(f, first=min(200, limit - seen),
                                              before_seq=before)
            for _, body, _ in rows:
                if match(body):
                    return body
            seen += len(rows)
            if not more or not rows:
                return None
            before = rows[-1][0]
        return None

    async def size(self) -> int:
        e = self.tables.entries
        async with self.engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(e))).scalar_one())

    async def rows(self, *, batch: int = 2000) -> AsyncIterator[StoredEntry]:
        """Every entry in seq order, streamed in batches."""
        e = self.tables.entries
        after = 0
        while True:
            async with self.engine.connect() as conn:
                chunk = (await conn.execute(select(e).where(e.c.seq > after)
                                            .order_by(e.c.seq).limit(batch))).all()
            if not chunk:
                return
            for r in chunk:
                yield StoredEntry(r.seq, r.time, r.request_id, r.caller, r.purpose, r.case_no,
                                  r.outcome, r.body, r.entry_hash)
            after = chunk[-1].seq

    async def checkpoints(self) -> list[Checkpoint]:
        t = self.tables.checkpoints
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(t).order_by(t.c.size))).all()
        return [Checkpoint(r.log_id, r.size, r.head_hash, r.root_hash, r.time, r.key_id,
                           r.signature) for r in rows]
