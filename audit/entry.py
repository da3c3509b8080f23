"""Audit entries: what is recorded of one GraphQL operation, and how an entry is hashed.

An entry's body is canonical JSON (`signing.canonical`) of its fields, `seq` and `prevHash`
included; its hash is `SHA-256(prev_hash || body)`, so each entry commits to the whole chain
before it. The body is what is stored and what is verified; indexed columns beside it are only
for searching, and verification checks that they agree with the body.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from signing.canonical import canonical

__all__ = [
    "GENESIS",
    "OUTCOMES",
    "TIME_FORMAT",
    "AuditRecord",
    "CallRecord",
    "Denial",
    "Outcome",
    "decode",
    "encode",
    "entry_hash",
    "format_time",
    "parse_time",
]

GENESIS = "0" * 64
Outcome = Literal["ALLOWED", "PARTIAL", "DENIED", "FAILED"]
OUTCOMES: tuple[Outcome, ...] = ("ALLOWED", "PARTIAL", "DENIED", "FAILED")

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def format_time(moment: dt.datetime) -> str:
    """UTC, microseconds, fixed width: text order is time order."""
    return moment.astimezone(dt.UTC).strftime(TIME_FORMAT)


def parse_time(text: str) -> dt.datetime:
    """The inverse of `format_time`."""
    return dt.datetime.strptime(text, TIME_FORMAT).replace(tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class Denial:
    """A field path that was refused or failed, with its error code."""

    path: str
    code: str

    def as_json(self) -> dict[str, str]:
        return {"path": self.path, "code": self.code}


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One call to a department source, as the audit trail keeps it: never values.

    `call_id` names the department call; requests that shared one call (coalescing) record it
    with the same id, each with its own number of keys. Written only when set, so entries made
    without it keep their bodies, and their hashes, unchanged."""

    source: str
    status: str
    latency_ms: float
    keys: int
    call_id: str | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"source": self.source, "status": self.status,
                               "latencyMs": round(self.latency_ms, 1), "keys": self.keys}
        if self.call_id:
            out["callId"] = self.call_id
        return out


@dataclass(slots=True)
class AuditRecord:
    """What the hub knows of an operation when it ends; `seq` and hashes come at append."""

    time: dt.datetime
    request_id: str
    outcome: Outcome
    caller: str | None = None
    operator: str | None = None
    case: str | None = None
    purpose: str | None = None
    consent_ids: list[str] = field(default_factory=list)
    legal_basis: str | None = None
    subjects: list[str] = field(default_factory=list)  # USCCs and person pseudonyms
    subject_categories: dict[str, list[str]] = field(default_factory=dict)
    released: list[str] = field(default_factory=list)
    denied: list[Denial] = field(default_factory=list)
    sources: list[CallRecord] = field(default_factory=list)
    query_hash: str | None = None
    requests: int | None = None  # set: an aggregate of that many requests refused alike
    application: str | None = None  # the application (X-Hub-Application) it served
    refs: list[str] = field(default_factory=list)  # what it issued: "report:<no>", "objection:<id>"
    # Changes the operation makes to the hub's own store (a consent granted or revoked, the
    # reports of a check), as SQLAlchemy statements or (statement, rows) pairs run as one
    # executemany: committed in the same transaction as this entry, or not at all. Not part of
    # the entry's body.
    effects: tuple[Any, ...] = ()

    def withheld(self) -> AuditRecord:
        """This record as it must stand once its response said AUDIT_UNAVAILABLE: FAILED,
        nothing released (what would have been is denied with that code), no data category
        used, no change to the store; the subjects touched and the source calls made stay."""
        denied = [*self.denied, *(Denial(p, "AUDIT_UNAVAILABLE") for p in self.released)]
        if not any(d.code == "AUDIT_UNAVAILABLE" for d in denied):
            denied.append(Denial("", "AUDIT_UNAVAILABLE"))
        return dataclasses.replace(self, outcome="FAILED", released=[], denied=denied,
                                   subject_categories={}, effects=())

    def body(self, seq: int, prev_hash: str) -> dict[str, Any]:
        # Fields that most entries lack are written only when set, so that older entries keep
        # their exact bodies and hashes.
        extra: dict[str, Any] = {} if self.requests is None else {"requests": self.requests}
        if self.application is not None:
            extra["application"] = self.application
        if self.refs:
            extra["refs"] = sorted(set(self.refs))
        return extra | {
            "seq": seq, "time": format_time(self.time), "requestId": self.request_id,
            "caller": self.caller, "operator": self.operator, "case": self.case,
            "purpose": self.purpose, "consentIds": sorted(set(self.consent_ids)),
            "legalBasis": self.legal_basis, "subjects": sorted(set(self.subjects)),
            "subjectCategories": {k: sorted(set(v)) for k, v in self.subject_categories.items()},
            "released": self.released, "denied": [d.as_json() for d in self.denied],
            "sources": [s.as_json() for s in self.sources],
            "outcome": self.outcome, "queryHash": self.query_hash, "prevHash": prev_hash,
        }


def entry_hash(prev_hash: str, body_bytes: bytes) -> str:
    return hashlib.sha256(bytes.fromhex(prev_hash) + body_bytes).hexdigest()


def encode(body: dict[str, Any]) -> bytes:
    return canonical(body)


def decode(body_text: str | bytes) -> dict[str, Any]:
    value = orjson.loads(body_text)
    if not isinstance(value, dict):
        raise ValueError("an audit body is a JSON object")
    return value
