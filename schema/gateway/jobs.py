"""Batch check jobs through the gateway: submitting, reading and cancelling a job, its results
and proofs for the caller that submitted it, and running one claimed chunk of it.

A submission is decided like a check (the caller must serve the check's purpose) and creates the
job in the transaction of its audit entry: the entry names the caller, case, purpose, the
number of enterprises and the job (`job:<id>`, `count:<n>`). A chunk runs exactly as an
interactive check does — the registry first, then every source once per batch — and its
reports, results and the items it sends back for a retry are committed with the chunk's own
audit entry (subjects and source calls), so the log stays complete without one giant entry.
An enterprise about which a department did not answer is checked again later
(`jobs.pacing.retry_delay`) until the job's deadline; only then does its report stand with the
gap (INCOMPLETE, unless another department's finding decides the verdict).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from connectors.catalogue import CheckKind
from consent.enforcement import require_purpose
from consent.errors import AccessDenied
from jobs.errors import BadLine, JobError, JobUnknown
from jobs.manifest import inclusion, report_hash, sign_manifest
from jobs.pacing import Pacing, retry_delay
from jobs.store import ACTIVE, Claim, ItemResult, JobRow, JobStore, JobView, NewJob, ResultRow
from reports.store import StoredReport
from schema.checks import FAILED, findings_of, plan
from schema.errors import InternalError, NotFound
from schema.gateway.base import CHINA, log
from schema.gateway.enterprises import EnterpriseData
from schema.period import check_scope
from schema.report import CheckReport, filed

__all__ = ["ChunkDone", "Jobs"]


@dataclass(frozen=True, slots=True)
class ChunkDone:
    """What one chunk did: results recorded, enterprises sent back for a retry."""

    job_id: str
    done: int
    retried: int
    verdicts: dict[str, int]


def _failed_sources(r: CheckReport) -> tuple[str, ...]:
    failed = [o.source or o.domain.code for o in r.outcomes
              if o.counts() and o.status in FAILED]
    if r.verdict == "INCOMPLETE" and not r.outcomes and r.registry.status in FAILED:
        failed.append(r.registry.source or "registry")
    return tuple(sorted(set(failed)))


def _answered(r: CheckReport) -> tuple[str, ...]:
    return tuple(sorted({o.source for o in (r.registry, *r.outcomes)
                         if o.source and o.status in ("OK", "NOT_FOUND")}))


def _findings(r: CheckReport) -> tuple[str, ...]:
    return tuple(o.domain.code for o in (r.registry, *r.outcomes) if findings_of(o))


class Jobs(EnterpriseData):
    """Batch check jobs: submit, read, cancel, results and proofs, and running a chunk."""

    def _store(self) -> JobStore:
        if self._services.jobs is None:
            raise InternalError("this hub keeps no batch jobs")
        return self._services.jobs

    async def _owned(self, path: str, job_id: str) -> JobRow:
        try:
            job = await self._store().job(job_id, self._caller.name)
        except JobUnknown as exc:
            self._deny(path, NotFound(exc.message))
            raise NotFound(exc.message) from None
        self._record.ref(f"job:{job_id}")
        return job

    # -- the caller's side ---------------------------------------------------------------------

    async def submit_job(self, path: str, kind: CheckKind, usccs: Sequence[str], *,
                         since: dt.date | None, until: dt.date | None, case_no: str | None,
                         skipped: Sequence[BadLine] = (), deadline: dt.timedelta) -> NewJob:
        """Decide and create a job; it exists once the request's audit entry is committed."""
        try:
            require_purpose(self._caller, self._purpose, kind.value, what=f"the {kind} check")
        except AccessDenied as exc:
            self._deny(path, exc)
            raise
        today = self._now.astimezone(CHINA).date()
        check_scope(kind, since, until, None, today)  # refused now, not in every chunk
        sources = self._services.sources
        asked = [i.source for i in plan(sources.configs, kind)
                 if i.source is not None and i.source.enabled]
        registry = sources.registry()
        if registry is not None:
            asked.insert(0, registry)
        case = case_no or self._requester.case
        job = NewJob(
            id=NewJob.new_id(), caller=self._caller.name, kind=kind.value,
            purpose=self._purpose or kind.value, case_no=case, operator=self._operator,
            since=since, until=until, usccs=tuple(usccs), skipped=tuple(skipped),
            created_at=self._now, deadline_at=self._now + deadline,
            sources=tuple(dict.fromkeys((s.name, s.department) for s in asked)))
        await self._store().add_items(job)
        for statement in self._store().submission(job):
            self._record.effect(statement)
        self._record.on_commit(self._store().committed)
        self._record.ref(f"job:{job.id}")
        self._record.ref(f"count:{len(job.usccs)}")
        if case:
            self._record.case(case)
        self._record.released(path)
        return job

    async def check_job(self, path: str, job_id: str) -> JobView:
        """The job's progress, for the caller that submitted it (NOT_FOUND for anyone else)."""
        await self._owned(path, job_id)
        view = await self._store().view(job_id, self._caller.name)
        self._record.released(path)
        return view

    async def cancel_job(self, path: str, job_id: str) -> JobView:
        await self._owned(path, job_id)
        view = await self._store().cancel(job_id, self._caller.name, self._now)
        self._record.released(path)
        return view

    async def job_results(self, path: str, job_id: str
                          ) -> tuple[JobRow, AsyncIterator[list[ResultRow]]]:
        """The job and its results in list order (one row per enterprise with a result)."""
        job = await self._owned(path, job_id)
        self._record.released(path)
        return job, self._store().results(job_id)

    async def job_report(self, path: str, job_id: str, report_no: str) -> StoredReport:
        """One signed report of the job."""
        await self._owned(path, job_id)
        if await self._store().result_of(job_id, report_no) is None:
            error = NotFound(f"任务 {job_id} 中没有编号为 {report_no} 的报告")
            self._deny(path, error)
            raise error
        return await self.filed_report(path, report_no)

    async def job_proof(self, path: str, job_id: str, report_no: str) -> dict[str, object]:
        """The inclusion proof of one report in the job's signed manifest (a DONE job)."""
        job = await self._owned(path, job_id)
        if job.manifest is None:
            error = NotFound(f"任务 {job_id} 尚未完成，还没有签名清单（状态 {job.status}）")
            self._deny(path, error)
            raise error
        rows = await self._store().report_hashes(job_id)
        hashes = [h for _, _, h in rows]
        numbers = [n for _, n, _ in rows]
        if report_no not in numbers:
            error = NotFound(f"任务 {job_id} 中没有编号为 {report_no} 的报告")
            self._deny(path, error)
            raise error
        self._record.released(path)
        return inclusion(numbers.index(report_no), hashes, report_no, job.manifest)

    # -- the worker's side ---------------------------------------------------------------------

    async def run_chunk(self, path: str, claim: Claim, pacing: Pacing,
                        rng: random.Random) -> ChunkDone:
        """Check a claimed chunk; record its reports, results and retries as the effects of
        this gateway's audit entry. Raises the coded refusal if the caller may no longer run
        the check."""
        job = claim.job
        kind = CheckKind(job.kind)
        usccs = [u for _, u, _ in claim.items]
        today = self._now.astimezone(CHINA).date()
        scope = check_scope(kind, job.since, job.until, None, today)
        registry, gates = self._gate(path, kind, usccs)
        reports = await self._unfiled(path, kind, usccs, scope, registry, gates)
        register = self._services.reports
        results: list[ItemResult] = []
        retries: list[tuple[int, dt.datetime]] = []
        final: list[StoredReport] = []
        verdicts: dict[str, int] = {}
        for (seq, uscc, attempts), r in zip(claim.items, reports, strict=True):
            failed = _failed_sources(r)
            delay = dt.timedelta(seconds=retry_delay(attempts, rng, base_s=pacing.retry_base_s,
                                                     cap_s=pacing.retry_cap_s))
            # Retried whenever a department did not answer, FINDINGS too: the report should
            # be whole, not only its verdict.
            if failed and job.status in ACTIVE and self._now + delay < job.deadline_at:
                retries.append((seq, self._now + delay))
                continue
            stored = filed(r, register.expiry(r.checked_at))
            final.append(stored)
            results.append(ItemResult(seq, uscc, r.verdict, r.report_no,
                                      report_hash(stored.document), r.subject.name,
                                      _findings(r), failed, _answered(r), attempts + 1))
            verdicts[r.verdict] = verdicts.get(r.verdict, 0) + 1
            self._record.ref(f"report:{r.report_no}")
        if final:
            self._record.effect(register.filing(final))
        for statement in self._store().completion(job.id, claim.token, results, retries):
            self._record.effect(statement)
        self._record.ref(f"job:{job.id}")
        return ChunkDone(job.id, len(results), len(retries), verdicts)

    async def finish_job(self, job: JobRow) -> bool:
        """Sign the manifest of a job whose every enterprise has its result and mark it DONE
        (False: items are left, or another worker finished it)."""
        store = self._store()
        if job.status != "RUNNING" or await store.left(job.id):
            return False
        rows = await store.report_hashes(job.id)
        manifest = sign_manifest(self._services.keys, job.id, job.kind, job.caller, job.total,
                                 [h for _, _, h in rows], self._now)
        try:
            return await store.finish(job.id, manifest, self._now)
        except JobError as exc:
            log.error("job %s could not be finished: %s", job.id, exc)
            return False
