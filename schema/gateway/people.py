"""Person data: a person's categories, a person in a role of a matter, a newborn by its birth
medical certificate — each decided on the subject's (or a parent's) consent before loading."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence

from connectors.catalogue import CERTIFICATE_KEYED
from connectors.records import Record
from consent.artefact import Consent
from consent.catalogue import Matter
from consent.enforcement import (
    person_matter,
)
from consent.errors import (
    AccessDenied,
    ConsentRequired,
    Forbidden,
)
from schema.errors import SourceFailed
from schema.gateway.base import (
    GUARDIAN_FIELDS,
    Fetched,
    GatewayBase,
    configured_source,
    records_of,
)

__all__ = ["PersonData"]

class PersonData(GatewayBase):
    """Person data: a person's categories, a person in a role of a matter, a newborn by its birth"""

    # -- person data ---------------------------------------------------------------------------

    def person(self, path: str, resident_id: str, category: str
               ) -> Awaitable[tuple[Record, ...] | None]:
        """The `category` records of a person (None: the department holds none). Raises the
        coded refusal now; a source failure or a spent consent when awaited."""
        return records_of(self.person_data(path, resident_id, category))

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
            source = configured_source(self._services.sources.person_source(category), category)
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
            source = configured_source(self._services.sources.person_source(category), category)
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

