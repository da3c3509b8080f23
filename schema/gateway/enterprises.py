"""Enterprise data and checks: registration, an enterprise's data under its authorisation, the
checks with their subject gate, and the filed reports."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any, Literal

from connectors.base import Answer
from connectors.catalogue import CheckKind
from connectors.config import SourceConfig
from connectors.records import Record
from consent.catalogue import Matter
from consent.enforcement import (
    matter_of,
    require_any_purpose,
    require_purpose,
)
from consent.errors import (
    AccessDenied,
    Forbidden,
)
from reports.codes import CODE_LENGTH, is_report_no, verification_code
from reports.store import RegisterUnavailable, StoredReport
from schema.errors import InternalError, NotFound, SourceFailed
from schema.gateway.assembly import Assembly
from schema.gateway.base import (
    CHINA,
    ENTERPRISE_PURPOSES,
    Fetched,
    GatewayBase,
    Outcome,
    configured_source,
    disputes_by_item,
    log,
)
from schema.period import CheckScope
from schema.report import CheckReport, FiledReports, ReportCheck, assemble, gate
from signing.keys import SignatureInvalid, verify_signature

__all__ = ["EnterpriseData"]

class EnterpriseData(GatewayBase):
    """Enterprise data and checks: registration, an enterprise's data under its authorisation, the"""

    # -- matters -------------------------------------------------------------------------------

    def matter_scope(self) -> Matter:
        """The declared purpose is a registered matter this caller may use; raise if not."""
        return matter_of(self._caller, self._purpose, self._services.matters)

    def enterprise_data(self, path: str, uscc: str, category: str) -> Awaitable[Fetched]:
        """An enterprise's `category` data for the declared matter: under the enterprise's
        authorisation (a consent whose subject is the USCC), or, for a statutory check, its
        registration. Raises the coded refusal now; a source failure when awaited."""
        self._record.subject(uscc)
        try:
            matter = self.matter_scope()
            consent = None
            if matter.legal_basis == "STATUTORY":
                if not matter.releases(category, "enterprise"):
                    raise Forbidden(f"{matter.code} does not release {category} data")
            else:
                consent = self._decide(uscc, category, "enterprise")
            source = configured_source(self._services.sources.enterprise_source(category), category)
        except (AccessDenied, SourceFailed) as exc:
            self._deny(path, exc)
            raise
        if consent is not None:
            self._reliance[(source.name, uscc)] = consent.id
        return self._answer(self._load(source.name, uscc), path, source, uscc, category)

    # -- enterprise data -----------------------------------------------------------------------

    def enterprise(self, path: str, uscc: str, what: Literal["registration"] = "registration"
                   ) -> Awaitable[Record | None]:
        """An enterprise's registration (None: the registry does not know it). Raises the coded
        refusal now, a source failure when awaited."""
        try:
            self.enterprise_scope()
            source = self._services.sources.registry()
            if source is None:
                raise SourceFailed("UNAVAILABLE", "no registry source is configured")
        except (AccessDenied, SourceFailed) as exc:
            self._deny(path, exc)
            raise
        self._record.subject(uscc)
        return self._enterprise_answer(self._load(source.name, uscc), path)

    def enterprise_scope(self) -> str:
        """The declared purpose is a check that may read enterprise data; raise if not."""
        return require_any_purpose(self._caller, self._purpose, ENTERPRISE_PURPOSES,
                                   what="enterprise data")

    async def _enterprise_answer(self, pending: Awaitable[Outcome], path: str) -> Record | None:
        answer = await pending
        if isinstance(answer, AccessDenied):  # enterprise sources take no consent
            raise InternalError("an enterprise source answered with a consent refusal")
        if answer.status in ("OK", "NOT_FOUND"):
            self._record.released(path)
            return answer.records[0] if answer.records else None
        failure = SourceFailed(answer.status, f"the market registry did not answer: "
                                              f"{answer.detail or answer.status}")
        self._deny(path, failure)
        raise failure

    # -- checks --------------------------------------------------------------------------------

    def check(self, path: str, kind: CheckKind, uscc: str, scope: CheckScope
              ) -> Awaitable[CheckReport]:
        """One subject's signed, filed report: the registry first, then every other source
        about it at once (slowest first, by recent latency: one thread issues the calls one
        after another, so a slow department asked last would add that delay to the answer)."""
        registry, gates = self._gate(path, kind, [uscc])
        return self._check(path, kind, uscc, scope, registry, gates)

    async def _check(self, path: str, kind: CheckKind, uscc: str, scope: CheckScope,
                     registry: SourceConfig | None, gates: list[Awaitable[Outcome]]
                     ) -> CheckReport:
        _, run = await self._assembly(path, kind, [uscc], scope, registry, gates)
        (report,) = await run()
        return report

    def checks(self, path: str, kind: CheckKind, usccs: Sequence[str], scope: CheckScope
               ) -> Awaitable[list[Awaitable[CheckReport]]]:
        """Ask the registry about every subject now; when it has answered, every other source
        about the subjects it confirmed; number, sign and file one report per subject.

        One awaitable per subject, in order: each resolves as soon as every source has
        answered about its subject (`schema.gateway.assembly`), so that the executor completes
        a report while the departments are still answering about the others."""
        registry, gates = self._gate(path, kind, usccs)
        return self._handed(path, kind, list(usccs), scope, registry, gates)

    async def _handed(self, path: str, kind: CheckKind, usccs: list[str], scope: CheckScope,
                      registry: SourceConfig | None, gates: list[Awaitable[Outcome]]
                      ) -> list[Awaitable[CheckReport]]:
        assembly, run = await self._assembly(path, kind, usccs, scope, registry, gates)
        items = assembly.items()
        maker = assembly.maker = asyncio.ensure_future(run())
        maker.add_done_callback(_settled)
        return items

    async def _unfiled(self, path: str, kind: CheckKind, usccs: list[str], scope: CheckScope,
                       registry: SourceConfig | None, gates: list[Awaitable[Outcome]]
                       ) -> list[CheckReport]:
        """A job's chunk: the signed reports, in order, not filed (the job files them itself,
        with the chunk's results and audit entry); interactive requests get their turn
        between its reports."""
        turn = self._services.background_turn
        _, run = await self._assembly(path, kind, usccs, scope, registry, gates, file=False,
                                      between=turn if turn is not None else _yield)
        return await run()

    def _gate(self, path: str, kind: CheckKind, usccs: Sequence[str]
              ) -> tuple[SourceConfig | None, list[Awaitable[Outcome]]]:
        """Decide (raising the coded refusal), record the subjects and ask the registry about
        each of them now, before any await: the registry source and its pending answers."""
        try:
            require_purpose(self._caller, self._purpose, kind.value, what=f"the {kind} check")
        except AccessDenied as exc:
            self._deny(path, exc)
            raise
        registry = self._services.sources.registry()
        for uscc in usccs:
            self._record.subject(uscc)
        gates = [self._load(registry.name, u) for u in usccs] if registry is not None else []
        return registry, gates

    async def _assembly(self, path: str, kind: CheckKind, usccs: list[str], scope: CheckScope,
                        registry: SourceConfig | None, gates: list[Awaitable[Outcome]], *,
                        file: bool = True, between: Callable[[], Awaitable[None]] | None = None
                        ) -> tuple[Assembly[Outcome, CheckReport],
                                   Callable[[], Awaitable[list[CheckReport]]]]:
        """Wait for the registry's gate, ask every other source about the subjects it
        confirmed, number the reports: the batch's assembly, and what makes its reports (and,
        unless `file` is false, files them with the request's audit entry)."""
        sources = self._services.sources
        waiting = time.perf_counter()
        said = [self._enterprise_outcome(a) for a in await asyncio.gather(*gates)] \
            if gates else [None] * len(usccs)
        self._record.waited(waiting, time.perf_counter())
        subjects = [gate(u, registry, a, self._requester) for u, a in zip(usccs, said,
                                                                            strict=True)]
        items = sources.plan(kind)
        # Each source is asked once about every confirmed subject (duplicates once), the one
        # expected to take longest over them all first.
        asked = list(dict.fromkeys(g.subject.uscc for g in subjects if g.confirmed))
        order = sorted(range(len(items)), reverse=True,
                       key=lambda i: sources.expected_ms(items[i].source, len(asked)))
        column = {uscc: j for j, uscc in enumerate(asked)}
        reports_of: list[list[int]] = [[] for _ in asked]
        loose: list[int] = []
        for k, g in enumerate(subjects):
            (reports_of[column[g.subject.uscc]] if g.confirmed else loose).append(k)
        assembly: Assembly[Outcome, CheckReport] = Assembly(len(items), asked, reports_of,
                                                             loose)
        for i in order if asked else ():
            source = items[i].source
            if source is not None and source.enabled:  # one subject: no answer comes early
                each = assembly.answer(i) if len(asked) > 1 else None
                assembly.expect(i, self._load_batch(source.name, asked, each))
        register = self._services.reports
        now = self._now.astimezone(CHINA)
        try:
            with self._register("no report number could be allocated; no report was issued"):
                numbers = await register.issue(now.year, len(usccs))
            objected = dict(zip(asked, await self._open_objections_of(asked), strict=True))
            await register.purge_due(now)
        except BaseException:
            assembly.abandon()
            raise
        # A batch holds every signed document until the audit entry files them: the first of a
        # confirmed subject as signed, the later ones deflated against it (they repeat most of
        # its text). A job's chunk files its reports at once (and hashes them): as signed.
        deflate = file and len(usccs) > 1
        primer: bytes | None = None
        filing = FiledReports(len(usccs), register.expiry)

        def make(k: int, answers: list[Outcome | None]) -> CheckReport:
            nonlocal primer
            g = subjects[k]
            report = assemble(
                self._services.keys, kind, g, items if g.confirmed else [],
                [None if a is None else self._enterprise_outcome(a) for a in answers],
                report_no=numbers[k], report_id=uuid.uuid4().hex, scope=scope,
                requester=self._requester, now=now,
                disputes=disputes_by_item(objected.get(g.subject.uscc, [])),
                application=self.application_id(), primer=primer)
            if deflate and primer is None and g.confirmed:
                primer = report.signed
            if file:
                filing.put(k, report)
            return report

        def finish() -> None:
            if file:  # in the audit entry's transaction: on file exactly when the request is
                self._record.effect(register.filing(filing))  # on record
            self._record.released(path)
            for number, report_id in filing.numbers_and_ids() if file else ():
                self._record.ref(f"report:{number}")  # what the request issued (objections
                self._record.ref(f"report:{report_id}")  # name them)

        async def run() -> list[CheckReport]:
            return await assembly.run(make, finish, waited=self._record.waited,
                                      between=between) or []

        return assembly, run

    def _enterprise_outcome(self, outcome: Outcome) -> Answer:
        if isinstance(outcome, AccessDenied):  # enterprise sources take no consent
            raise InternalError("an enterprise source answered with a consent refusal")
        return outcome

    @contextlib.contextmanager
    def _register(self, failed: str) -> Iterator[None]:
        """Turn a failure of the report register into a coded INTERNAL error (logged)."""
        try:
            yield
        except RegisterUnavailable as exc:
            log.error("request %s: %s", self._requester.request_id, exc)
            raise InternalError(f"{failed} (the report register is unavailable); try again "
                                "later") from None

    # -- filed reports -------------------------------------------------------------------------

    async def filed_report(self, path: str, report_no: str) -> StoredReport:
        """A filed report, for the department that requested it or an auditor. Raises NOT_FOUND
        (no such report, or its retention has ended) or FORBIDDEN."""
        with self._register("the report could not be read"):
            report = await self._services.reports.get(report_no, self._now) \
                if is_report_no(report_no) else None
        try:
            if report is None:
                raise NotFound(f"there is no report {report_no} (or its retention period has "
                               "ended); check the number printed on the 告知书")
            if self._caller.role != "auditor" and self._caller.name != report.caller:
                raise Forbidden(f"report {report_no} may be read only by the department that "
                                "requested it and by auditors")
        except (NotFound, Forbidden) as exc:
            self._deny(path, exc)
            raise
        self._record.subject(report.uscc)
        self._record.released(path)
        return report

    async def verify_report(self, path: str, report_no: str, code: str) -> ReportCheck:
        """Whether a report with this number and verification code exists, for anyone. An
        unknown number and a wrong code give the same answer, so numbers cannot be probed."""
        with self._register("the report could not be checked"):
            report = await self._services.reports.get(report_no, self._now) \
                if is_report_no(report_no) and len(code) == CODE_LENGTH else None
        expected = verification_code(report.signature) if report is not None else "-" * 8
        if report is None or not hmac.compare_digest(expected.encode(), code.upper().encode()):
            return ReportCheck(report_no, found=False)
        try:
            verify_signature(self._services.keys.public, report.key_id, report.document,
                             report.signature)
            holds = True
        except SignatureInvalid:
            holds = False
        self._record.subject(report.uscc)
        self._record.released(path)
        return ReportCheck(report_no, True, report.verdict, report.checked_at,
                           report.subject_name, holds)


async def _yield() -> None:
    await asyncio.sleep(0)


def _settled(task: asyncio.Future[Any]) -> None:
    """A batch's maker has ended; what it raised reached the reports' awaitables already."""
    if not task.cancelled():
        task.exception()
