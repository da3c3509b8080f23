"""Electronic licences: decided like the data category they belong to, fetched from the licence
library through a loader, and verified at the hub."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from dataclasses import replace

from connectors.licences import LIBRARY_SOURCE, holder_key, number_key
from consent.catalogue import Matter
from consent.errors import (
    AccessDenied,
    Forbidden,
    PurposeRequired,
)
from licence.catalogue import LicenceType
from licence.verify import MalformedLicence
from schema.errors import SourceFailed
from schema.gateway.base import (
    GatewayBase,
    Outcome,
)
from schema.licence_answers import LicenceFinding, assess_answer

__all__ = ["Licences"]

class Licences(GatewayBase):
    """Electronic licences: decided like the data category they belong to, fetched from the licence"""

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

