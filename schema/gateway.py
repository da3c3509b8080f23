"""The choke point: every piece of subject data leaves the hub through a `Gateway`.

One gateway per request. It knows who is calling and for which declared purpose, decides whether
a fetch is allowed (`authorize_*`: purpose, legal basis, consent), batches fetches per source
through per-request dataloaders, and records what the audit trail needs: every source call,
every subject touched (by USCC or pseudonym, never a clear resident ID), every released and
every denied field path. Resolvers never call a connector directly; they decide, then call
`load` without awaiting anything first, so that all loads of one tick share one batch.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiodataloader import DataLoader
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from connectors.base import Answer, Call, Connector
from connectors.config import SourceConfig
from consent.artefact import Consent, verify_consent
from consent.catalogue import Matter
from consent.errors import ConsentError, ConsentInvalid, ConsentRequired, PurposeForbidden
from consent.pseudonym import pseudonym
from schema.errors import Forbidden, PurposeRequired

__all__ = ["Caller", "ConsentContext", "Gateway", "SourceSet", "SourceState"]


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated calling system (a department, the portal, an auditor)."""

    name: str
    display: str
    role: str  # lead | portal | window | auditor
    purposes: frozenset[str]


@dataclass(slots=True)
class SourceState:
    """Live state of one source, shared by all requests of an app (not a global)."""

    last_status: str | None = None
    last_at: float | None = None
    consecutive_failures: int = 0
    calls: int = 0
    failures: int = 0
    latency_ewma_ms: float = 0.0  # how long this source usually takes to answer

    def record(self, call: Call) -> None:
        self.calls += 1
        if call.status == "OK":
            self.latency_ewma_ms += 0.2 * (call.latency_ms - self.latency_ewma_ms)
        self.last_status = call.status
        self.last_at = time.time()
        if call.status == "OK":
            self.consecutive_failures = 0
        else:
            self.failures += 1
            self.consecutive_failures += 1


@dataclass(slots=True)
class SourceSet:
    """The configured sources of an app, their open connectors and their live state."""

    configs: Mapping[str, SourceConfig]
    connectors: Mapping[str, Connector]
    states: dict[str, SourceState] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in self.configs:
            self.states.setdefault(name, SourceState())

    def person_source(self, category: str) -> SourceConfig | None:
        return next((c for c in self.configs.values()
                     if c.subject == "person" and c.domain == category and c.enabled), None)


@dataclass(slots=True)
class ConsentContext:
    """The consents presented with a request, read (and their use counted) before execution."""

    presented: tuple[str, ...] = ()
    loaded: Mapping[str, Consent] = field(default_factory=dict)
    used: frozenset[str] = frozenset()  # consents whose use this request took
    public_keys: Mapping[str, Ed25519PublicKey] = field(default_factory=dict)
    pseudonym_keys: Mapping[str, bytes] = field(default_factory=dict)
    pseudonym_version: str = "v1"


class Gateway:
    def __init__(self, sources: SourceSet, caller: Caller, purpose: str | None,
                 now: dt.datetime, matters: Mapping[str, Matter] | None = None,
                 consents: ConsentContext | None = None) -> None:
        self.sources = sources
        self.caller = caller
        self.purpose = purpose
        self.now = now
        self.matters = matters or {}
        self.consents = consents or ConsentContext()
        self.calls: list[Call] = []
        self.subjects: set[str] = set()
        self.released: list[str] = []
        self.denied: list[tuple[str, str]] = []
        self.consents_relied_on: set[str] = set()
        self.released_categories: dict[str, set[str]] = {}
        self._loaders: dict[str, DataLoader[str, Answer]] = {}
        self._decisions: dict[tuple[str, str], str | ConsentError] = {}

    # -- decisions ---------------------------------------------------------------------------

    def authorize_purpose(self, needed: str, *, what: str) -> None:
        """The caller declared `needed` as its purpose and may use it; raise otherwise."""
        if needed not in self.caller.purposes:
            raise Forbidden(f"{self.caller.name} may not run {what}; ask the data-sharing "
                            "authority to grant it")
        if self.purpose is None:
            raise PurposeRequired(f"send the X-Hub-Purpose header ({needed}) with {what}")
        if self.purpose != needed:
            raise Forbidden(f"X-Hub-Purpose is {self.purpose}, but {what} serves {needed}; "
                            "a request serves the one purpose it declares")

    def authorize_any(self, purposes: frozenset[str], *, what: str) -> str:
        """The declared purpose is one of `purposes` and allowed to the caller."""
        if self.purpose is None:
            raise PurposeRequired(f"send the X-Hub-Purpose header with {what}")
        if self.purpose not in purposes:
            raise Forbidden(f"{what} does not serve the purpose {self.purpose}")
        self.authorize_purpose(self.purpose, what=what)
        return self.purpose

    def person_matter(self) -> Matter:
        """The declared purpose is a consent-based matter this caller may use."""
        if self.purpose is None:
            raise PurposeRequired("send the X-Hub-Purpose header (the matter, e.g. "
                                  "SCHOOL_ENROLMENT) with person data queries")
        matter = self.matters.get(self.purpose)
        if matter is None or matter.legal_basis != "CONSENT":
            raise Forbidden(f"{self.purpose} is not a matter that releases person data")
        if self.caller.name not in matter.callers:
            raise Forbidden(f"{self.caller.name} may not use {self.purpose}")
        return matter

    def subject_pseudonym(self, resident_id: str) -> str:
        c = self.consents
        return pseudonym(c.pseudonym_keys, c.pseudonym_version, resident_id)

    def authorize_person(self, resident_id: str, category: str) -> str:
        """The consent id that lets this caller have `category` of the subject; raise a coded
        `ConsentError` otherwise. Decided once per (subject, category) per request."""
        subject = self.subject_pseudonym(resident_id)
        self.subjects.add(subject)
        key = (subject, category)
        decision = self._decisions.get(key)
        if decision is None:
            decision = self._decide(subject, category)
            self._decisions[key] = decision
        if isinstance(decision, ConsentError):
            raise decision
        self.consents_relied_on.add(decision)
        self.released_categories.setdefault(subject, set()).add(category)
        return decision

    def _decide(self, subject: str, category: str) -> str | ConsentError:
        try:
            matter = self.person_matter()
        except (Forbidden, PurposeRequired) as exc:
            return PurposeForbidden(exc.message)
        if not matter.releases(category):
            return PurposeForbidden(f"{matter.code} does not release {category} data")
        ctx = self.consents
        failures: list[ConsentError] = []
        for consent in ctx.loaded.values():
            if consent.subject != subject:
                continue
            try:
                verify_consent(consent, public_keys=ctx.public_keys, now=self.now,
                               grantee=self.caller.name, purpose=matter.code, subject=subject,
                               category=category)
            except ConsentInvalid as exc:
                failures.append(exc)
                continue
            if consent.id not in ctx.used:
                failures.append(ConsentInvalid(f"consent {consent.id} has no use left"))
                continue
            return consent.id
        if failures:
            return failures[0]
        unknown = [c for c in ctx.presented if c not in ctx.loaded]
        if unknown:
            return ConsentInvalid(f"consent {unknown[0]} is not known to this hub")
        return ConsentRequired(f"no presented consent covers {category} data of this subject "
                               f"for {matter.code}; ask the applicant to consent")

    def record_released(self, path: str) -> None:
        self.released.append(path)

    def record_denied(self, path: str, code: str) -> None:
        self.denied.append((path, code))

    # -- fetching ----------------------------------------------------------------------------

    def load(self, source: str, key: str) -> Awaitable[Answer]:
        """The source's answer about `key`, batched with every other load of this tick."""
        loader = self._loaders.get(source)
        if loader is None:
            loader = self._loaders[source] = DataLoader(self._batch_fn(source))
        return loader.load(key)

    def _batch_fn(self, source: str) -> Callable[[list[str]], Coroutine[Any, Any, list[Answer]]]:
        connector = self.sources.connectors[source]
        state = self.sources.states[source]

        async def batch(keys: list[str]) -> list[Answer]:
            result = await connector.fetch(keys)
            for call in result.calls:
                state.record(call)
            self.calls.extend(result.calls)
            return [result.answers[k] for k in keys]

        return batch
