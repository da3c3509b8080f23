"""The gateway's core: the request's state, its record, and loading through per-request
dataloaders — the only place in the hub that calls a connector or builds a dataloader."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from aiodataloader import DataLoader

from application.store import Application, ApplicationStore
from audit.log import AuditLog
from audit.reviews import ReviewStore
from connectors.base import Answer, Call, Connector, Each
from connectors.catalogue import CheckKind
from connectors.config import SourceConfig
from connectors.records import Record
from consent.artefact import Consent
from consent.catalogue import Matter
from consent.enforcement import (
    Caller,
    ConsentUses,
    PresentedConsents,
    decide_person,
)
from consent.errors import (
    AccessDenied,
    ConsentInvalid,
)
from consent.pseudonym import pseudonym, pseudonyms
from consent.store import ConsentStore
from jobs.store import JobStore
from licence.issuers import TrustedIssuer
from objection.flow import ObjectionFlow
from objection.model import Objection
from reports.store import ReportStore
from schema.errors import HubError, InternalError, SourceFailed
from schema.facts import Facts, Recorder
from schema.observer import NullObserver, Observer
from schema.report import Requester
from schema.sources import SourceSet, SourceState
from schema.wording import circuit_open
from signing.keys import KeyRing

__all__ = ["CHINA", "DATA_OBJECTION", "ENTERPRISE_PURPOSES", "GUARDIAN_FIELDS", "Fetched",
           "GatewayBase", "ObjectionDraft", "Outcome", "Services", "configured_source",
           "disputes_by_item", "log", "no_objections", "records_of"]


async def no_objections() -> list[Objection]:
    return []


def disputes_by_item(open_: list[Objection]) -> dict[str, tuple[str, ...]]:
    """Open objections by "domain/source" ("domain/" when no source is named)."""
    disputes: dict[str, tuple[str, ...]] = {}
    for o in open_:
        key = f"{o.target.item}/{o.target.source or ''}"
        disputes[key] = (*disputes.get(key, ()), o.id)
    return disputes


log = logging.getLogger("hub.gateway")
CHINA = dt.timezone(dt.timedelta(hours=8))


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
    observer: Observer = field(default_factory=NullObserver)  # metrics and traces
    jobs: JobStore | None = None  # batch check jobs
    # What a batch job's chunk awaits between its reports: the hub gives interactive requests
    # their turn there (hub.admission.Admission.background_turn); by default it only yields.
    background_turn: Callable[[], Awaitable[None]] | None = None


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




class GatewayBase:
    """The state of one request's gateway and the one place that loads from sources."""

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
        self._fetches: dict[tuple[str, str], asyncio.Future[list[Outcome]]] = {}  # lone keys
        self._decisions: dict[tuple[str, str, str | None], Consent | AccessDenied] = {}
        self._reliance: dict[tuple[str, str], str] = {}  # (source, key) -> consent id
        self._application = application
        self._operator = operator
        self._dispute_cache: DataLoader[str, list[Objection]] | None = None
        self._given: set[tuple[str, str]] = set()  # (subject, category) released so far
        self._aliases: dict[str, frozenset[str]] = {}  # pseudonym -> the person's older ones

    # -- the request's record ------------------------------------------------------------------

    def facts(self) -> Facts:
        """What this request did, frozen: the audit trail's only view of the gateway."""
        return self._record.freeze(self._uses.taken())

    def _deny(self, path: str, error: AccessDenied | HubError) -> None:
        self._record.denied(path, error.code)

    # -- shared by the kinds of data ---------------------------------------------------------

    def pseudonym(self, resident_id: str) -> str:
        """The person's pseudonym under the current key version (their earlier ones are kept
        as aliases, so that consents given before a key rotation still match)."""
        keys = self._services.keys
        current = pseudonym(keys.pseudonym_keys, keys.pseudonym_version, resident_id)
        if len(keys.pseudonym_keys) > 1 and current not in self._aliases:
            self._aliases[current] = frozenset(pseudonyms(keys.pseudonym_keys, resident_id))
        return current

    def _decide(self, subject: str, category: str, role: str | None = None) -> Consent:
        key = (subject, category, role)
        decision = self._decisions.get(key)
        if decision is None:
            try:
                decision = decide_person(
                    caller=self._caller, purpose=self._purpose, matters=self._services.matters,
                    subject=subject, category=category, presented=self._presented,
                    public_keys=self._services.keys.public, now=self._now, role=role,
                    aliases=self._aliases.get(subject, frozenset()))
            except AccessDenied as exc:
                decision = exc
            self._decisions[key] = decision
            self._services.observer.decision(
                decision.code if isinstance(decision, AccessDenied) else "ALLOWED")
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

    def subject_pseudonyms(self, resident_id: str) -> tuple[str, ...]:
        """The subject's pseudonym under every key version (to find old entries too)."""
        return tuple(pseudonyms(self._services.keys.pseudonym_keys, resident_id))

    def _audit(self) -> AuditLog:
        if self._services.audit is None:
            raise InternalError("this hub has no audit log to read")
        return self._services.audit

    def application_id(self) -> str | None:
        """The application this request is tied to (X-Hub-Application), if any."""
        return None if self._application is None else self._application.id

    def _flow(self) -> ObjectionFlow:
        if self._services.objections is None:
            raise InternalError("this hub keeps no objections")
        return self._services.objections

    def _dispute_loader(self) -> DataLoader[str, list[Objection]]:
        if self._dispute_cache is None:
            store = self._flow().store

            async def batch(subjects: list[str]) -> list[list[Objection]]:
                found = await store.open_about(subjects)
                return [found.get(s, []) for s in subjects]

            self._dispute_cache = DataLoader(batch)
        return self._dispute_cache

    async def _open_objections(self, subject: str) -> list[Objection]:
        if self._services.objections is None:
            return []
        return await self._dispute_loader().load(subject)

    async def _open_objections_of(self, subjects: Sequence[str]) -> list[list[Objection]]:
        """The open objections about each subject: one lookup, no task per subject."""
        if self._services.objections is None or not subjects:
            return [[] for _ in subjects]
        return await self._dispute_loader().load_many(subjects)

    # -- loading -------------------------------------------------------------------------------

    def _load(self, source: str, key: str) -> Awaitable[Outcome]:
        loader = self._loaders.get(source)
        if loader is None:
            loader = self._loaders[source] = DataLoader(self._batch_fn(source))
        return loader.load(key)

    def _load_batch(self, source: str, keys: Sequence[str], each: Each | None = None
                    ) -> Awaitable[list[Outcome]]:
        """`source`'s outcomes for distinct `keys`, in their order, asked now, some of them
        handed to `each` as well, before the batch is whole, as the department's calls return.

        Not through a dataloader: the keys are a batch already, and through a loader each
        would hold a future and a cache entry, for every source, until the slowest department
        had answered the whole batch, and the answers until the request ended; for a lone
        check's seventeen sources the loaders' set-up and dispatch cost more CPU than the
        check's own work with its answers (~10 us a source). Checks of one request that ask a
        source about the same subject share the fetch. Checks of other subjects in the same
        turn of the loop share a batch source's call only where its `Coalescer` merges them
        (on a quiet source the first fetch leaves at once, the rest of the turn together)."""
        if len(keys) == 1:
            shared = (source, keys[0])
            fetch = self._fetches.get(shared)
            if fetch is None:
                fetch = self._fetches[shared] = asyncio.ensure_future(
                    self._batch_fn(source)(list(keys), each))
            return fetch  # shared: a check that gives up leaves it to finish (Assembly)
        return asyncio.ensure_future(self._batch_fn(source)(list(keys), each))

    def _batch_fn(self, source: str
                  ) -> Callable[..., Coroutine[Any, Any, list[Outcome]]]:
        connector: Connector = self._services.sources.connectors[source]
        state: SourceState = self._services.sources.states[source]
        person = connector.config.subject == "person"

        async def batch(keys: list[str], each: Each | None = None) -> list[Outcome]:
            breaker, observer = state.breaker, self._services.observer
            closed_before = breaker.state
            admitted = breaker.admit(time.monotonic())
            if breaker.state != closed_before:  # open -> half-open: a probe goes out
                observer.circuit(source, breaker.state)
            if not admitted:
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
            with observer.fetch(source, len(asked)):
                result = await connector.fetch(asked, each)
            before = breaker.state
            if result.calls:
                breaker.record(all(c.status == "OK" for c in result.calls), time.monotonic())
            else:  # nothing went out (the keys timed out waiting for a free connection)
                breaker.release()
            if breaker.state != before:
                observer.circuit(source, breaker.state)
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
        self._services.observer.calls(calls)
        for call in calls:
            state.record(call)
        self._record.calls(calls)

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



def configured_source(source: SourceConfig | None, category: str) -> SourceConfig:
    if source is None:
        raise SourceFailed("UNAVAILABLE", f"no source is configured for {category} data")
    return source


async def records_of(pending: Awaitable[Fetched]) -> tuple[Record, ...] | None:
    return (await pending).records
