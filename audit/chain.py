"""The hash chain: numbering and linking new entries after the head, and checking one link.

Pure functions over entry bodies and hashes. The writer links a batch after the head it read
under the store's write lock; both verifiers (the store's and the offline export's) check every
link with `link_problem`, so there is one definition of what a valid link is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from audit.entry import AuditRecord, decode, encode, entry_hash, format_time

__all__ = ["LinkedBatch", "StoredEntry", "link", "link_problem", "parse_body"]


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """One row of the entries table: the body as stored and the columns indexed beside it."""

    seq: int
    time: str
    request_id: str
    caller: str | None
    purpose: str | None
    case_no: str | None
    outcome: str
    body: str
    entry_hash: str

    def row(self) -> dict[str, Any]:
        return {"seq": self.seq, "time": self.time, "request_id": self.request_id,
                "caller": self.caller, "purpose": self.purpose, "case_no": self.case_no,
                "outcome": self.outcome, "body": self.body, "entry_hash": self.entry_hash}


@dataclass(frozen=True, slots=True)
class LinkedBatch:
    entries: list[StoredEntry]
    subjects: list[dict[str, Any]]  # rows of the subject index
    consents: list[dict[str, Any]]  # rows of the consent index
    applications: list[dict[str, Any]]  # rows of the application index

    @property
    def head(self) -> tuple[int, str]:
        last = self.entries[-1]
        return last.seq, last.entry_hash


def link(records: Sequence[AuditRecord], seq: int, prev: str) -> LinkedBatch:
    """Number, link and hash `records` after the head (seq, prev)."""
    entries: list[StoredEntry] = []
    subjects: list[dict[str, Any]] = []
    consents: list[dict[str, Any]] = []
    applications: list[dict[str, Any]] = []
    for record in records:
        seq += 1
        body = encode(record.body(seq, prev))
        prev = entry_hash(prev, body)
        entries.append(StoredEntry(seq, format_time(record.time), record.request_id,
                                   record.caller, record.purpose, record.case, record.outcome,
                                   body.decode(), prev))
        subjects += [{"seq": seq, "subject": s} for s in sorted(set(record.subjects))]
        consents += [{"seq": seq, "consent_id": c} for c in sorted(set(record.consent_ids))]
        if record.application is not None:
            applications.append({"seq": seq, "application": record.application})
    return LinkedBatch(entries, subjects, consents, applications)


def link_problem(seq: int, body: dict[str, Any], body_bytes: bytes, stored_hash: str,
                 prev_hash: str | None) -> str | None:
    """What is wrong with entry `seq` as a link of the chain, or None if nothing is.

    `prev_hash` is the hash of entry seq - 1 when the verifier has it (None for the first
    entry of an export that starts mid-log, whose place the inclusion proof vouches for)."""
    if body.get("seq") != seq:
        return f"entry {seq} holds the content of entry {body.get('seq')}"
    claimed = body.get("prevHash")
    if not isinstance(claimed, str) or len(claimed) != 64:
        return f"entry {seq} has no previous-entry hash"
    if prev_hash is not None and claimed != prev_hash:
        return f"entry {seq} does not follow entry {seq - 1}"
    try:
        digest = entry_hash(claimed, body_bytes)
    except ValueError:
        return f"entry {seq} has a malformed previous-entry hash"
    if digest != stored_hash:
        return f"entry {seq} was changed: it no longer matches its hash"
    return None


def parse_body(seq: int, text: str | bytes) -> dict[str, Any] | str:
    """The decoded body, or the problem with it."""
    try:
        return decode(text)
    except ValueError:
        return f"entry {seq} is not a JSON object"
