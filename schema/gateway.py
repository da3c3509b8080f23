"""The choke point: every piece of subject data leaves the hub through a `Gateway`.

One gateway per request, and one method per kind of data — `person`, `enterprise`, `checks` —
each of which, in one call, decides (raising the coded error: purpose, legal basis, consent),
picks the source, loads through the request's own dataloader (batched with every other load of
the same tick; nothing is awaited before the load) and records what the audit trail needs. A
path is recorded as released only once its answer came back; a department that did not answer
records a denial with its code. A consent's use is taken inside the batch function, just
before the first source call that relies on it (`consent.enforcement.ConsentUses`).

The matters (`prefill`) read through three more: `person_data` (a person in a role),
`enterprise_data` (an enterprise's data under its authorisation — a consent whose subject is
its USCC — or, for a statutory check, its registration) and `newborn_data` (a newborn by its
birth medical certificate number, on a parent's consent, released only when the certificate
names that parent). Each answers a `Fetched`: the records with their source, department and
data time.

A check asks the market registry first, for the whole batch in one load, and only then the
other departments, for the subjects the registry confirmed (`schema.report`); its reports are
numbered and filed in the report register before they are returned, and read again through
`filed_report` and `verify_report`. Consent management and audit reads go through the gateway
too (`grant_consent`, `revoke_consent`, `audit_search`, `audit_verification`, `access_log`, and
for the auditor's console `audit_entry`, `audit_status`, `audit_export`, `audit_consents` and
the flag reviews), so that every piece of subject data, and every record about it, is decided
and recorded in one place. So do electronic licences (`licence`, `licences`: decided like the
data category they belong to, fetched from the licence library through a loader, verified
here), objections (`raise_objection`, `objection`, `objections`, and `disputed`, which marks
answers about disputed records) and applications (`open_application`, `application`,
`close_application`). When the request ends, the trail reads one frozen `facts()`; nothing else
reads the gateway's state.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import hmac
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from aiodataloader import DataLoader

from application.store import Application, ApplicationStore, Party
from audit.checkpoint import Checkpoint
from audit.export import export_selection
from audit.log import AuditLog, entry_proof, verify_log
from audit.proofs import EntryProof
from audit.reviews import FlagReview, ReviewStore
from audit.search import SearchFilter, SearchPage
from audit.verify import Verification
from connectors.base import Answer, Call, Connector
from connectors.catalogue import CERTIFICATE_KEYED, CheckKind
from connectors.config import SourceConfig
from connectors.licences import LIBRARY_SOURCE, holder_key, number_key
from connectors.records import Record
from consent.artefact import Consent
from consent.catalogue import Matter
from consent.enforcement import (
    Caller,
    ConsentUses,
    PresentedConsents,
    decide_person,
    matter_of,
    person_matter,
    require_any_purpose,
    require_purpose,
)
from consent.errors import (
    AccessDenied,
    ConsentInvalid,
    ConsentRequired,
    Forbidden,
    PurposeRequired,
)
from consent.pseudonym import pseudonym, pseudonyms
from consent.store import ConsentStore
from licence.catalogue import LicenceType
from licence.issuers import TrustedIssuer
from licence.verify import MalformedLicence
from objection.access import objection_consent
from objection.flow import ObjectionFlow, Step
from objection.model import Event, Objection, Target, fingerprint
from objection.store import ObjectionFilter
from reports.codes import CODE_LENGTH, is_report_no, verification_code
from reports.store import RegisterUnavailable, ReportStore, StoredReport
from schema.checks import plan
from schema.errors import BadUserInput, HubError, InternalError, NotFound, SourceFailed
from schema.facts import Facts, Recorder
from schema.licence_answers import LicenceFinding, assess_answer
from schema.objection_target import enterprise_target, person_target
from schema.period import CheckScope
from schema.report import CheckReport, ReportCheck, Requester, assemble, filed, gate
from schema.sources import SourceSet, SourceState
from schema.wording import circuit_open
from signing.canonical import canonical
from signing.keys import KeyRing, SignatureInvalid, verify_signature

__all__ = ["DATA_OBJECTION", "ENTERPRISE_PURPOSES", "GUARDIAN_FIELDS", "Fetched", "Gateway",
           "ObjectionDraft", "Services"]


async def _nothing() -> list[Objection]:
    return []


def _disputes(open_: list[Objection]) -> dict[str, tuple[str, ...]]:
    """Open objections by "domain/source" ("domain/" when no source is named)."""
    disputes: dict[str, tuple[str, ...]] = {}
    for o in open_:
        key = f"{o.target.item}/{o.target.source or ''}"
        disputes[key] = (*disputes.get(key, ()), o.id)
    return disputes


log = logging.getLogger("hub.gateway")
_CHINA = dt.timezone(dt.timedelta(hours=8))


ENTERPRISE_PURPOSES = frozenset({CheckKind.IPO_COMPLIANCE.value, CheckKind.BANKRUPTCY.value})
DATA_OBJECTION = "DATA_OBJECTION"
Outcome = Answer | AccessDenied  # what a person-data load gives: an answer, or a refused use
# The fields of a newborn's records that name its parents; one must be the consenting parent.
GUARDIAN_FIELDS = ("mother_id", "father_id", "guardian_id")


@dataclass(frozen=True, slots=True)
class Fetched:
    """One released answer: the records (None: the department holds none), which source and
    department gave them, and when the department's data was current."""

    records: tuple[Record, ...] | None
    source: str
    department: str
    as_of: dt.datetime | None


@dataclass(frozen=True, slots=True)
class Services:
    """What every gateway of an app shares: built once in the lifespan, never at import."""

    sources: SourceSet
    matters: Mapping[str, Matter]
    keys: KeyRing
    consents: ConsentStore
    audit: AuditLog | None
    reports: ReportStore
    reviews: ReviewStore | None = None  # auditors' reviews of the console's flags
    issuers: Mapping[str, TrustedIssuer] = field(default_factory=dict)
    objections: ObjectionFlow | None = None
    applications: ApplicationStore | None = None


@dataclass(frozen=True, slots=True)
class ObjectionDraft:
    """An objection as the caller raised it, its input checked (schema.objections)."""

    subject: str  # resident ID or USCC, in clear
    kind: Literal["person", "enterprise"]
    item: str  # person data category, or check domain
    field: str | None
    report_no: str | None
    record_ref: str | None
    source: str | None
    reason: str
    evidence: tuple[str, ...]


class Gateway:
    def __init__(self, services: Services, caller: Caller, purpose: str | None,
                 now: dt.datetime, presented: PresentedConsents | None = None,
                 application: Application | None = None, operator: str | None = None, *,
                 request_id: str = "", case: str | None = None) -> None:
        self._services = services
        self._caller = caller
        self._purpose = purpose
        self._now = now
        self._requester = Requester(caller.name, caller.display, operator, case, request_id)
        self._presented = presented or PresentedConsents()
        self._uses = ConsentUses(services.consents)
        self._record = Recorder()
        self._loaders: dict[str, DataLoader[str, Outcome]] = {}
        self._decisions: dict[tuple[str, str, str | None], Consent | AccessDenied] = {}
        self._reliance: dict[tuple[str, str], str] = {}  # (source, key) -> consent id
        self._application = application
        self._operator = operator
        self._disputes: DataLoader[str, list[Objection]] | None = None
        self._given: set[tuple[str, str]] = set()  # (subject, category) released so far

    # -- the request's record ------------------------------------------------------------------

    def facts(self) -> Facts:
        """What this request did, frozen: the audit trail's only view of the gateway."""
        return self._record.freeze(self._uses.taken())

    def _deny(self, path: str, error: AccessDenied | HubError) -> None:
        self._record.denied(path, error.code)

    # -- person data ---------------------------------------------------------------------------

    def pseudonym(self, resident_id: str) -> str:
        keys = self._services.keys
        return pseudonym(keys.pseudonym_keys, keys.pseudonym_version, resident_id)

    def person(self, path: str, resident_id: str, category: str
               ) -> Awaitable[tuple[Record, ...] | None]:
        """The `category` records of a person (None: the department holds none). Raises the
        coded refusal now; a source failure or a spent consent when awaited."""
        return _records(self.person_data(path, resident_id, category))

    def person_data(self, path: str, resident_id: str, category: str, *,
                    role: str | None = None) -> Awaitable[Fetched]:
        """A person's `category` data in `role` of the declared matter (any role when None),
        with where and when it came from. Raises the coded refusal now."""
        subject = self.pseudonym(resident_id)
        self._record.subject(subject)
        try:
            if category in CERTIFICATE_KEYED:
                raise Forbidden(f"{category} data is found by a birth medical certificate "
                                "number, not by a resident ID")
            consent = self._decide(subject, category, role)
            source = _configured(self._services.sources.person_source(category), category)
        except (AccessDenied, SourceFailed) as exc:
            self._deny(path, exc)
            raise
        self._reliance[(source.name, resident_id)] = consent.id
        return self._answer(self._load(source.name, resident_id), path, source, subject,
                            category)

    def newborn_data(self, path: str, certificate_no: str, category: str,
                     parents: Sequence[str]) -> Awaitable[Fetched]:
        """A newborn's `category` data by its birth medical certificate number, on the consent
        of one of `parents` (resident IDs named in the application); released only if the
        records name that parent. Raises the coded refusal now; a mismatch when awaited."""
        subjects = {self.pseudonym(p): p for p in parents}
        for subject in subjects:
            self._record.subject(subject)
        try:
            if category not in CERTIFICATE_KEYED:
                raise Forbidden(f"{category} data is not a newborn's")
            consent = self._parent_consent(list(subjects), category)
            source = _configured(self._services.sources.person_source(category), category)
        except (AccessDenied, SourceFailed) as exc:
            self._deny(path, exc)
            raise
        self._reliance[(source.name, certificate_no)] = consent.id
        parent = subjects[consent.subject]

        def names_parent(records: tuple[Record, ...] | None) -> None:
            if any(not any(r.get(f) == parent for f in GUARDIAN_FIELDS) for r in records or ()):
                raise Forbidden(f"birth medical certificate {certificate_no} does not name the "
                                "parent who consented; nothing of it is released")

        return self._answer(self._load(source.name, certificate_no), path, source,
                            consent.subject, category, names_parent)

    def _parent_consent(self, subjects: list[str], category: str) -> Consent:
        refusal: AccessDenied | None = None
        for subject in subjects:
            try:
                return self._decide(subject, category, "newborn")
            except AccessDenied as exc:
                refusal = refusal or exc
        raise refusal or ConsentRequired("a newborn's data needs a parent named in the "
                                         "application and that parent's consent")

    def person_scope(self) -> Matter:
        """The declared purpose is a consent-based matter this caller may use; raise if not."""
        return person_matter(self._caller, self._purpose, self._services.matters)

    def touch_person(self, resident_id: str) -> None:
        """Record that the request names this person (a `person(id)` with no field read)."""
        self._record.subject(self.pseudonym(resident_id))

    def _decide(self, subject: str, category: str, role: str | None = None) -> Consent:
        key = (subject, category, role)
        decision = self._decisions.get(key)
        if decision is None:
            try:
                decision = decide_person(
                    caller=self._caller, purpose=self._purpose, matters=self._services.matters,
                    subject=subject, category=category, presented=self._presented,
                    public_keys=self._services.keys.public, now=self._now, role=role)
            except AccessDenied as exc:
                decision = exc
            self._decisions[key] = decision
        if isinstance(decision, AccessDenied):
            raise type(decision)(decision.message)
        return decision

    async def _answer(self, pending: Awaitable[Outcome], path: str, source: SourceConfig,
                      subject: str, category: str,
                      check: Callable[[tuple[Record, ...] | None], None] | None = None
                      ) -> Fetched:
        outcome = await pending
        if isinstance(outcome, AccessDenied):
            self._deny(path, outcome)
            raise type(outcome)(outcome.message)
        if outcome.status in ("OK", "NOT_FOUND"):
            records = outcome.records if outcome.status == "OK" else None
            if check is not None:
                try:
                    check(records)
                except AccessDenied as exc:
                    self._deny(path, exc)
                    raise
            self._record.released(path, subject=subject, category=category)
            self._given.add((subject, category))
            return Fetched(records, source.name, source.department, outcome.as_of)
        failure = SourceFailed(outcome.status, f"the {category} source did not answer: "
                                               f"{outcome.detail or outcome.status}")
        self._deny(path, failure)
        raise failure

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
            source = _configured(self._services.sources.enterprise_source(category), category)
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

    def checks(self, path: str, kind: CheckKind, usccs: Sequence[str], scope: CheckScope
               ) -> Awaitable[list[CheckReport]]:
        """Ask the registry about every subject now; when it has answered, every other source
        about the subjects it confirmed; number, sign and file one report per subject.

        Sources are started slowest first (by their recent latency): one thread issues the calls
        one after another, so a slow department asked last would add that delay to the answer."""
        try:
            require_purpose(self._caller, self._purpose, kind.value, what=f"the {kind} check")
        except AccessDenied as exc:
            self._deny(path, exc)
            raise
        registry = self._services.sources.registry()
        for uscc in usccs:
            self._record.subject(uscc)
        gates = [self._load(registry.name, u) for u in usccs] if registry is not None else []
        return self._checks(path, kind, list(usccs), scope, registry, gates)

    async def _checks(self, path: str, kind: CheckKind, usccs: list[str], scope: CheckScope,
                      registry: SourceConfig | None, gates: list[Awaitable[Outcome]]
                      ) -> list[CheckReport]:
        sources = self._services.sources
        said = [self._enterprise_outcome(a) for a in await asyncio.gather(*gates)] \
            if gates else [None] * len(usccs)
        subjects = [gate(u, registry, a, self._requester) for u, a in zip(usccs, said,
                                                                            strict=True)]
        items = plan(sources.configs, kind)
        order = sorted(range(len(items)), key=lambda i: sources.expected_ms(items[i].source),
                       reverse=True)
        loads: list[list[Awaitable[Outcome] | None]] = []
        for g in subjects:  # all in one go, so that each source gets one batch
            row: list[Awaitable[Outcome] | None] = [None] * len(items)
            if g.confirmed:
                for i in order:
                    source = items[i].source
                    if source is not None and source.enabled:
                        row[i] = self._load(source.name, g.subject.uscc)
            loads.append(row)
        register = self._services.reports
        now = self._now.astimezone(_CHINA)
        with self._register("no report number could be allocated; no report was issued"):
            numbers = await register.allocate(now.year, len(usccs))
        confirmed = [g.subject.uscc for g in subjects if g.confirmed]
        objected = dict(zip(confirmed, await asyncio.gather(
            *(self._open_objections(u) for u in confirmed)), strict=True))
        reports = []
        for g, row, number in zip(subjects, loads, numbers, strict=True):
            answers = [None if load is None else self._enterprise_outcome(await load)
                       for load in row] if g.confirmed else []
            reports.append(assemble(
                self._services.keys, kind, g, items if g.confirmed else [], answers,
                report_no=number, report_id=uuid.uuid4().hex, scope=scope,
                requester=self._requester, now=now,
                disputes=_disputes(objected.get(g.subject.uscc, [])),
                application=self.application_id()))
        with self._register("the reports could not be filed; no report was issued"):
            await register.add([filed(r, register.expiry(r.checked_at)) for r in reports], now)
        self._record.released(path)
        for r in reports:  # what the request issued (an objection names one of these)
            self._record.ref(f"report:{r.report_no}")
            self._record.ref(f"report:{r.report_id}")
        return reports

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

    # -- loading -------------------------------------------------------------------------------

    def _load(self, source: str, key: str) -> Awaitable[Outcome]:
        loader = self._loaders.get(source)
        if loader is None:
            loader = self._loaders[source] = DataLoader(self._batch_fn(source))
        return loader.load(key)

    def _batch_fn(self, source: str) -> Callable[[list[str]], Coroutine[Any, Any, list[Outcome]]]:
        connector: Connector = self._services.sources.connectors[source]
        state: SourceState = self._services.sources.states[source]
        person = connector.config.subject == "person"

        async def batch(keys: list[str]) -> list[Outcome]:
            breaker = state.breaker
            if not breaker.admit(time.monotonic()):
                # Open circuit: answer at once, call nobody, spend no consent.
                open_ = Answer("UNAVAILABLE", detail=circuit_open(connector.config.department,
                                                                  breaker.retry_in(
                                                                      time.monotonic())))
                return [open_] * len(keys)
            relied = {k: self._reliance[(source, k)] for k in keys
                      if (source, k) in self._reliance}
            if person and len(relied) != len(keys):
                breaker.release()
                raise InternalError("a person source was asked without a consent decision")
            refused = await self._take_uses(relied) if relied else {}
            asked = [k for k in keys if k not in refused]
            if not asked:
                breaker.release()
                return [refused[k] for k in keys]
            result = await connector.fetch(asked)
            if result.calls:
                breaker.record(all(c.status == "OK" for c in result.calls), time.monotonic())
            else:  # nothing went out (the keys timed out waiting for a free connection)
                breaker.release()
            self._calls(state, result.calls)
            return [refused[k] if k in refused else result.answers[k] for k in keys]

        return batch

    async def _take_uses(self, relied: dict[str, str]) -> dict[str, AccessDenied]:
        """Take the use of every consent these keys rely on; the keys whose consent is spent."""
        distinct = sorted(set(relied.values()))
        left = dict(zip(distinct, await asyncio.gather(*(self._uses.take(c) for c in distinct)),
                        strict=True))
        return {key: ConsentInvalid(f"consent {consent_id} has no use left")
                for key, consent_id in relied.items() if not left[consent_id]}

    def _calls(self, state: SourceState, calls: Sequence[Call]) -> None:
        for call in calls:
            state.record(call)
        self._record.calls(calls)

    # -- consents and the audit log ------------------------------------------------------------

    def _require_role(self, role: str, message: str) -> None:
        if self._caller.role != role:
            raise Forbidden(message)

    def require_portal(self) -> None:
        """Only the portal manages consents; raise FORBIDDEN for anyone else."""
        self._require_role("portal", "only the portal manages consents")

    def require_granter(self) -> None:
        """The portal records consents, and a window records the ones signed on paper at its
        counter; raise FORBIDDEN for anyone else."""
        if self._caller.role not in ("portal", "window"):
            raise Forbidden("only the portal, or a window for a consent signed on paper, "
                            "records consents")

    async def grant_consent(self, path: str, unsigned: Consent) -> Consent:
        """Sign a consent the portal or a window recorded (its input checked by the caller); it
        is stored in the same transaction as this request's audit entry, or not at all."""
        self.require_granter()
        signature, kid = self._services.keys.sign(canonical(unsigned.signed_content()))
        consent = unsigned.signed(signature, kid)
        self._record.effect(self._services.consents.insert(consent))
        self._record.subject(consent.subject)
        self._record.consent(consent.id)
        self._record.released(path)
        return consent

    async def revoke_consent(self, path: str, consent_id: str) -> Consent | None:
        """The consent as revoked (idempotent); the revocation commits with the audit entry."""
        self.require_portal()
        consent = (await self._services.consents.get_many([consent_id])).get(consent_id)
        if consent is None:
            return None
        if consent.revoked_at is None:
            self._record.effect(self._services.consents.revocation(consent_id, self._now))
            consent = dataclasses.replace(consent, revoked_at=self._now)
        self._record.subject(consent.subject)
        self._record.consent(consent.id)
        self._record.released(path)
        return consent

    def _audit(self) -> AuditLog:
        if self._services.audit is None:
            raise InternalError("this hub has no audit log to read")
        return self._services.audit

    def require_auditor(self) -> None:
        """Only auditors read the audit log; raise FORBIDDEN for anyone else."""
        self._require_role("auditor", "only auditors read the audit log")

    async def audit_search(self, path: str, f: SearchFilter, *, first: int,
                           before_seq: int | None) -> SearchPage:
        """Entries for an auditor, newest first; the read is recorded as released."""
        self.require_auditor()
        page = await self._audit().search(f, first=first, before_seq=before_seq)
        self._record.released(path)
        return page

    async def audit_verification(self, path: str) -> Verification:
        """The whole log re-checked, for an auditor."""
        self.require_auditor()
        result = await verify_log(self._audit(), self._services.keys.public)
        self._record.released(path)
        return result

    async def audit_entry(self, path: str, seq: int) -> EntryProof | None:
        """One entry with its inclusion proof against the latest checkpoint, for an auditor."""
        self.require_auditor()
        found = await entry_proof(self._audit(), seq)
        self._record.released(path)
        return found

    async def audit_status(self, path: str) -> tuple[int, Checkpoint | None]:
        """The log's size and its latest signed checkpoint, for an auditor (cheap: no re-check)."""
        self.require_auditor()
        log = self._audit()
        size, checkpoints = await log.size(), await log.checkpoints()
        self._record.released(path)
        return size, checkpoints[-1] if checkpoints else None

    async def audit_export(self, path: str, seqs: Sequence[int], selection: Mapping[str, Any]
                           ) -> list[dict[str, Any]]:
        """The entries `seqs` as a signed export with proofs (`hub audit export` lines)."""
        self.require_auditor()
        lines = await export_selection(self._audit(), self._services.keys, seqs, selection)
        self._record.released(path)
        return lines

    async def audit_consents(self, path: str, consent_ids: Sequence[str]) -> dict[str, Consent]:
        """The stored terms of consents named in the log (window, uses), for an auditor."""
        self.require_auditor()
        found = await self._services.consents.get_many(consent_ids)
        self._record.released(path)
        return found

    def _reviews(self) -> ReviewStore:
        if self._services.reviews is None:
            raise InternalError("this hub keeps no reviews")
        return self._services.reviews

    async def flag_reviews(self, path: str, flag_ids: Sequence[str]
                           ) -> dict[str, list[FlagReview]]:
        """The reviews of these flags, oldest first, for an auditor."""
        self.require_auditor()
        found = await self._reviews().of_flags(flag_ids)
        self._record.released(path)
        return found

    async def recent_reviews(self, path: str, limit: int) -> list[FlagReview]:
        self.require_auditor()
        found = await self._reviews().recent(limit)
        self._record.released(path)
        return found

    async def review_flag(self, path: str, review: FlagReview) -> FlagReview:
        """An auditor's review, signed off by this caller at this request's time; it is stored
        in the same transaction as this request's audit entry, or not at all."""
        self.require_auditor()
        stored = dataclasses.replace(review, reviewer=self._caller.name, reviewed_at=self._now)
        self._record.effect(self._reviews().insert(stored))
        self._record.released(path)
        return stored

    def subject_pseudonyms(self, resident_id: str) -> tuple[str, ...]:
        """The subject's pseudonym under every key version (to find old entries too)."""
        return tuple(pseudonyms(self._services.keys.pseudonym_keys, resident_id))

    def require_access_log(self) -> None:
        """The portal, for purpose SUBJECT_ACCESS, shows a citizen who used their data."""
        require_purpose(self._caller, self._purpose, "SUBJECT_ACCESS",
                        what="the subject's access log")
        self._require_role("portal", "only the portal shows a subject their access log")

    async def access_log(self, path: str, resident_id: str, *, first: int,
                         before_seq: int | None) -> tuple[SearchPage, tuple[str, ...]]:
        """The entries about one subject (under each pseudonym version) and the pseudonyms."""
        self.require_access_log()
        mine = self.subject_pseudonyms(resident_id)
        for subject in mine:
            self._record.subject(subject)
        page = await self._audit().search(SearchFilter(subjects=mine), first=first,
                                          before_seq=before_seq)
        self._record.released(path)
        return page, mine

    # -- the request's application -------------------------------------------------------------

    def application_id(self) -> str | None:
        """The application this request is tied to (X-Hub-Application), if any."""
        return None if self._application is None else self._application.id

    def _applications(self) -> ApplicationStore:
        if self._services.applications is None:
            raise InternalError("this hub keeps no applications")
        return self._services.applications

    def open_application(self, path: str, matter: Matter,
                         parties: Sequence[tuple[str, str, Literal["person", "enterprise"]]]
                         ) -> Application:
        """Open an application of `matter` (the caller may use it and declared it) for
        `parties` (role, clear id, kind), checked by the caller."""
        try:
            require_purpose(self._caller, self._purpose, matter.code,
                            what=f"an application of {matter.code}")
        except AccessDenied as exc:
            self._deny(path, exc)
            raise
        stored = tuple(Party(role, self.pseudonym(rid) if kind == "person" else rid, kind)
                       for role, rid, kind in parties)
        app = Application("app_" + uuid.uuid4().hex, matter.code, self._caller.name, stored,
                          self._now, operator=self._operator)
        self._record.effect(self._applications().insertion(app))  # stored with the entry
        for party in stored:
            self._record.subject(party.subject)
        self._record.opened(app.id)
        self._record.released(path)
        return app

    async def _own_application(self, path: str, app_id: str) -> Application:
        app = await self._applications().get(app_id)
        if app is None or (app.owner != self._caller.name and self._caller.role != "auditor"):
            error = BadUserInput(f"id: no application {app_id}")
            self._deny(path, error)
            raise error
        for party in app.parties:
            self._record.subject(party.subject)
        return app

    async def application(self, path: str, app_id: str
                          ) -> tuple[Application, SearchPage, list[tuple[Objection, list[Event]]]]:
        """An application of this caller (any, for an auditor), the audit entries of the
        requests tied to it (newest first) and its objections with their histories."""
        app = await self._own_application(path, app_id)
        owner = None if self._caller.role == "auditor" else app.owner
        page = await self._audit().search(SearchFilter(application=app.id, caller=owner),
                                          first=200, before_seq=None)
        objections: list[tuple[Objection, list[Event]]] = []
        if self._services.objections is not None:
            store = self._services.objections.store
            found, _ = await store.search(ObjectionFilter(application=app.id), self._now,
                                          first=200)
            objections = [(o, await store.history(o.id)) for o in found]
        self._record.released(path)
        return app, page, objections

    async def close_application(self, path: str, app_id: str) -> Application:
        app = await self._own_application(path, app_id)
        if app.owner != self._caller.name:
            raise Forbidden("only the caller that opened an application closes it")
        if app.status == "OPEN":
            self._record.effect(self._applications().closing(app.id, self._now))
            app = replace(app, status="CLOSED", closed_at=self._now)
        self._record.released(path)
        return app

    # -- electronic licences -------------------------------------------------------------------

    def _library(self) -> str:
        if LIBRARY_SOURCE not in self._services.sources.configs:
            raise SourceFailed("UNAVAILABLE", "this hub has no licence library configured")
        return LIBRARY_SOURCE

    def _registered_purpose(self, what: str) -> Matter:
        """Any registered purpose this caller may use (public enterprise licences)."""
        if self._purpose is None:
            raise PurposeRequired(f"send the X-Hub-Purpose header (the matter served) with {what}")
        matter = self._services.matters.get(self._purpose)
        if matter is None or self._caller.name not in matter.callers:
            raise Forbidden(f"{self._caller.name} may not use {self._purpose}")
        return matter

    def _licence_key(self, kind: LicenceType, holder: str, number: str | None,
                     role: str | None = None) -> str:
        """Decide whether this caller may have `holder`'s `kind` licence; the loader key."""
        key = (holder_key(kind.library_code, holder) if number is None
               else number_key(kind.library_code, number, holder))
        if kind.category is None:
            matter = self._registered_purpose(f"{kind.code} licences")
            self._record.subject(holder)
            data = kind.enterprise_category
            if data and matter.legal_basis == "CONSENT" and matter.releases(data, "enterprise"):
                # The matter takes the enterprise's authorisation for this data: so does its
                # licence.
                self._reliance[(LIBRARY_SOURCE, key)] = self._decide(holder, data,
                                                                     "enterprise").id
            return key
        subject = self.pseudonym(holder)
        self._record.subject(subject)
        self._reliance[(LIBRARY_SOURCE, key)] = self._decide(subject, kind.category, role).id
        return key

    def licence(self, path: str, kind: LicenceType, number: str, holder: str
                ) -> Awaitable[LicenceFinding | None]:
        """The licence of this type and number if `holder` holds it (None otherwise), verified
        here. Raises the coded refusal now, a source failure when awaited."""
        try:
            key = self._licence_key(kind, holder, number)
            source = self._library()
        except (AccessDenied, SourceFailed) as exc:
            self._deny(path, exc)
            raise
        return self._one_licence(self._licence_answer(self._load(source, key), path, kind,
                                                      number, holder))

    async def _one_licence(self, pending: Awaitable[list[LicenceFinding]]
                           ) -> LicenceFinding | None:
        found = await pending
        return found[0] if found else None

    def licences(self, path: str, kinds: Sequence[LicenceType], holder: str, *,
                 role: str | None = None) -> Awaitable[list[LicenceFinding]]:
        """Every licence of `kinds` that `holder` (in `role` of the matter, when given) holds,
        verified here; each kind decided first (raising the coded refusal now), all fetched in
        one batch."""
        try:
            source = self._library()
            keys = [self._licence_key(kind, holder, None, role) for kind in kinds]
        except (AccessDenied, SourceFailed) as exc:
            self._deny(path, exc)
            raise
        return self._all_licences([self._licence_answer(self._load(source, key), path, kind,
                                                        None, holder)
                                   for kind, key in zip(kinds, keys, strict=True)])

    async def _all_licences(self, pending: Sequence[Awaitable[list[LicenceFinding]]]
                            ) -> list[LicenceFinding]:
        return [f for found in await asyncio.gather(*pending) for f in found]

    async def _licence_answer(self, pending: Awaitable[Outcome], path: str, kind: LicenceType,
                              number: str | None, holder: str) -> list[LicenceFinding]:
        outcome = await pending
        if isinstance(outcome, AccessDenied):
            self._deny(path, outcome)
            raise type(outcome)(outcome.message)
        if outcome.status != "OK":
            failure = SourceFailed(outcome.status, f"the licence library did not answer: "
                                                   f"{outcome.detail or outcome.status}")
            self._deny(path, failure)
            raise failure
        try:
            found, foreign = assess_answer(outcome.records, kind, number, holder,
                                           self._services.issuers, self._now)
        except MalformedLicence as exc:
            failure = SourceFailed("INVALID", f"the licence library's answer is not a licence "
                                              f"({exc})")
            self._deny(path, failure)
            raise failure from None
        if foreign:
            # Never released; the auditor sees that the library answered about somebody else.
            self._record.denied(path, "LICENCE_NOT_HELD")
        if (found or not foreign) and kind.category is None:
            self._record.released(path)
        elif found or not foreign:
            self._record.released(path, subject=self.pseudonym(holder), category=kind.category)
        return [replace(f, application=self.application_id()) for f in found]

    # -- objections ----------------------------------------------------------------------------

    def _flow(self) -> ObjectionFlow:
        if self._services.objections is None:
            raise InternalError("this hub keeps no objections")
        return self._services.objections

    def _dispute_loader(self) -> DataLoader[str, list[Objection]]:
        if self._disputes is None:
            store = self._flow().store

            async def batch(subjects: list[str]) -> list[list[Objection]]:
                found = await store.open_about(subjects)
                return [found.get(s, []) for s in subjects]

            self._disputes = DataLoader(batch)
        return self._disputes

    async def _open_objections(self, subject: str) -> list[Objection]:
        if self._services.objections is None:
            return []
        return await self._dispute_loader().load(subject)

    def disputed(self, subject_id: str, category: str, *, enterprise: bool = False
                 ) -> Awaitable[list[Objection]]:
        """The open objections about `category` of this person (or enterprise, by USCC) — only
        when this request is allowed that data (a consent decided for it) or was given it
        (otherwise none: whether it is disputed is data about the subject)."""
        subject = subject_id if enterprise else self.pseudonym(subject_id)
        allowed = (subject, category) in self._given or any(
            isinstance(d, Consent) for (s, c, _), d in self._decisions.items()
            if s == subject and c == category)
        if not allowed:
            return _nothing()
        return self._disputed(subject, category)

    async def _disputed(self, subject: str, category: str) -> list[Objection]:
        return [o for o in await self._open_objections(subject) if o.target.item == category]

    def _require_objector(self) -> None:
        if self._caller.role not in ("portal", "window"):
            raise Forbidden("only the portal or a window raises objections for a subject")
        require_purpose(self._caller, self._purpose, DATA_OBJECTION, what="objections")

    async def raise_objection(self, path: str, draft: ObjectionDraft) -> tuple[Objection, bool]:
        """Record and forward an objection; the same one raised again gives the first (False)."""
        try:
            self._require_objector()
            flow = self._flow()
            target, department = await self._objection_target(draft)
        except (AccessDenied, BadUserInput) as exc:
            self._deny(path, exc)
            raise
        objection_id = "obj_" + uuid.uuid4().hex
        desk = flow.desk_of(department)
        draft_objection = Objection(
            id=objection_id, target=target, department=department, reason=draft.reason,
            evidence=draft.evidence, raised_by=self._caller.name, raised_at=self._now,
            deadline=flow.deadline(self._now), operator=self._operator,
            application=self.application_id(),
            desk=None if desk is None else desk.config.code,
            sealed_subject=flow.seal(objection_id, draft.subject))
        step, created = await flow.raise_objection(
            draft_objection, fingerprint(target, draft.reason, draft.evidence), self._now)
        self._steps(step)
        self._record.released(path)
        return step.objection, created

    async def _objection_target(self, draft: ObjectionDraft) -> tuple[Target, str]:
        """What the objection disputes and whose record it is; raise if this caller may not
        object for the subject, or the hub never gave that data."""
        if draft.kind == "person":
            subject = self.pseudonym(draft.subject)
            self._record.subject(subject)
            objection_consent(self._presented, subject=subject, category=draft.item,
                              grantee=self._caller.name, public_keys=self._services.keys.public,
                              now=self._now)
            found = person_target(subject, draft.item, draft.field, draft.record_ref,
                                  self._services.sources.person_source(draft.item))
            mine = self.subject_pseudonyms(draft.subject)
            if await self._audit().find(SearchFilter(subjects=mine), lambda body: any(
                    draft.item in body.get("subjectCategories", {}).get(s, ()) for s in mine)
                                        ) is None:
                raise BadUserInput(f"input.path: this hub never gave {draft.item} data of this "
                                   "subject to anyone; an objection is about data it shared")
            return found
        self._record.subject(draft.subject)
        if draft.report_no is None:  # the enterprise's own data, as the enterprise itself
            found = person_target(draft.subject, draft.item, draft.field, draft.record_ref,
                                  self._services.sources.enterprise_source(draft.item),
                                  kind="enterprise")
            if await self._audit().find(SearchFilter(subjects=(draft.subject,)), lambda body:
                                        draft.item in body.get("subjectCategories", {}).get(
                                            draft.subject, ())) is None:
                raise BadUserInput(f"input.path: this hub never gave {draft.item} data of this "
                                   "enterprise to anyone; an objection is about data it shared")
            return found
        ref = f"report:{draft.report_no}"
        issued = await self._audit().find(SearchFilter(subjects=(draft.subject,)),
                                          lambda body: ref in body.get("refs", ()))
        if issued is None or draft.report_no is None:
            raise BadUserInput(f"input.reportNo: this hub issued no report {draft.report_no} "
                               "about this enterprise")
        purpose = issued.get("purpose")
        kind = CheckKind(purpose) if purpose in ENTERPRISE_PURPOSES else None
        return enterprise_target(draft.subject, draft.item, draft.field, draft.report_no,
                                 draft.record_ref, draft.source, kind,
                                 self._services.sources.configs)

    def _steps(self, step: Step) -> None:
        self._record.subject(step.objection.target.subject)
        self._record.ref(f"objection:{step.objection.id}")
        self._record.calls(step.calls)

    def _reads_objections(self) -> str | None:
        """Who may read objections: an auditor (all: None), or the portal or a window for
        DATA_OBJECTION (its own: its name)."""
        if self._caller.role == "auditor":
            return None
        self._require_objector()
        return self._caller.name

    async def objection(self, path: str, objection_id: str) -> tuple[Objection, list[Event]]:
        """One objection, asked about at its desk first if it is still open."""
        try:
            owner = self._reads_objections()
            flow = self._flow()
            found = await flow.store.get(objection_id)
            if found is None or owner not in (None, found.raised_by):
                raise BadUserInput(f"id: no objection {objection_id}")
        except (AccessDenied, BadUserInput) as exc:
            self._deny(path, exc)
            raise
        if found.open:
            step = await flow.advance(found, self._now)
            self._steps(step)
            found = step.objection
        self._record.subject(found.target.subject)
        self._record.released(path)
        return found, await flow.store.history(found.id)

    async def objections(self, path: str, f: ObjectionFilter, *, first: int, offset: int
                         ) -> tuple[list[Objection], int]:
        """A page of objections, newest first: an auditor's of everyone, others' their own."""
        try:
            owner = self._reads_objections()
            flow = self._flow()
        except AccessDenied as exc:
            self._deny(path, exc)
            raise
        found, total = await flow.store.search(replace(f, raised_by=owner), self._now,
                                               first=first, offset=offset)
        for o in found:
            self._record.subject(o.target.subject)
        self._record.released(path)
        return found, total

    # -- catalogue -----------------------------------------------------------------------------

    def source_of(self, category: str) -> str:
        """The name of the source that serves a person data category ('' if none)."""
        source = self._services.sources.person_source(category)
        return "" if source is None else source.name

    def department_of(self, category: str, *, enterprise: bool = False) -> str:
        """The department that serves a data category ('' if none is configured)."""
        sources = self._services.sources
        source = (sources.enterprise_source(category) if enterprise
                  else sources.person_source(category))
        return "" if source is None else source.department

    def source_states(self) -> list[tuple[SourceConfig, SourceState]]:
        sources = self._services.sources
        return [(cfg, sources.states[name]) for name, cfg in sources.configs.items()]


def _configured(source: SourceConfig | None, category: str) -> SourceConfig:
    if source is None:
        raise SourceFailed("UNAVAILABLE", f"no source is configured for {category} data")
    return source


async def _records(pending: Awaitable[Fetched]) -> tuple[Record, ...] | None:
    return (await pending).records
