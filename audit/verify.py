"""Re-checking the audit log: the chain entry by entry, and every signed checkpoint.

Finds, and names by `seq`: a changed field (the entry no longer matches its hash, or an indexed
column disagrees with the entry), a deleted or swapped entry (a gap, or an entry that does not
follow its predecessor), a chain re-hashed after an edit (it no longer matches the tree head a
checkpoint signed), and truncation or rollback (the log is shorter than, or its head differs
from, what a checkpoint signed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.canonical import canonical
from audit.entry import GENESIS, decode, entry_hash
from audit.keys import SignatureInvalid, verify_signature
from audit.log import AuditLog, Checkpoint
from audit.merkle import CompactRange, leaf_hash

__all__ = ["Verification", "verify_checkpoint", "verify_log"]

_COLUMNS = {"time": "time", "request_id": "requestId", "caller": "caller",
            "purpose": "purpose", "case_no": "case", "outcome": "outcome"}


@dataclass(frozen=True, slots=True)
class Verification:
    ok: bool
    size: int
    head_hash: str | None
    first_bad_seq: int | None = None
    detail: str | None = None
    checkpoint: Checkpoint | None = None


def verify_checkpoint(cp: Checkpoint, public: Mapping[str, Ed25519PublicKey]) -> None:
    verify_signature(public, cp.key_id, canonical(cp.signed_content()), cp.signature)


async def verify_log(log: AuditLog, public: Mapping[str, Ed25519PublicKey]) -> Verification:
    checkpoints = await log.checkpoints()
    for cp in checkpoints:
        try:
            verify_checkpoint(cp, public)
        except SignatureInvalid as exc:
            return Verification(False, 0, None, cp.size, f"the checkpoint at size {cp.size} "
                                f"is not validly signed ({exc})")
    pending = list(checkpoints)
    last_good: Checkpoint | None = None
    compact = CompactRange()
    expected, prev = 1, GENESIS

    def bad(seq: int, detail: str) -> Verification:
        return Verification(False, expected - 1, prev, seq, detail, last_good)

    async for row in log.rows():
        if row.seq != expected:
            return bad(expected, f"entry {expected} is missing (the next stored is {row.seq})")
        try:
            body = decode(row.body)
        except ValueError:
            return bad(row.seq, f"entry {row.seq} is not a JSON object")
        if body.get("seq") != row.seq:
            return bad(row.seq, f"entry {row.seq} holds the content of entry {body.get('seq')}")
        if body.get("prevHash") != prev:
            return bad(row.seq, f"entry {row.seq} does not follow entry {row.seq - 1}")
        if entry_hash(prev, row.body.encode()) != row.entry_hash:
            return bad(row.seq, f"entry {row.seq} was changed: it no longer matches its hash")
        for column, key in _COLUMNS.items():
            if getattr(row, column) != body.get(key):
                return bad(row.seq, f"entry {row.seq}: column {column} disagrees with the "
                           "signed content")
        compact.append(leaf_hash(bytes.fromhex(row.entry_hash)))
        prev = row.entry_hash
        expected += 1
        while pending and pending[0].size == row.seq:
            cp = pending.pop(0)
            if cp.head_hash != prev or cp.root_hash != compact.root().hex():
                start = last_good.size + 1 if last_good else 1
                return bad(start, f"entries {start}..{cp.size} do not match the checkpoint "
                           f"signed at {cp.time}: the log was rewritten in that range")
            last_good = cp
    size = expected - 1
    if pending:
        cp = pending[0]
        return Verification(False, size, prev if size else None, size + 1,
                            f"the log ends at {size} entries but a checkpoint signed at "
                            f"{cp.time} covers {cp.size}: entries were removed (truncation "
                            "or rollback)", last_good)
    return Verification(True, size, prev if size else None, None, None, last_good)
