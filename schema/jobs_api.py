"""Batch check jobs in GraphQL: `submitCheckJob`, `cancelCheckJob` and `checkJob(id)`.

A job takes up to 100,000 enterprises; its chunks run in the background, each department paced
at its own batch size and concurrency, and enterprises a department did not answer are asked
again until the job's deadline. `checkJob` tells the status, counts by verdict, progress per
source and the time left; the results, reports and proofs are files (`GET /jobs/{id}/…`).
Only the caller that submitted a job sees it: another caller's job id reads as unknown.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from connectors.catalogue import CheckKind
from jobs.listing import MAX_JOB_ITEMS
from jobs.store import JobView
from schema.context import RequestContext, path_of
from schema.errors import BadUserInput
from schema.scalars import CHINA, USCC

__all__ = ["CheckJob", "JobMutations", "JobQueries", "JobSourceProgress", "JobStatus", "VerdictCount"]


@strawberry.enum(description="Where a job stands.")
class JobStatus(Enum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    DONE = "DONE"
    CANCELLED = "CANCELLED"
    FAILED = "FAILED"


@strawberry.type(description="How many enterprises of the job have this verdict.")
class VerdictCount:
    verdict: str
    count: int


@strawberry.type(description="One department source's part of the job.")
class JobSourceProgress:
    source: str
    department: str
    answered: int = strawberry.field(description="enterprises it has answered about")
    failed: int = strawberry.field(description="enterprises it had not answered about by the "
                                               "job's deadline")


@strawberry.type(description="A batch check job.")
class CheckJob:
    id: strawberry.ID
    kind: CheckKind
    status: JobStatus
    total: int
    done: int
    verdicts: list[VerdictCount]
    sources: list[JobSourceProgress]
    case_no: str | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    deadline: dt.datetime
    eta_seconds: float | None = strawberry.field(description="time left at the pace so far")
    detail: str | None = strawberry.field(description="why the job FAILED")
    skipped_lines: int = strawberry.field(description="lines of the list left out as invalid")
    results_csv: str = strawberry.field(description="where the results are (GET, same API key)")
    results_xlsx: str

    @classmethod
    def of(cls, view: JobView, now: dt.datetime) -> CheckJob:
        job = view.job

        def local(moment: dt.datetime | None) -> dt.datetime | None:
            return None if moment is None else moment.astimezone(CHINA)

        return cls(
            id=strawberry.ID(job.id), kind=CheckKind(job.kind), status=JobStatus(job.status),
            total=job.total, done=view.done,
            verdicts=[VerdictCount(verdict=v, count=n) for v, n in sorted(view.verdicts.items())],
            sources=[JobSourceProgress(source=s.source, department=s.department,
                                    answered=s.answered, failed=s.failed) for s in view.sources],
            case_no=job.case_no, created_at=local(job.created_at) or job.created_at,
            started_at=local(job.started_at), finished_at=local(job.finished_at),
            deadline=local(job.deadline_at) or job.deadline_at,
            eta_seconds=None if (eta := view.eta_seconds(now)) is None else round(eta, 1),
            detail=job.detail, skipped_lines=len(job.skipped),
            results_csv=f"/jobs/{job.id}/results.csv", results_xlsx=f"/jobs/{job.id}/results.xlsx")


_CASE = "the case / application number (办件编号) the job serves; default X-Hub-Case"


@strawberry.type
class JobMutations:
    @strawberry.mutation(description="Submit up to 100,000 enterprises as a durable batch check "
                                     "job (lead departments); follow it with checkJob.")
    async def submit_check_job(
            self, info: Info[RequestContext, None], kind: CheckKind, usccs: list[USCC],
            case_no: Annotated[str | None, strawberry.argument(description=_CASE)] = None,
            since: dt.date | None = None, until: dt.date | None = None) -> CheckJob:
        if not usccs:
            raise BadUserInput("usccs: give at least one USCC")
        if len(usccs) > MAX_JOB_ITEMS:
            raise BadUserInput(f"usccs: at most {MAX_JOB_ITEMS:,} enterprises per job, got "
                               f"{len(usccs):,}; split the list")
        if case_no is not None and len(case_no) > 128:
            raise BadUserInput("caseNo: at most 128 characters")
        ctx = info.context
        unique = list(dict.fromkeys(str(u) for u in usccs))
        job = await ctx.gateway.submit_job(path_of(info), kind, unique, since=since, until=until,
                                     case_no=case_no,
                                     deadline=dt.timedelta(seconds=ctx.job_deadline_s))
        return CheckJob(
            id=strawberry.ID(job.id), kind=kind, status=JobStatus.QUEUED, total=len(unique),
            done=0, verdicts=[], sources=[JobSourceProgress(source=s, department=d, answered=0,
                                                         failed=0) for s, d in job.sources],
            case_no=job.case_no, created_at=job.created_at.astimezone(CHINA), started_at=None,
            finished_at=None, deadline=job.deadline_at.astimezone(CHINA), eta_seconds=None,
            detail=None, skipped_lines=0, results_csv=f"/jobs/{job.id}/results.csv",
            results_xlsx=f"/jobs/{job.id}/results.xlsx")

    @strawberry.mutation(description="Cancel a job: nothing more is started; chunks in flight "
                                     "finish. An ended job stays as it is.")
    async def cancel_check_job(self, info: Info[RequestContext, None],
                               id: strawberry.ID) -> CheckJob:
        view = await info.context.gateway.cancel_job(path_of(info), _job_id(id))
        return CheckJob.of(view, info.context.now)


@strawberry.type
class JobQueries:
    @strawberry.field(description="A batch check job of this caller: status, counts by verdict, "
                                  "progress per source and the time left.")
    async def check_job(self, info: Info[RequestContext, None], id: strawberry.ID) -> CheckJob:
        view = await info.context.gateway.check_job(path_of(info), _job_id(id))
        return CheckJob.of(view, info.context.now)


def _job_id(raw: str) -> str:
    text = str(raw).strip()
    if not (0 < len(text) <= 64) or not text.isalnum():
        raise BadUserInput("id: not a job id (32 hexadecimal characters, as submitCheckJob "
                           "answered)")
    return text
