"""Batch check jobs over HTTP: `POST /jobs` takes an enterprise list as a file, and
`GET /jobs/{id}/…` hands out what a job produced.

`POST /jobs?kind=IPO_COMPLIANCE[&caseNo=…&since=…&until=…&skipInvalid=true&filename=…]` with
the CSV or XLSX file as the request body (`Content-Type: text/csv` or the XLSX media type; no
multipart needed). A list with invalid lines is refused with every bad line and its reason,
unless `skipInvalid=true`, when they are left out and reported. Answers 202 with the job id.

`GET /jobs/{id}/results.csv|results.xlsx[?lang=en]` (one row per enterprise),
`/jobs/{id}/manifest.json` (the signed manifest of a finished job),
`/jobs/{id}/reports/{reportNo}.json` (one signed report) and
`/jobs/{id}/proofs/{reportNo}.json` (its inclusion proof in the manifest). Only the caller that
submitted the job may read it; for anyone else the job does not exist. Every request goes
through the gateway and leaves an audit entry, as a GraphQL request does.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from connectors.catalogue import CheckKind
from consent.enforcement import Caller
from consent.errors import AccessDenied
from hub.config.settings import Settings
from hub.endpoint import audited, authenticate, error_body
from hub.graphql_http import CHINA, AuditSink, callers_by_key
from hub.headers import HeaderError, decode_text
from hub.trail import RequestMeta, Trail
from jobs.errors import ListInvalid, ListTooLarge
from jobs.listing import MAX_LIST_BYTES, read_list
from jobs.results_file import Lang, csv_lines, xlsx_bytes
from jobs.store import ResultRow
from schema.errors import BadUserInput, HubError, NotFound
from schema.gateway import Gateway, Services

__all__ = ["XLSX", "JobsEndpoint"]

_STATUS = {"UNAUTHENTICATED": 401, "FORBIDDEN": 403, "NOT_FOUND": 404, "BAD_USER_INPUT": 400,
           "PURPOSE_REQUIRED": 403, "AUDIT_UNAVAILABLE": 503, "INTERNAL": 500}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_KINDS = {"ipo": CheckKind.IPO_COMPLIANCE, "bankruptcy": CheckKind.BANKRUPTCY}


def _date(request: Request, name: str) -> dt.date | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise BadUserInput(f"{name}: {raw!r} is not a date (YYYY-MM-DD)") from None


def _kind(request: Request) -> CheckKind:
    raw = request.query_params.get("kind", "")
    kind = _KINDS.get(raw.lower()) or next((k for k in CheckKind if k.value == raw), None)
    if kind is None:
        raise BadUserInput(f"kind: {raw!r} is not a check; give kind=IPO_COMPLIANCE or "
                           "kind=BANKRUPTCY")
    return kind


def _meta(request: Request, kind: CheckKind | None = None) -> RequestMeta:
    values: dict[str, str | None] = {}
    for name in ("X-Hub-Purpose", "X-Hub-Operator", "X-Hub-Case"):
        raw = request.headers.get(name)
        try:
            values[name] = None if raw is None else decode_text(name, raw)
        except HeaderError as exc:
            raise BadUserInput(str(exc)) from None
    purpose = values["X-Hub-Purpose"] or (kind.value if kind is not None else None)
    return RequestMeta(purpose, values["X-Hub-Operator"], values["X-Hub-Case"])


async def _body(request: Request) -> bytes:
    """The uploaded file, refused as soon as it is larger than a list may be."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_LIST_BYTES:
        raise ListTooLarge(_too_large(int(declared)))
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_LIST_BYTES:
            raise ListTooLarge(_too_large(size))
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(size: int) -> str:
    return (f"文件大于上限 {MAX_LIST_BYTES // 1024 // 1024} MB（至少 {size / 1024 / 1024:.1f} "
            "MB）；一个任务最多 100,000 家企业，请只保留信用代码一列或拆分名单")


class JobsEndpoint:
    def __init__(self, settings: Settings, services: Services, audit: AuditSink,
                 clock: Callable[[], dt.datetime] | None = None) -> None:
        self.settings = settings
        self.services = services
        self.audit = audit
        self.clock = clock or (lambda: dt.datetime.now(CHINA))
        self._callers = callers_by_key(settings)

    def _authenticate(self, request: Request) -> Caller:
        return authenticate(request, self._callers, "send Authorization: Bearer <api key>")

    async def _audited(self, trail: Trail, body: dict[str, Any], facts: Any
                       ) -> dict[str, Any] | None:
        return await audited(self.audit, trail, body, self.settings.matters, facts,
                             "nothing was done or released")

    # -- POST /jobs ----------------------------------------------------------------------------

    async def submit(self, request: Request) -> Response:
        now = self.clock()
        request_id = uuid.uuid4().hex
        trail = Trail(now, request_id, operation="submitCheckJob")
        facts = None
        status = 202
        try:
            caller = self._authenticate(request)
            trail.caller = caller.name
            kind = _kind(request)
            trail.meta = meta = _meta(request, kind)
            since, until = _date(request, "since"), _date(request, "until")
            case_no = request.query_params.get("caseNo") or None
            if case_no is not None and len(case_no) > 128:
                raise BadUserInput("caseNo: at most 128 characters")
            skip = request.query_params.get("skipInvalid", "").lower() in ("1", "true", "yes")
            listed = read_list(await _body(request),
                               request.query_params.get("filename", "")).checked(skip)
            gateway = Gateway(self.services, caller, meta.purpose, now, request_id=request_id,
                              operator=meta.operator, case=meta.case)
            try:
                job = await gateway.submit_job("submitCheckJob", kind, listed.usccs, since=since,
                                         until=until, case_no=case_no, skipped=listed.bad,
                                         deadline=dt.timedelta(
                                             seconds=self.settings.jobs.deadline_s))
            finally:
                facts = gateway.facts()
            body: dict[str, Any] = {"data": {
                "jobId": job.id, "status": "QUEUED", "total": len(job.usccs),
                "duplicates": listed.duplicates, "header": listed.header,
                "skipped": [b.as_json() for b in listed.bad]}}
        except ListInvalid as exc:
            status = 413 if isinstance(exc, ListTooLarge) else 400
            body = error_body(exc.code, exc.message, badLines=[b.as_json() for b in exc.bad])
        except (HubError, AccessDenied) as exc:
            status, body = _STATUS.get(exc.code, 500), error_body(exc.code, exc.message)
        answer = await self._audited(trail, body, facts)
        headers = {"X-Request-Id": request_id, "Cache-Control": "no-store"}
        if answer is not None:
            return JSONResponse(answer, status_code=503, headers=headers)
        return JSONResponse(body.get("data", body) if status == 202 else body,
                            status_code=status, headers=headers)

    # -- GET /jobs/{id}/… ----------------------------------------------------------------------

    async def file(self, request: Request) -> Response:
        now = self.clock()
        request_id = uuid.uuid4().hex
        trail = Trail(now, request_id, operation="checkJobFile")
        job_id = str(request.path_params["job_id"])
        name = str(request.path_params["file"])
        path = f"jobs/{job_id}/{name}"
        lang: Lang = "en" if request.query_params.get("lang") == "en" else "zh"
        facts = None
        response: Response | None = None
        try:
            caller = self._authenticate(request)
            trail.caller = caller.name
            trail.meta = meta = _meta(request)
            if len(job_id) > 64 or len(name) > 80:
                raise NotFound(f"{path}: no such file")
            gateway = Gateway(self.services, caller, None, now, request_id=request_id,
                              operator=meta.operator, case=meta.case)
            try:
                response = await self._file(gateway, path, job_id, name, lang)
            finally:
                facts = gateway.facts()
            body: dict[str, Any] = {"data": {"file": name}}
            status = 200
        except (HubError, AccessDenied) as exc:
            status, body = _STATUS.get(exc.code, 500), error_body(exc.code, exc.message)
        answer = await self._audited(trail, body, facts)
        headers = {"X-Request-Id": request_id, "Cache-Control": "no-store"}
        if answer is not None:
            return JSONResponse(answer, status_code=503, headers=headers)
        if status != 200 or response is None:
            return JSONResponse(body, status_code=status, headers=headers)
        response.headers.update(headers)
        return response

    async def _file(self, gateway: Gateway, path: str, job_id: str, name: str, lang: Lang
                    ) -> Response:
        if name in ("results.csv", "results.xlsx"):
            job, pages = await gateway.job_results(path, job_id)
            disposition = {"Content-Disposition": f'attachment; filename="{job_id}-{name}"'}
            if name.endswith(".csv"):
                rows = [row async for page in pages for row in page]
                text = "".join(csv_lines(job.kind, [rows], job.skipped, lang))
                return Response(text.encode("utf-8"), media_type="text/csv; charset=utf-8",
                                headers=disposition)
            rows = await _collect(pages)
            content = await asyncio.to_thread(xlsx_bytes, job.kind, rows, job.skipped, lang)
            return Response(content, media_type=XLSX, headers=disposition)
        if name == "manifest.json":
            view = await gateway.check_job(path, job_id)
            if view.job.manifest is None:
                raise NotFound(f"任务 {job_id} 尚未完成（状态 {view.job.status}），还没有签名清单")
            return Response(orjson.dumps(view.job.manifest), media_type="application/json")
        folder, _, file = name.partition("/")
        report_no = file.removesuffix(".json")
        if folder == "reports" and file.endswith(".json") and report_no:
            report = await gateway.job_report(path, job_id, report_no)
            signed = {"report": orjson.loads(report.document), "signature": report.signature,
                      "keyId": report.key_id}
            return Response(orjson.dumps(signed), media_type="application/json")
        if folder == "proofs" and file.endswith(".json") and report_no:
            proof = await gateway.job_proof(path, job_id, report_no)
            return Response(orjson.dumps(proof), media_type="application/json")
        raise NotFound(f"{name}: ask for results.csv, results.xlsx, manifest.json, "
                       "reports/<report number>.json or proofs/<report number>.json")


async def _collect(pages: AsyncIterator[list[ResultRow]]) -> list[ResultRow]:
    return [row async for page in pages for row in page]

