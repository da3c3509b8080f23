"""An audit entry as the console reads it: the fields of its body that pages and rules use.

Bodies are the log's canonical JSON (`audit.entry.AuditRecord.body`); this is a typed view of
one, read once. Person subjects are pseudonyms (`v1:…`, never a clear ID); enterprises are
USCCs. `application` is the X-Hub-Application an entry served; `job` is read when the log
starts recording it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from audit.entry import parse_time

__all__ = ["Entry", "is_person"]


def is_person(subject: str) -> bool:
    """A person pseudonym (`v1:<hex>`), as opposed to an enterprise's USCC."""
    return ":" in subject


@dataclass(frozen=True, slots=True)
class Entry:
    seq: int
    time: dt.datetime  # aware, UTC
    request_id: str
    caller: str | None
    operator: str | None
    case: str | None
    purpose: str | None
    outcome: str
    legal_basis: str | None
    consents: tuple[str, ...]
    subjects: tuple[str, ...]
    categories: Mapping[str, tuple[str, ...]]  # person pseudonym → categories released
    released: tuple[str, ...]
    denied: tuple[tuple[str, str], ...]  # (path, code)
    sources: tuple[tuple[str, str, float, int], ...]  # (source, status, latency ms, keys)
    entry_hash: str
    prev_hash: str
    query_hash: str | None
    requests: int  # > 1: an aggregate of requests shed alike
    application: str | None
    job: str | None

    @classmethod
    def from_body(cls, seq: int, body: Mapping[str, Any], entry_hash: str) -> Entry:
        def text(key: str) -> str | None:
            value = body.get(key)
            return value if isinstance(value, str) else None

        requests = body.get("requests")
        return cls(
            seq=seq, time=parse_time(body["time"]), request_id=body.get("requestId", ""),
            caller=text("caller"), operator=text("operator"), case=text("case"),
            purpose=text("purpose"), outcome=body.get("outcome", ""),
            legal_basis=text("legalBasis"), consents=tuple(body.get("consentIds", ())),
            subjects=tuple(body.get("subjects", ())),
            categories={s: tuple(c) for s, c in body.get("subjectCategories", {}).items()},
            released=tuple(body.get("released", ())),
            denied=tuple((d["path"], d["code"]) for d in body.get("denied", ())),
            sources=tuple((c["source"], c["status"], float(c["latencyMs"]), int(c["keys"]))
                          for c in body.get("sources", ())),
            entry_hash=entry_hash, prev_hash=body.get("prevHash", ""),
            query_hash=text("queryHash"),
            requests=requests if isinstance(requests, int) and requests > 0 else 1,
            application=text("application"), job=text("job"))

    @property
    def persons(self) -> tuple[str, ...]:
        return tuple(s for s in self.subjects if is_person(s))

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(code for _, code in self.denied)
