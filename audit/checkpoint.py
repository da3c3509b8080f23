"""Signed checkpoints: the log's size, chain head and RFC 9162 tree head, signed by the hub.

A checkpoint commits to every entry up to its size twice over: through the last entry's chain
hash and through the Merkle root of all entry hashes (which lets an export prove that an entry
is in the log with an inclusion proof). `verify_checkpoint` returns nothing or raises.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.entry import format_time
from audit.merkle import CompactRange
from signing.canonical import canonical
from signing.keys import verify_signature

__all__ = ["Checkpoint", "Signer", "make_checkpoint", "verify_checkpoint"]


class Signer(Protocol):
    def sign(self, payload: bytes) -> tuple[str, str]:
        """Base64 signature of `payload` and the id of the key that made it."""
        ...


@dataclass(frozen=True, slots=True)
class Checkpoint:
    log_id: str
    size: int
    head_hash: str
    root_hash: str
    time: str
    key_id: str
    signature: str

    def signed_content(self) -> dict[str, Any]:
        return {"logId": self.log_id, "size": self.size, "headHash": self.head_hash,
                "rootHash": self.root_hash, "time": self.time}

    def as_json(self) -> dict[str, Any]:
        return {**self.signed_content(), "keyId": self.key_id, "signature": self.signature}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Checkpoint:
        """Raise KeyError, TypeError or ValueError when a field is missing or mistyped."""
        size = raw["size"]
        if isinstance(size, bool) or not isinstance(size, int):
            raise TypeError("size")
        fields = [raw[k] for k in ("logId", "headHash", "rootHash", "time", "keyId",
                                   "signature")]
        if not all(isinstance(f, str) for f in fields):
            raise TypeError("a checkpoint field is not text")
        log_id, head, root, time, kid, signature = fields
        return cls(log_id, size, head, root, time, kid, signature)


def make_checkpoint(signer: Signer, log_id: str, compact: CompactRange, head_hash: str,
                    now: dt.datetime) -> Checkpoint:
    """Sign the tree head of `compact` (which must cover every entry up to the head)."""
    unsigned = Checkpoint(log_id, compact.size, head_hash, compact.root().hex(),
                          format_time(now), "", "")
    signature, kid = signer.sign(canonical(unsigned.signed_content()))
    return Checkpoint(log_id, compact.size, head_hash, unsigned.root_hash, unsigned.time, kid,
                      signature)


def verify_checkpoint(cp: Checkpoint, public: Mapping[str, Ed25519PublicKey]) -> None:
    """Return if the hub signed `cp`; raise `signing.keys.SignatureInvalid` otherwise."""
    verify_signature(public, cp.key_id, canonical(cp.signed_content()), cp.signature)
