"""The job store: jobs, their work queue and their results in the hub's own database.

Submitting a job and completing a chunk are written as statements that the caller commits
together with their audit entry (`submission`, `completion`): a job exists only with its
submission on the record (its items are stored just before, and are work only once the job
is), and a chunk's results and reports exist only with the chunk's entry.
A result row's primary key (job, seq) refuses a second result for one enterprise, so a chunk
finished twice (a worker that outlived its lease) is refused as a whole: nothing is done twice.

Workers claim chunks in one transaction: `SELECT … LIMIT n FOR UPDATE SKIP LOCKED`, then
`UPDATE … RETURNING` of the rows chosen. On PostgreSQL concurrent claimers skip each other's
rows; on SQLite the transaction takes the write lock first (what BEGIN IMMEDIATE gives), so
claims are serialised. A claim is a
lease: items of a worker that died (kill -9) are claimed again once their lease has run out.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson
from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.expression import Executable

from jobs.errors import BadLine, JobsUnavailable, JobUnknown
from jobs.tables import JobTables

__all__ = ["ACTIVE", "Claim", "ItemResult", "JobRow", "JobStatus", "JobStore", "JobView",
           "NewJob", "ResultRow", "SourceProgress"]

JobStatus = Literal["QUEUED", "RUNNING", "DONE", "CANCELLED", "FAILED"]
ACTIVE: tuple[JobStatus, ...] = ("QUEUED", "RUNNING")
_ROWS_PER_STATEMENT = 4000  # bound parameters stay under SQLite's and PostgreSQL's limits


def _u(moment: dt.datetime) -> dt.datetime:
    """Stored times are UTC: SQLite keeps no offset, so every comparison must agree on one."""
    return moment.astimezone(dt.UTC)


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class NewJob:
    id: str
    caller: str
    kind: str
    purpose: str
    case_no: str | None
    operator: str | None
    since: dt.date | None
    until: dt.date | None
    usccs: tuple[str, ...]
    skipped: tuple[BadLine, ...]
    created_at: dt.datetime
    deadline_at: dt.datetime
    sources: tuple[tuple[str, str], ...]  # (source, department) the check asks

    @staticmethod
    def new_id() -> str:
        return uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class JobRow:
    id: str
    caller: str
    kind: str
    purpose: str
    case_no: str | None
    operator: str | None
    since: dt.date | None
    until: dt.date | None
    status: JobStatus
    total: int
    created_at: dt.datetime
    started_at: dt.datetime | None
    deadline_at: dt.datetime
    finished_at: dt.datetime | None
    detail: str | None
    skipped: tuple[BadLine, ...]
    manifest: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class SourceProgress:
    source: str
    department: str
    answered: int
    failed: int


@dataclass(frozen=True, slots=True)
class JobView:
    job: JobRow
    done: int
    verdicts: dict[str, int]
    sources: tuple[SourceProgress, ...]

    def eta_seconds(self, now: dt.datetime) -> float | None:
        """Time left at the pace so far (None before the first result or once ended)."""
        started = self.job.started_at
        if self.job.status not in ACTIVE or started is None or self.done == 0:
            return None
        elapsed = max(0.0, (now - started).total_seconds())
        return elapsed / self.done * (self.job.total - self.done)


@dataclass(frozen=True, slots=True)
class Claim:
    job: JobRow
    token: str
    items: tuple[tuple[int, str, int], ...]  # (seq, uscc, attempts before this one)


@dataclass(frozen=True, slots=True)
class ItemResult:
    seq: int
    uscc: str
    verdict: str
    report_no: str
    report_hash: str
    subject_name: str | None
    findings: tuple[str, ...]
    failed: tuple[str, ...]  # sources without a usable answer
    answered: tuple[str, ...]  # sources with one
    attempts: int


@dataclass(frozen=True, slots=True)
class ResultRow:
    seq: int
    uscc: str
    verdict: str
    report_no: str
    subject_name: str | None
    findings: tuple[str, ...]
    failed: tuple[str, ...] = field(default=())


class JobStore:
    def __init__(self, engine: AsyncEngine, tables: JobTables) -> None:
        self.engine = engine
        self.t = tables
        self._woken = asyncio.Event()
        self._record_results = insert(tables.results)  # one statement: an executemany per chunk

    def committed(self) -> None:
        """A job was submitted in this process: wake its workers now, not at their next look."""
        self._woken.set()

    async def woken(self, timeout: float) -> bool:
        """Wait until a job is submitted here (True) or `timeout` seconds pass (False)."""
        try:
            await asyncio.wait_for(self._woken.wait(), timeout)
        except TimeoutError:
            return False
        self._woken.clear()
        return True

    # -- writes committed with an audit entry --------------------------------------------------

    async def add_items(self, job: NewJob) -> None:
        """Store the job's items ahead of the job itself: they are work only once the job's
        row commits with its audit entry (`submission`), which keeps a 100,000-row insert out
        of the audit log's transaction. Items of a job whose submission failed are never
        claimed (a claim joins the job)."""
        t = self.t
        rows = [{"job_id": job.id, "seq": i, "uscc": u, "state": "PENDING", "attempts": 0,
                 "not_before": _u(job.created_at)} for i, u in enumerate(job.usccs)]
        try:
            async with self.engine.begin() as conn:
                for start in range(0, len(rows), _ROWS_PER_STATEMENT):
                    await conn.execute(insert(t.items), rows[start:start + _ROWS_PER_STATEMENT])
        except (SQLAlchemyError, OSError) as exc:
            raise JobsUnavailable(f"the job's list could not be stored ({exc})") from exc

    def submission(self, job: NewJob) -> list[Executable]:
        """The statements that create `job` once its items are stored (commit them with its
        audit entry)."""
        t = self.t
        statements: list[Executable] = [insert(t.jobs).values(
            id=job.id, caller=job.caller, kind=job.kind, purpose=job.purpose,
            case_no=job.case_no, operator=job.operator, since=job.since, until=job.until,
            status="QUEUED", total=len(job.usccs),
            skipped=orjson.dumps([b.as_json() for b in job.skipped]).decode(),
            created_at=_u(job.created_at), deadline_at=_u(job.deadline_at))]
        if job.sources:
            statements.append(insert(t.sources).values([
                {"job_id": job.id, "source": s, "department": d, "answered": 0, "failed": 0}
                for s, d in job.sources]))
        return statements

    def completion(self, job_id: str, token: str, results: Sequence[ItemResult],
                   retries: Sequence[tuple[int, dt.datetime]]
                   ) -> list[Executable | tuple[Executable, list[dict[str, Any]]]]:
        """The store changes that record a chunk's results and put its retries back in the
        queue (commit them with the chunk's audit entry, together with its reports): a
        statement, or a (statement, rows) executemany. A result already recorded makes the
        whole set fail (the entry's changes are kept whole or not at all).

        The results are rows of one INSERT, not a multi-row VALUES built per chunk: that
        statement, a thousand bound values for a chunk of 100, was compiled anew every time
        (py-spy: the largest single cost of a job chunk's audit entry)."""
        t = self.t
        out: list[Executable | tuple[Executable, list[dict[str, Any]]]] = []
        if results:
            out.append((self._record_results, [{
                "job_id": job_id, "seq": r.seq, "uscc": r.uscc, "verdict": r.verdict,
                "report_no": r.report_no, "report_hash": r.report_hash,
                "subject_name": r.subject_name, "findings": ",".join(r.findings),
                "failed": ",".join(r.failed), "attempts": r.attempts} for r in results]))
            out.append(update(t.items).where(
                t.items.c.job_id == job_id, t.items.c.claim == token,
                t.items.c.seq.in_([r.seq for r in results])
            ).values(state="DONE", claim=None, lease_until=None))
            answered: dict[str, int] = {}
            failed: dict[str, int] = {}
            for r in results:
                for s in r.answered:
                    answered[s] = answered.get(s, 0) + 1
                for s in r.failed:
                    failed[s] = failed.get(s, 0) + 1
            for source in sorted(set(answered) | set(failed)):
                out.append(update(t.sources).where(
                    t.sources.c.job_id == job_id, t.sources.c.source == source).values(
                    answered=t.sources.c.answered + answered.get(source, 0),
                    failed=t.sources.c.failed + failed.get(source, 0)))
        for seq, not_before in retries:
            out.append(update(t.items).where(
                t.items.c.job_id == job_id, t.items.c.seq == seq, t.items.c.claim == token
            ).values(state="PENDING", claim=None, lease_until=None, not_before=_u(not_before)))
        return out

    # -- the queue -----------------------------------------------------------------------------

    async def claim(self, limit: int, now: dt.datetime, lease: dt.timedelta) -> Claim | None:
        """Up to `limit` items of one active job that are due (pending, or claimed by a worker
        whose lease has run out), leased to a fresh token; None when there is no work."""
        t = self.t
        items, jobs = t.items, t.jobs
        now = _u(now)
        due = or_(and_(items.c.state == "PENDING", items.c.not_before <= now),
                  and_(items.c.state == "CLAIMED", items.c.lease_until < now))
        token = uuid.uuid4().hex
        probe = (select(items.c.job_id).join(jobs, jobs.c.id == items.c.job_id)
                 .where(due, jobs.c.status.in_(ACTIVE)).limit(1))
        try:
            async with self.engine.connect() as conn:  # idle workers take no write lock
                if (await conn.execute(probe)).scalar() is None:
                    return None
            async with self.engine.begin() as conn:
                if self.engine.dialect.name == "sqlite":
                    # Take the write lock first, as BEGIN IMMEDIATE would: a transaction that
                    # read before writing could not be serialised after another claimer's.
                    await conn.execute(update(jobs).where(jobs.c.id == "").values(
                        status=jobs.c.status))
                job_id = (await conn.execute(probe)).scalar()
                if job_id is None:
                    return None
                # Two statements, not UPDATE … IN (SELECT … LIMIT): PostgreSQL may run such a
                # subquery more than once, and its LIMIT then bounds nothing.
                chosen = (await conn.execute(
                    select(items.c.seq).where(items.c.job_id == job_id, due)
                    .order_by(items.c.seq).limit(limit)
                    .with_for_update(skip_locked=True))).scalars().all()
                if not chosen:
                    return None
                rows = (await conn.execute(
                    update(items).where(items.c.job_id == job_id, items.c.seq.in_(chosen))
                    .values(state="CLAIMED", claim=token, lease_until=now + lease,
                            attempts=items.c.attempts + 1)
                    .returning(items.c.seq, items.c.uscc, items.c.attempts))).all()
                await conn.execute(update(jobs).where(jobs.c.id == job_id,
                                                      jobs.c.status == "QUEUED")
                                   .values(status="RUNNING", started_at=now))
                job = (await conn.execute(select(jobs).where(jobs.c.id == job_id))).one()
        except (SQLAlchemyError, OSError) as exc:
            raise JobsUnavailable(f"the job queue could not be read ({exc})") from exc
        if not rows:
            return None
        return Claim(_job(job), token, tuple(sorted((r.seq, r.uscc, r.attempts - 1)
                                                   for r in rows)))

    async def release(self, job_id: str, token: str) -> None:
        """Give a claim back at once (a chunk that could not run); its items are due again."""
        items = self.t.items
        try:
            async with self.engine.begin() as conn:
                await conn.execute(update(items).where(
                    items.c.job_id == job_id, items.c.claim == token, items.c.state == "CLAIMED"
                ).values(state="PENDING", claim=None, lease_until=None))
        except (SQLAlchemyError, OSError) as exc:
            raise JobsUnavailable(f"a claim could not be released ({exc})") from exc

    async def left(self, job_id: str) -> int:
        """Items of the job without a result."""
        items = self.t.items
        return int(await self._scalar(select(func.count()).select_from(items).where(
            items.c.job_id == job_id, items.c.state != "DONE")))

    async def report_hashes(self, job_id: str) -> list[tuple[int, str, str]]:
        """(seq, report number, report hash) of every result, in list order."""
        r = self.t.results
        try:
            async with self.engine.connect() as conn:
                rows = (await conn.execute(select(r.c.seq, r.c.report_no, r.c.report_hash)
                                           .where(r.c.job_id == job_id)
                                           .order_by(r.c.seq))).all()
        except (SQLAlchemyError, OSError) as exc:
            raise JobsUnavailable(f"the job's results could not be read ({exc})") from exc
        return [(row.seq, row.report_no, row.report_hash) for row in rows]

    async def finish(self, job_id: str, manifest: dict[str, Any], now: dt.datetime) -> bool:
        """Mark a running job DONE with its manifest, if every item has its result and no one
        did so first."""
        jobs, items = self.t.jobs, self.t.items
        try:
            async with self.engine.begin() as conn:
                left = select(func.count()).select_from(items).where(
                    items.c.job_id == job_id, items.c.state != "DONE").scalar_subquery()
                result = await conn.execute(update(jobs).where(
                    jobs.c.id == job_id, jobs.c.status == "RUNNING", left == 0).values(
                    status="DONE", finished_at=_u(now), manifest=orjson.dumps(manifest).decode()))
        except (SQLAlchemyError, OSError) as exc:
            raise JobsUnavailable(f"the job could not be finished ({exc})") from exc
        return bool(result.rowcount)

    async def ready(self) -> list[JobRow]:
        """Running jobs whose every item has its result (to be finished)."""
        jobs, items = self.t.jobs, self.t.items
        open_items = select(items.c.seq).where(items.c.job_id == jobs.c.id,
                                               items.c.state != "DONE").exists()
        try:
            async with self.engine.connect() as conn:
                rows = (await conn.execute(select(jobs).where(jobs.c.status == "RUNNING",
                                                              ~open_items))).all()
        except (SQLAlchemyError, OSError) as exc:
            raise JobsUnavailable(f"the jobs could not be read ({exc})") from exc
        return [_job(r) for r in rows]

    async def fail(self, job_id: str, detail: str, now: dt.datetime) -> None:
        jobs = self.t.jobs
        try:
            async with self.engine.begin() as conn:
                await conn.execute(update(jobs).where(jobs.c.id == job_id,
                                                      jobs.c.status.in_(ACTIVE))
                                   .values(status="FAILED", detail=detail, finished_at=_u(now)))
        except (SQLAlchemyError, OSError) as exc:
            raise JobsUnavailable(f"the job could not be marked failed ({exc})") from exc

    # -- reading, for the job's caller ---------------------------------------------------------

    async def job(self, job_id: str, caller: str) -> JobRow:
        """The job, if `caller` submitted it; raise `JobUnknown` otherwise (one answer for an
        unknown job and another caller's)."""
        jobs = self.t.jobs
        try:
            async with self.engine.connect() as conn:
                row = (await conn.execute(select(jobs).where(jobs.c.id == job_id,
                                                             jobs.c.caller == caller))).first()
        except (SQLAlchemyError, OSError) as exc:
            raise JobsUnavailable(f"the job could not be read ({exc})") from exc
        if row is None:
            raise JobUnknown(f"没有编号为 {job_id} 的核查任务（或该任务不是本单位提交的）")
        return _job(row)

    async def view(self, job_id: str, caller: str) -> JobView:
        job = await self.job(job_id, caller)
        r, s = self.t.results, self.t.sources
        try:
            async with self.engine.connect() as conn:
                counts = (await conn.execute(select(r.c.verdict, func.count())
                                             .where(r.c.job_id == job_id)
                                             .group_by(r.c.verdict))).all()
                sources = (await conn.execute(select(s).where(s.c.job_id == job_id)
                                              .order_by(s.c.source))).all()
        except (SQLAlchemyError, OSError) as exc:
            raise JobsUnavailable(f"the job's progress could not be read ({exc})") from exc
        verdicts = {str(v): int(n) for v, n in counts}
        return JobView(job, sum(verdicts.values()), verdicts, tuple(
            SourceProgress(x.source, x.department, x.answered, x.failed) for x in sources))

    async def cancel(self, job_id: str, caller: str, now: dt.datetime) -> JobView:
        """Cancel an active job (items in flight still finish); an ended job stays as it is."""
        await self.job(job_id, caller)
        jobs = self.t.jobs
        try:
            async with self.engine.begin() as conn:
                await conn.execute(update(jobs).where(jobs.c.id == job_id,
                                                      jobs.c.status.in_(ACTIVE))
                                   .values(status="CANCELLED", finished_at=_u(now)))
        except (SQLAlchemyError, OSError) as exc:
            raise JobsUnavailable(f"the job could not be cancelled ({exc})") from exc
        return await self.view(job_id, caller)

    async def results(self, job_id: str, page: int = 2000) -> AsyncIterator[list[ResultRow]]:
        """The job's results in list order, a page at a time."""
        r = self.t.results
        after = -1
        while True:
            try:
                async with self.engine.connect() as conn:
                    rows = (await conn.execute(select(r).where(r.c.job_id == job_id,
                                                               r.c.seq > after)
                                               .order_by(r.c.seq).limit(page))).all()
            except (SQLAlchemyError, OSError) as exc:
                raise JobsUnavailable(f"the job's results could not be read ({exc})") from exc
            if not rows:
                return
            after = rows[-1].seq
            yield [ResultRow(x.seq, x.uscc, x.verdict, x.report_no, x.subject_name,
                             _split(x.findings), _split(x.failed)) for x in rows]

    async def result_of(self, job_id: str, report_no: str) -> int | None:
        """The list position (seq) of a report of the job, if it is one."""
        r = self.t.results
        seq = await self._scalar(select(r.c.seq).where(r.c.job_id == job_id,
                                                       r.c.report_no == report_no))
        return None if seq is None else int(seq)

    async def _scalar(self, statement: Any) -> Any:
        try:
            async with self.engine.connect() as conn:
                return (await conn.execute(statement)).scalar()
        except (SQLAlchemyError, OSError) as exc:
            raise JobsUnavailable(f"the job store could not be read ({exc})") from exc


def _split(text: str) -> tuple[str, ...]:
    return tuple(x for x in text.split(",") if x)


def _job(row: Any) -> JobRow:
    m = row._mapping
    manifest = m["manifest"]
    return JobRow(
        id=m["id"], caller=m["caller"], kind=m["kind"], purpose=m["purpose"],
        case_no=m["case_no"], operator=m["operator"], since=m["since"], until=m["until"],
        status=m["status"], total=m["total"], created_at=_utc(m["created_at"]) or dt.datetime.min,
        started_at=_utc(m["started_at"]), deadline_at=_utc(m["deadline_at"]) or dt.datetime.min,
        finished_at=_utc(m["finished_at"]), detail=m["detail"],
        skipped=tuple(BadLine(b["line"], b["text"], b["reason"])
                      for b in orjson.loads(m["skipped"])),
        manifest=None if manifest is None else orjson.loads(manifest))
