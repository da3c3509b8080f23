"""What a licence answer becomes at the hub: each envelope assessed, and only the holder's kept.

Pure: the gateway hands over the library's records for one query and gets back the findings it
may release and how many licences it must not (a verified licence of another holder, or of
another type or number than asked: the library answered about somebody else). A licence whose
signature did not verify is kept as a finding without content (BAD_SIGNATURE, UNKNOWN_ISSUER):
the caller learns that what the library holds under that number is not genuine, and nothing of
what it claims.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import orjson

from connectors.records import Record
from licence.catalogue import LicenceType
from licence.issuers import TrustedIssuer
from licence.verify import Assessment, assess, parse_envelope

__all__ = ["LicenceFinding", "assess_answer"]


@dataclass(frozen=True, slots=True)
class LicenceFinding:
    kind: LicenceType
    number: str  # as verified; as asked or as claimed when the signature did not verify
    assessment: Assessment
    application: str | None = None


def assess_answer(records: Sequence[Record], kind: LicenceType, number: str | None,
                  holder: str, issuers: Mapping[str, TrustedIssuer], now: dt.datetime
                  ) -> tuple[list[LicenceFinding], int]:
    """The findings to release and the count of licences held by someone else; raise
    `MalformedLicence` when an envelope is not one."""
    findings: list[LicenceFinding] = []
    foreign = 0
    for record in records:
        text = record.get("envelope")
        try:
            raw = orjson.loads(text) if isinstance(text, str) else None
        except orjson.JSONDecodeError:
            raw = None
        envelope = parse_envelope(raw)
        assessment = assess(envelope, issuers, now)
        licence = assessment.licence
        if licence is None:
            claimed = envelope.document.get("licenceNo")
            shown = number or (claimed if isinstance(claimed, str) else "")
            findings.append(LicenceFinding(kind, shown, assessment))
        elif (licence.library_code != kind.library_code or licence.holder_id != holder
              or (number is not None and licence.number != number)):
            foreign += 1
        else:
            findings.append(LicenceFinding(kind, licence.number, assessment))
    return findings, foreign


