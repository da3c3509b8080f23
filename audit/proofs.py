"""One entry's proof of membership: its RFC 9162 inclusion proof against a signed checkpoint.

Pure, like `audit.verify`: `prove` builds the proof from the checkpoint's leaves, and
`verify_entry_proof` checks, with the public keys only, that the entry's body still matches its
hash, that the checkpoint is the hub's and that the proof leads from the entry to the
checkpoint's Merkle root. It returns nothing or raises. An entry newer than the latest
checkpoint has no proof yet (`covered` is false).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.chain import StoredEntry, link_problem, parse_body
from audit.checkpoint import Checkpoint, verify_checkpoint
from audit.merkle import ProofInvalid, inclusion_proof, leaf_hash, verify_inclusion

__all__ = ["EntryNotCovered", "EntryProof", "prove", "verify_entry_proof"]


class EntryNotCovered(ProofInvalid):
    """The entry is sound but newer than the checkpoint: there is nothing to prove it by yet."""


@dataclass(frozen=True, slots=True)
class EntryProof:
    entry: StoredEntry
    checkpoint: Checkpoint | None  # the latest signed checkpoint (None: none signed yet)
    proof: tuple[str, ...] = ()  # hex hashes, RFC 9162 PATH from the entry's leaf

    @property
    def covered(self) -> bool:
        """Whether the checkpoint covers the entry (only then is there a proof)."""
        return self.checkpoint is not None and self.entry.seq <= self.checkpoint.size


def prove(entry: StoredEntry, checkpoint: Checkpoint | None, hashes: Sequence[str]
          ) -> EntryProof:
    """The proof of `entry` in the tree of `checkpoint`, whose leaves' entry hashes are
    `hashes` (seq 1..checkpoint.size)."""
    if checkpoint is None or entry.seq > checkpoint.size:
        return EntryProof(entry, checkpoint)
    leaves = [leaf_hash(bytes.fromhex(h)) for h in hashes[:checkpoint.size]]
    path = inclusion_proof(entry.seq - 1, leaves)
    return EntryProof(entry, checkpoint, tuple(p.hex() for p in path))


def verify_entry_proof(unverified: EntryProof, public: Mapping[str, Ed25519PublicKey]) -> None:
    """Return if the entry is in the hub's signed log; raise `ProofInvalid` (the entry or
    proof does not hold; `EntryNotCovered` if the entry is sound but no checkpoint covers it
    yet) or `signing.keys.SignatureInvalid` (the checkpoint is not the hub's)."""
    entry, cp = unverified.entry, unverified.checkpoint
    body = parse_body(entry.seq, entry.body)
    if isinstance(body, str):
        raise ProofInvalid(body)
    problem = link_problem(entry.seq, body, entry.body.encode(), entry.entry_hash, None)
    if problem is not None:
        raise ProofInvalid(problem)
    if cp is None or not unverified.covered:
        raise EntryNotCovered(f"entry {entry.seq} is not yet covered by a signed checkpoint")
    verify_checkpoint(cp, public)
    try:
        path = [bytes.fromhex(p) for p in unverified.proof]
    except ValueError:
        raise ProofInvalid("the proof is not hex") from None
    verify_inclusion(entry.seq - 1, cp.size, leaf_hash(bytes.fromhex(entry.entry_hash)), path,
                     bytes.fromhex(cp.root_hash))
