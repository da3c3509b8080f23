"""Who may object for a person: the subject's consent shows the subject raises the objection.

Raising an objection reads no data, so it spends no use of a consent; the consent is evidence
that the subject, through this caller, is involved with that data. A consent that is valid in
itself (signed by the hub, not revoked, within its window, given to this caller, about this
subject) and that covers the disputed category will do, even if its uses are spent — the data
was released under it, which is exactly when an objection arises. A revoked or expired consent,
one given to another caller, or one about another subject does not.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from consent.artefact import Consent, verify_consent
from consent.enforcement import PresentedConsents
from consent.errors import ConsentInvalid, ConsentRequired

__all__ = ["objection_consent"]


def objection_consent(presented: PresentedConsents, *, subject: str, category: str,
                      grantee: str, public_keys: Mapping[str, Ed25519PublicKey],
                      now: dt.datetime) -> Consent:
    """The presented consent that lets `grantee` object for `subject` about `category`; raise
    `ConsentInvalid` or `ConsentRequired` saying why not."""
    bad: list[ConsentInvalid] = []
    for consent in presented.loaded.values():
        if consent.subject != subject:
            continue
        try:
            verify_consent(dataclasses.replace(consent, uses=0), public_keys=public_keys,
                           now=now, grantee=grantee, purpose=consent.purpose, subject=subject)
        except ConsentInvalid as exc:
            bad.append(exc)
            continue
        if consent.covers(category):
            return consent
    if bad:
        raise bad[0]
    unknown = [c for c in presented.ids if c not in presented.loaded]
    if unknown:
        raise ConsentInvalid(f"consent {unknown[0]} is not known to this hub")
    raise ConsentRequired(f"present a consent of the subject that covers {category} data "
                          "(X-Hub-Consent): it shows the subject raises this objection")
