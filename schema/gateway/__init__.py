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
numbered from the report register and filed with the request's audit entry, in its
transaction, before they are returned; they are read again through
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

The package has one module per kind of data, each a part of `Gateway`: `base` (the request's
state and record, and loading: the only module in the hub that calls a connector or builds a
dataloader), `people`, `enterprises` (with the checks and filed reports), `jobs` (batch check jobs,
their chunks, results and proofs), `records` (consents
and the audit log), `applications`, `licences` and `objections`.
"""

from __future__ import annotations

from schema.gateway.applications import Applications
from schema.gateway.base import (
    DATA_OBJECTION,
    ENTERPRISE_PURPOSES,
    GUARDIAN_FIELDS,
    Fetched,
    ObjectionDraft,
    Services,
)
from schema.gateway.enterprises import EnterpriseData
from schema.gateway.jobs import ChunkDone, Jobs
from schema.gateway.licences import Licences
from schema.gateway.objections import Objections
from schema.gateway.people import PersonData
from schema.gateway.records import RecordsAccess

__all__ = ["DATA_OBJECTION", "ENTERPRISE_PURPOSES", "GUARDIAN_FIELDS", "ChunkDone", "Fetched",
           "Gateway",
           "ObjectionDraft", "Services"]


class Gateway(PersonData, Jobs, EnterpriseData, RecordsAccess, Applications, Licences,
              Objections):
    """One request's gateway: every kind of subject data, one method each (see the package)."""
