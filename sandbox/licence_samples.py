"""Sample licences for `/_sandbox/samples`: a few of every kind in every state.

Each sample names the hub's licence type, the number, the holder and the data the test or the
user needs to choose it (`validUntil`, the issuer), with tags: `valid`, `expired`, `revoked`,
`expiring` (valid, last day within 30 days of `today`), `long-term` (no end date), `forged`
(signed by another key under the issuer's key id) and `unknown-issuer` (issued by a bureau the
hub is not configured to trust). Tags follow the real date, as the departments' data times do.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from licence.catalogue import LICENCE_TYPES, by_library_code
from sandbox.licence_data import ISSUERS, Held, LicenceHoldings

__all__ = ["LICENCE_TAGS", "licence_samples"]

LICENCE_TAGS = ("valid", "expired", "revoked", "expiring", "long-term", "forged",
                "unknown-issuer")
# What the world has enough of to sample within a scan of a few thousand holders.
_WANTED = {
    "BUSINESS_LICENCE": ("valid", "long-term", "revoked", "expired"),
    "FOOD_BUSINESS_PERMIT": ("valid", "expired", "expiring", "revoked", "forged",
                             "unknown-issuer"),
    "ROAD_TRANSPORT_PERMIT": ("valid",),  # the transport bureau's carriers: few
    "PROPERTY_CERTIFICATE": ("valid", "revoked"),
    "DISABILITY_CERTIFICATE": ("valid", "expired"),
}
_SCAN = 4000


def _tags(held: Held, today: dt.date) -> list[str]:
    doc = held.document
    until = dt.date.fromisoformat(doc["validUntil"]) if doc["validUntil"] else None
    if held.forged:
        return ["forged"]
    if doc["issuerCode"] not in ISSUERS:
        return ["unknown-issuer"]
    if doc["status"] == "revoked":
        return ["revoked"]
    if until is not None and until < today:
        return ["expired"]
    tags = ["valid"]
    if until is None:
        tags.append("long-term")
    elif (until - today).days <= 30:
        tags.append("expiring")
    return tags


def licence_samples(holdings: LicenceHoldings, today: dt.date, per_tag: int = 2
                    ) -> list[dict[str, Any]]:
    """The first licences, in world order, that carry each (type, tag) not yet sampled."""
    world = holdings.world
    counts: dict[tuple[str, str], int] = {}
    chosen: list[dict[str, Any]] = []
    for kind, holders in (("enterprise", world.usccs[:_SCAN]),
                          ("person", world.person_ids[:_SCAN * 5])):
        wanted = [(code, tag) for code, tags in _WANTED.items()
                  if LICENCE_TYPES[code].holder == kind for tag in tags]
        for holder in holders:
            if all(counts.get(w, 0) >= per_tag for w in wanted):
                break
            chosen += _sample(holdings, holder, kind, today, counts, per_tag)
    return chosen


def _sample(holdings: LicenceHoldings, holder: str, kind: str, today: dt.date,
            counts: dict[tuple[str, str], int], per_tag: int) -> list[dict[str, Any]]:
    chosen: list[dict[str, Any]] = []
    for held in holdings.of_holder(holder):
        doc = held.document
        licence_type = by_library_code(doc["licenceType"])
        if licence_type is None:
            continue
        tags = _tags(held, today)
        if all(counts.get((licence_type.code, t), 0) >= per_tag for t in tags):
            continue
        for t in tags:
            counts[licence_type.code, t] = counts.get((licence_type.code, t), 0) + 1
        chosen.append({"type": licence_type.code, "number": doc["licenceNo"], "holder": holder,
                       "holderKind": kind, "holderName": doc["holderName"],
                       "issuer": doc["issuerCode"], "validUntil": doc["validUntil"],
                       "tags": tags})
    return chosen
