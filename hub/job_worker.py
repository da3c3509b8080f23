"""The job worker: claims chunks of batch check jobs and runs them, in the background of every
hub process (`hub serve`, `hub demo`), started and stopped with the app's lifespan.

Each of `chunks_in_flight` loops claims a chunk (`jobs.store.JobStore.claim`), runs it through a
gateway made for the job's caller, purpose and case (`schema.gateway.jobs`), and appends the
chunk's audit entry, which commits the chunk's reports, results and retries with it. A chunk
whose entry cannot be written is given back and claimed again; a worker that dies leaves its
chunk to the lease. A job whose caller may no longer run its check ends FAILED. When no chunk
is due the loop finishes jobs that have every result (signing their manifests) and waits.
Department calls made for a job run at background priority (`connectors.priority`), so that
interactive checks are served first.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import random
from collections.abc import Callable, Mapping

from audit.errors import AuditUnavailable
from connectors.priority import BACKGROUND
from connectors.propagation import REQUEST_ID
from consent.enforcement import Caller
from consent.errors import AccessDenied
from hub.graphql_http import AuditSink
from hub.telemetry import Telemetry
from hub.trail import RequestMeta, Trail
from jobs.errors import JobError
from jobs.pacing import Pacing
from jobs.store import Claim, JobStore
from schema.errors import HubError
from schema.gateway import Gateway, Services

__all__ = ["JobWorker"]

log = logging.getLogger("hub.jobs")


class JobWorker:
    def __init__(self, services: Services, store: JobStore, audit: AuditSink,
                 callers: Mapping[str, Caller], pacing: Pacing,
                 clock: Callable[[], dt.datetime], telemetry: Telemetry,
                 rng: random.Random | None = None) -> None:
        self.services = services
        self.store = store
        self.audit = audit
        self.callers = callers
        self.pacing = pacing
        self.clock = clock
        self.telemetry = telemetry
        self.rng = rng or random.Random()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._run(), name=f"jobs-{i}")
                       for i in range(self.pacing.chunks_in_flight)]

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass
        self._tasks = []

    async def _run(self) -> None:
        while True:
            try:
                busy = await self.step()
            except (JobError, AuditUnavailable) as exc:
                log.error("job worker: %s", exc)
                busy = False
            except Exception as exc:  # a failed step is retried; never silent
                log.error("job worker step failed: %s", exc, exc_info=exc)
                busy = False
            if not busy:
                await self.store.woken(self.pacing.idle_s)

    async def step(self) -> bool:
        """Claim and run one chunk; False when there was nothing to do."""
        now = self.clock()
        claim = await self.store.claim(self.pacing.chunk, now,
                                       dt.timedelta(seconds=self.pacing.lease_s))
        if claim is None or len(claim.items) < self.pacing.chunk:
            await self.finish_ready()
        if claim is None:
            return False
        await self._chunk(claim, now)
        return True

    async def finish_ready(self) -> int:
        """Finish every running job that has all its results; how many were finished."""
        finished = 0
        for job in await self.store.ready():
            caller = self.callers.get(job.caller)
            if caller is None:
                continue
            gateway = Gateway(self.services, caller, job.purpose, self.clock(),
                              request_id=f"job-{job.id}")
            finished += await gateway.finish_job(job)
        return finished

    async def _chunk(self, claim: Claim, now: dt.datetime) -> None:
        job = claim.job
        caller = self.callers.get(job.caller)
        if caller is None:
            await self.store.fail(job.id, f"调用方 {job.caller} 已不在本中枢的配置中", now)
            await self.store.release(job.id, claim.token)
            return
        # The process is named, so that the log shows how instances shared the job.
        request_id = f"job-{job.id}-p{os.getpid()}-{claim.token[:8]}"
        gateway = Gateway(self.services, caller, job.purpose, now, request_id=request_id,
                          operator=job.operator, case=job.case_no)
        trail = Trail(now, request_id, caller.name, operation="checkJobChunk",
                      meta=RequestMeta(job.purpose, job.operator, job.case_no))
        body: dict[str, object] = {"data": {}}
        request = REQUEST_ID.set(request_id)
        background = BACKGROUND.set(True)
        done = None
        try:
            done = await gateway.run_chunk(f"checkJob.{job.id}", claim, self.pacing, self.rng)
        except AccessDenied as exc:
            await self.store.fail(job.id, exc.message, now)
            body = {"errors": [{"extensions": {"code": exc.code}}]}
        except HubError as exc:
            log.error("job %s: a chunk failed (%s); it will be claimed again", job.id, exc)
            body = {"errors": [{"extensions": {"code": exc.code}}]}
        finally:
            BACKGROUND.reset(background)
            REQUEST_ID.reset(request)
        record = trail.record(body, self.services.matters, gateway.facts())
        try:
            await self.audit.append(record)
        except AuditUnavailable as exc:
            log.error("job %s: chunk not recorded (%s); it will be claimed again", job.id, exc)
            done = None
        if done is None:
            await self.store.release(job.id, claim.token)
            return
        log.info("job chunk", extra={"job_id": job.id, "items": len(claim.items),
                                     "done": done.done, "retried": done.retried,
                                     "pid": os.getpid()})
        for verdict, count in done.verdicts.items():
            self.telemetry.job_items.labels(verdict).inc(count)
