"""Consents and the audit log: granting and revoking (committed with their audit entry), the
auditors' reads and the console's, and a citizen's own access log."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from audit.checkpoint import Checkpoint
from audit.export import export_selection
from audit.log import entry_proof, verify_log
from audit.proofs import EntryProof
from audit.reviews import FlagReview, ReviewStore
from audit.search import SearchFilter, SearchPage
from audit.verify import Verification
from consent.artefact import Consent
from consent.enforcement import (
    require_purpose,
)
from consent.errors import (
    Forbidden,
)
from schema.errors import InternalError
from schema.gateway.base import (
    GatewayBase,
)
from signing.canonical import canonical

__all__ = ["RecordsAccess"]

class RecordsAccess(GatewayBase):
    """Consents and the audit log: granting and revoking (committed with their audit entry), the"""

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

    def require_auditor(self) -> None:
        """Only auditors read the audit log; raise FORBIDDEN for anyone else."""
        self._require_role("auditor", "only auditors read the audit log")

    async def audit_search(self, path: str, f: SearchFilter, *, first: int,
                           before_seq: int | None) -> SearchPage:
        """Entries for an auditor, newest first; the read is recorded as released, and a
        search by subject records that subject (its pseudonyms or USCC, never a clear ID), so
        that the log answers who looked a person up."""
        self.require_auditor()
        for subject in f.subjects:
            self._record.subject(subject)
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

