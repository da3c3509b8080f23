"""The choke point: every piece of subject data leaves the hub through a `Gateway`.

One gateway per request, and one method per kind of data — `person`, `enterprise`, `checks` —
each of which, in one call, decides (raising the coded error: purpose, legal basis, consent),
picks the source, loads through the request's own dataloader (batched with every other load of
the same tick; nothing is awaited before the load) and records what the audit trail needs. A
path is recorded as released only once its answer came back; a department that did not answer
records a denial with its code. A consent's use is taken inside the batch function, just
before the first source call that relies on it (`consent.enforcement.ConsentUses`).

Consent management and audit reads go through the gateway too (`grant_consent`,
`revoke_consent`, `audit_entries`, `audit_verification`, `access_log`), so that every piece of
subject data, and every record about it, is decided and recorded in one place. When the
request ends, the trail reads one frozen `facts()`; nothing else reads the gateway's state.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from aiodataloader import DataLoader

from audit.log import AuditLog, verify_log
from audit.search import SearchFilter, SearchPage
from audit.verify import Verification
from connectors.base import Answer, Call, Connector
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
    person_matter,
    require_any_purpose,
    require_purpose,
)
from consent.errors import AccessDenied, ConsentInvalid, Forbidden
from consent.pseudonym import pseudonym, pseudonyms
from consent.store import ConsentStore
from schema.checks import CheckReport, PlanItem, plan, sign_report
from schema.errors import InternalError, SourceFailed
from schema.facts import Facts, Recorder
from schema.sources import SourceSet, SourceState
from signing.canonical import canonical
from signing.keys import KeyRing

__all__ = ["ENTERPRISE_PURPOSES", "Gateway", "Services"]

def _circuit_open(department: str, retry_s: float) -> str:
    return (f"{department}接口连续失败，已暂停调用（熔断），约 {max(1, round(retry_s))} 秒后自动"
            "重试 (circuit open: the source failed repeatedly and is not being called)")


ENTERPRISE_PURPOSES = frozenset({CheckKind.IPO_COMPLIANCE.value, CheckKind.BANKRUPTCY.value})
Outcome = Answer | AccessDenied  # what a person-data load gives: an answer, or a refused use


@dataclass(frozen=True, slots=True)
class Services:
    """What every gateway of an app shares: built once in the lifespan, never at import."""

    sources: SourceSet
    matters: Mapping[str, Matter]
    keys: KeyRing
    consents: ConsentStore
    audit: AuditLog | None


class Gateway:
    def __init__(self, services: Services, caller: Caller, purpose: str | None,
                 now: dt.datetime, presented: PresentedConsents | None = None) -> None:
        self._services = services
        self._caller = caller
        self._purpose = purpose
        self._now = now
        self._presented = presented or PresentedConsents()
        self._uses = ConsentUses(services.consents)
        self._record = Recorder()
        self._loaders: dict[str, DataLoader[str, Outcome]] = {}
        self._decisions: dict[tuple[str, str], Consent | AccessDenied] = {}
        self._reliance: dict[tuple[str, str], str] = {}  # (source, key) -> consent id

    # -- the request's record ------------------------------------------------------------------

    def facts(self) -> Facts:
        """What this request did, frozen: the audit trail's only view of the gateway."""
        return self._record.freeze(self._uses.taken())

    def _deny(self, path: str, error: AccessDenied | SourceFailed) -> None:
        self._record.denied(path, error.code)

    # -- person data ---------------------------------------------------------------------------

    def pseudonym(self, resident_id: str) -> str:
        keys = self._services.keys
        return pseudonym(keys.pseudonym_keys, keys.pseudonym_version, resident_id)

    def person(self, path: str, resident_id: str, category: str
               ) -> Awaitable[tuple[Record, ...] | None]:
        """The `category` records of a person (None: the department holds none). Raises the
        coded refusal now; a source failure or a spent consent when awaited."""
        subject = self.pseudonym(resident_id)
        self._record.subject(subject)
        try:
            consent = self._decide(subject, category)
            source = self._services.sources.person_source(category)
            if source is None:
                raise SourceFailed("UNAVAILABLE", f"no source is configured for {category} data")
        except (AccessDenied, SourceFailed) as exc:
            self._deny(path, exc)
            raise
        self._reliance[(source.name, resident_id)] = consent.id
        return self._person_answer(self._load(source.name, resident_id), path, subject,
                                   category)

    def person_scope(self) -> Matter:
        """The declared purpose is a consent-based matter this caller may use; raise if not."""
        return person_matter(self._caller, self._purpose, self._services.matters)

    def touch_person(self, resident_id: str) -> None:
        """Record that the request names this person (a `person(id)` with no field read)."""
        self._record.subject(self.pseudonym(resident_id))

    def _decide(self, subject: str, category: str) -> Consent:
        key = (subject, category)
        decision = self._decisions.get(key)
        if decision is None:
            try:
                decision = decide_person(
                    caller=self._caller, purpose=self._purpose, matters=self._services.matters,
                    subject=subject, category=category, presented=self._presented,
                    public_keys=self._services.keys.public, now=self._now)
            except AccessDenied as exc:
                decision = exc
            self._decisions[key] = decision
        if isinstance(decision, AccessDenied):
            raise type(decision)(decision.message)
        return decision

    async def _person_answer(self, pending: Awaitable[Outcome], path: str, subject: str,
                             category: str) -> tuple[Record, ...] | None:
        outcome = await pending
        if isinstance(outcome, AccessDenied):
            self._deny(path, outcome)
            raise type(outcome)(outcome.message)
        if outcome.status == "OK":
            self._record.released(path, subject=subject, category=category)
            return outcome.records
        if outcome.status == "NOT_FOUND":
            self._record.released(path, subject=subject, category=category)
            return None
        failure = SourceFailed(outcome.status, f"the {category} source did not answer: "
                                               f"{outcome.detail or outcome.status}")
        self._deny(path, failure)
        raise failure

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

    def checks(self, path: str, kind: CheckKind, usccs: Sequence[str]
               ) -> list[Awaitable[CheckReport]]:
        """Start every source of every check now; each report is signed when its answers are in.

        Sources are started slowest first (by their recent latency): one thread issues the calls
        one after another, so a slow department asked last would add that delay to the answer."""
        try:
            require_purpose(self._caller, self._purpose, kind.value, what=f"the {kind} check")
        except AccessDenied as exc:
            self._deny(path, exc)
            raise
        sources = self._services.sources
        items = plan(sources.configs, kind)
        order = sorted(range(len(items)), key=lambda i: sources.expected_ms(items[i].source),
                       reverse=True)
        pending: list[Awaitable[CheckReport]] = []
        for uscc in usccs:
            self._record.subject(uscc)
            loads: list[Awaitable[Outcome] | None] = [None] * len(items)
            for i in order:
                source = items[i].source
                if source is not None and source.enabled:
                    loads[i] = self._load(source.name, uscc)
            pending.append(self._report(path, kind, uscc, items, loads))
        return pending

    async def _report(self, path: str, kind: CheckKind, uscc: str, items: list[PlanItem],
                      loads: list[Awaitable[Outcome] | None]) -> CheckReport:
        answers: list[Answer | None] = []
        for load in loads:
            answer = None if load is None else await load
            if isinstance(answer, AccessDenied):
                raise InternalError("an enterprise source answered with a consent refusal")
            answers.append(answer)
        report = sign_report(self._services.keys, kind, uscc, items, answers, self._now,
                             self._caller.name)
        self._record.released(path)
        return report

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
                open_ = Answer("UNAVAILABLE", detail=_circuit_open(connector.config.department,
                                                                   breaker.retry_in(
                                                                       time.monotonic())))
                return [open_] * len(keys)
            refused: dict[str, AccessDenied] = {}
            if person:
                refused = await self._take_uses(source, keys)
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

    async def _take_uses(self, source: str, keys: list[str]) -> dict[str, AccessDenied]:
        """Take the use of every consent these keys rely on; the keys whose consent is spent."""
        relied = {k: self._reliance[(source, k)] for k in keys}
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

    async def grant_consent(self, path: str, unsigned: Consent) -> Consent:
        """Sign a consent the portal recorded (its input checked by the caller); it is stored
        in the same transaction as this request's audit entry, or not at all."""
        self.require_portal()
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

    # -- catalogue -----------------------------------------------------------------------------

    def source_of(self, category: str) -> str:
        """The name of the source that serves a person data category ('' if none)."""
        source = self._services.sources.person_source(category)
        return "" if source is None else source.name

    def source_states(self) -> list[tuple[SourceConfig, SourceState]]:
        sources = self._services.sources
        return [(cfg, sources.states[name]) for name, cfg in sources.configs.items()]
