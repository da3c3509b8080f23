"""Filed reports over HTTP: `GET /reports/{reportNo}.pdf|.html` and `GET /verify?no=…&code=…`.

`/reports/…` prints a filed report again, for the department that requested it and for
auditors (`Authorization: Bearer <api key>`); the read goes through the gateway, which decides
and records it, and leaves an audit entry like any GraphQL request before the document leaves.
The PDF is laid out in a worker process (`hub.report.printer`).

`/verify` answers anyone — a bank, a court clerk, whoever scanned the QR code on a 告知书 —
whether a report with that number and verification code exists, with its verdict, date and
subject name, and whether its stored signature holds; nothing more. An unknown number and a
wrong code give the same answer, so report numbers cannot be probed. JSON by default, a short
Chinese page for a browser (`Accept: text/html`). Every answer is audited too.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import uuid
from collections.abc import Callable
from concurrent.futures import BrokenExecutor
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from consent.enforcement import Caller
from consent.errors import AccessDenied
from hub.config.settings import Settings
from hub.endpoint import audited, authenticate, error_body
from hub.graphql_http import CHINA, AuditSink, callers_by_key
from hub.headers import HeaderError, decode_text
from hub.report.html import render_html
from hub.report.printer import Printer
from hub.report.view import ReportView
from hub.trail import RequestMeta, Trail
from schema.errors import BadUserInput, HubError, NotFound
from schema.gateway import Gateway, Services
from schema.report import ReportCheck

__all__ = ["PUBLIC", "ReportsEndpoint"]

log = logging.getLogger("hub.reports")

PUBLIC = Caller("public", "公众", "public", frozenset())  # who asks /verify: anyone
_STATUS = {"UNAUTHENTICATED": 401, "FORBIDDEN": 403, "NOT_FOUND": 404, "BAD_USER_INPUT": 400,
           "AUDIT_UNAVAILABLE": 503}
_VERDICTS = {"CLEAN": "未发现问题", "FINDINGS": "发现问题", "INCOMPLETE": "核查不完整",
             "SUBJECT_UNKNOWN": "登记机关无此企业"}


class ReportsEndpoint:
    def __init__(self, settings: Settings, services: Services, audit: AuditSink,
                 printer: Printer, clock: Callable[[], dt.datetime] | None = None) -> None:
        self.settings = settings
        self.clock = clock or (lambda: dt.datetime.now(CHINA))
        self.services = services
        self.audit = audit
        self.printer = printer
        self._callers = callers_by_key(settings)

    # -- GET /reports/{reportNo}.pdf|.html -----------------------------------------------------

    async def report(self, request: Request) -> Response:
        now = self.clock()
        request_id = uuid.uuid4().hex
        trail = Trail(now, request_id)
        name = str(request.path_params["file"])
        report_no, _, form = name.rpartition(".")
        path = f"reports/{name}"
        facts = None
        content, media = b"", ""
        try:
            if form not in ("pdf", "html") or not report_no:
                raise NotFound(f"{name}: ask for /reports/<report number>.pdf or .html")
            trail.meta = _meta(request)
            caller = self._authenticate(request)
            trail.caller = caller.name
            gateway = Gateway(self.services, caller, None, now, request_id=request_id,
                              operator=trail.meta.operator, case=trail.meta.case)
            try:
                filed = await gateway.filed_report(path, report_no)
            finally:
                facts = gateway.facts()
            signed = {"report": orjson.loads(filed.document), "signature": filed.signature,
                      "keyId": filed.key_id}
            if form == "pdf":
                content, media = await self.printer.pdf(signed), "application/pdf"
            else:
                content = render_html(ReportView.from_signed(signed),
                                      verify_base=self.printer.verify_base).encode()
                media = "text/html; charset=utf-8"
            body: dict[str, Any] = {"data": {"report": report_no}}
            status = 200
        except (HubError, AccessDenied) as exc:
            status, body = _STATUS.get(exc.code, 500), error_body(exc.code, exc.message)
        except (BrokenExecutor, OSError) as exc:
            log.error("request %s: printing %s failed: %s", request_id, name, exc)
            status, body = 500, error_body("INTERNAL", f"the report could not be printed; quote "
                                                   f"request id {request_id}")
        answer = await self._audited(trail, body, facts)
        headers = {"X-Request-Id": request_id, "Cache-Control": "no-store"}
        if answer is not None:
            return JSONResponse(answer, status_code=503, headers=headers)
        if status != 200:
            if status == 401:
                headers["WWW-Authenticate"] = 'Bearer realm="one-thing-hub"'
            return JSONResponse(body, status_code=status, headers=headers)
        headers["Content-Disposition"] = f'inline; filename="{name}"'
        return Response(content, media_type=media, headers=headers)

    def _authenticate(self, request: Request) -> Caller:
        return authenticate(request, self._callers,
                            "send Authorization: Bearer <api key> to read a report")

    async def _audited(self, trail: Trail, body: dict[str, Any], facts: Any
                       ) -> dict[str, Any] | None:
        return await audited(self.audit, trail, body, self.settings.matters, facts,
                             "nothing was released")

    # -- GET /verify?no=…&code=… ---------------------------------------------------------------

    async def verify(self, request: Request) -> Response:
        now = self.clock()
        request_id = uuid.uuid4().hex
        trail = Trail(now, request_id)
        report_no = request.query_params.get("no", "").strip()
        code = request.query_params.get("code", "").strip()
        wants_page = "text/html" in request.headers.get("accept", "")
        facts = None
        try:
            if not report_no or not code or len(report_no) > 40 or len(code) > 40:
                raise BadUserInput("give no=<report number> and code=<verification code>, as "
                                   "printed on the 告知书 (e.g. no=XXHC-2026-000123&code=ABCD2345)")
            gateway = Gateway(self.services, PUBLIC, None, now, request_id=request_id)
            try:
                check = await gateway.verify_report("verify", report_no, code)
            finally:
                facts = gateway.facts()
            body: dict[str, Any] = {"data": _verification(check)}
            status = 200
        except HubError as exc:
            status, body = _STATUS.get(exc.code, 500), error_body(exc.code, exc.message)
        answer = await self._audited(trail, body, facts)
        headers = {"X-Request-Id": request_id, "Cache-Control": "no-store"}
        if answer is not None:
            return JSONResponse(answer, status_code=503, headers=headers)
        if status != 200:
            return JSONResponse(body, status_code=status, headers=headers)
        if wants_page:
            return HTMLResponse(_page(body["data"]), headers=headers)
        return JSONResponse(body["data"], headers=headers)


def _meta(request: Request) -> RequestMeta:
    """The operator and case number the read is made for (recorded in the audit log)."""
    values: dict[str, str | None] = {}
    for name in ("X-Hub-Operator", "X-Hub-Case"):
        raw = request.headers.get(name)
        try:
            values[name] = None if raw is None else decode_text(name, raw)
        except HeaderError as exc:
            raise BadUserInput(str(exc)) from None
    return RequestMeta(None, values["X-Hub-Operator"], values["X-Hub-Case"])


def _verification(check: ReportCheck) -> dict[str, Any]:
    return {"reportNo": check.report_no, "found": check.found, "verdict": check.verdict,
            "checkedAt": None if check.checked_at is None
            else check.checked_at.astimezone(CHINA).isoformat(),
            "subjectName": check.subject_name, "signatureValid": check.signature_valid}


def _page(v: dict[str, Any]) -> str:
    no = html.escape(str(v["reportNo"]))
    if not v["found"]:
        result = ("<p class=bad>未找到与该编号和验证码相符的核查结果告知书。请核对编号和验证码；"
                  "超过保存期限的告知书也无法核验。</p>")
    else:
        holds = "签名有效" if v["signatureValid"] else "签名无效：该告知书的存档可能被篡改"
        name = html.escape(v["subjectName"] or "（登记机关无此企业）")
        verdict = html.escape(_VERDICTS.get(str(v["verdict"]), str(v["verdict"])))
        result = (f"<p class=good>该告知书由本中枢出具。</p><table>"
                  f"<tr><th>被核查主体</th><td>{name}</td></tr>"
                  f"<tr><th>核查结论</th><td>{verdict}</td></tr>"
                  f"<tr><th>核查时间</th><td>{html.escape(str(v['checkedAt'])[:16])}</td></tr>"
                  f"<tr><th>电子签名</th><td>{holds}</td></tr></table>")
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width">'
            f"<title>核验 {no}</title><style>body{{font-family:sans-serif;margin:2em;}}"
            f"th{{text-align:left;padding-right:1em}}.bad{{color:#a40000}}"
            f"</style></head><body><h1>核查结果告知书核验</h1><p>编号：{no}</p>{result}"
            f"</body></html>")
