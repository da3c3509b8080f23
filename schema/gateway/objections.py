"""Objections: raising one, reading them, and marking answers about disputed records."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from dataclasses import replace
from functools import partial

from audit.search import SearchFilter
from connectors.catalogue import CheckKind
from consent.artefact import Consent
from consent.enforcement import (
    require_purpose,
)
from consent.errors import (
    AccessDenied,
    Forbidden,
)
from objection.access import objection_consent
from objection.flow import Step
from objection.model import Event, Objection, Target, fingerprint
from objection.store import ObjectionFilter
from schema.errors import BadUserInput
from schema.gateway.base import (
    DATA_OBJECTION,
    ENTERPRISE_PURPOSES,
    GatewayBase,
    ObjectionDraft,
    no_objections,
)
from schema.objection_target import enterprise_target, person_target

__all__ = ["Objections"]

class Objections(GatewayBase):
    """Objections: raising one, reading them, and marking answers about disputed records."""

    # -- objections ----------------------------------------------------------------------------

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
            return no_objections()
        return self._disputed(subject, category)

    async def _disputed(self, subject: str, category: str) -> list[Objection]:
        return [o for o in await self._open_objections(subject) if o.target.item == category]

    def _require_objector(self) -> None:
        if self._caller.role not in ("portal", "window"):
            raise Forbidden("only the portal or a window raises objections for a subject")
        require_purpose(self._caller, self._purpose, DATA_OBJECTION, what="objections")

    async def raise_objection(self, path: str, draft: ObjectionDraft) -> tuple[Objection, bool]:
        """An objection, stored RECEIVED in the same transaction as this request's audit entry
        (or not at all) and forwarded to the department's desk once that has committed; the
        same one raised again gives the first (False)."""
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
        receipt = await flow.receive(draft_objection,
                                     fingerprint(target, draft.reason, draft.evidence))
        for statement in receipt.statements:
            self._record.effect(statement)
        if receipt.created:
            self._record.on_commit(partial(flow.committed, objection_id))
        self._steps(Step(receipt.objection))
        self._record.released(path)
        return receipt.objection, receipt.created

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

