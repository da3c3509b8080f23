"""The signed job manifest: one Merkle tree head (RFC 9162, `audit.merkle`) over the SHA-256
hashes of a job's reports, in the order of the list, and inclusion proofs for single reports.

A report's leaf is `leaf_hash(SHA-256(canonical report))`, as the audit log hashes its entries
(`audit.proofs`). The manifest names the job, its caller and kind, the number of reports and the
root; the hub signs its canonical JSON. `verify_report_in_job` checks a report against its proof
with nothing but the hub's public keys: the manifest's signature, then the path from the
report's leaf to the signed root. It returns nothing or raises.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.merkle import ProofInvalid, inclusion_proof, leaf_hash, root, verify_inclusion
from signing.canonical import canonical
from signing.keys import verify_signature

__all__ = ["MANIFEST_HASH", "JobManifest", "ProofInvalid", "Signer", "inclusion",
           "report_hash", "sign_manifest", "verify_report_in_job"]

MANIFEST_HASH = "RFC9162-SHA256"


class Signer(Protocol):
    def sign(self, payload: bytes) -> tuple[str, str]: ...


@dataclass(frozen=True, slots=True)
class JobManifest:
    job_id: str
    kind: str
    caller: str
    total: int
    size: int  # reports in the tree
    root: str  # hex
    issued_at: dt.datetime

    def document(self) -> dict[str, Any]:
        return {"jobId": self.job_id, "kind": self.kind, "caller": self.caller,
                "total": self.total, "reports": self.size, "treeRoot": self.root,
                "treeHash": MANIFEST_HASH, "issuedAt": self.issued_at.isoformat()}


def report_hash(document: bytes) -> str:
    """The hex SHA-256 of a report's canonical (signed) bytes."""
    return hashlib.sha256(document).hexdigest()


def _leaves(hashes: Sequence[str]) -> list[bytes]:
    return [leaf_hash(bytes.fromhex(h)) for h in hashes]


def sign_manifest(signer: Signer, job_id: str, kind: str, caller: str, total: int,
                  hashes: Sequence[str], now: dt.datetime) -> dict[str, Any]:
    """The signed manifest over the report hashes (in list order)."""
    manifest = JobManifest(job_id, kind, caller, total, len(hashes),
                           root(_leaves(hashes)).hex(), now)
    document = manifest.document()
    signature, kid = signer.sign(canonical(document))
    return {"manifest": document, "signature": signature, "keyId": kid}


def inclusion(index: int, hashes: Sequence[str], report_no: str,
              signed_manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The proof that report `index` (its number `report_no`) is part of the job."""
    path = inclusion_proof(index, _leaves(hashes))
    return {"reportNo": report_no, "index": index, "size": len(hashes),
            "path": [p.hex() for p in path], "job": dict(signed_manifest)}


def verify_report_in_job(unverified_report: Mapping[str, Any],
                         unverified_proof: Mapping[str, Any],
                         public: Mapping[str, Ed25519PublicKey]) -> dict[str, Any]:
    """Return the manifest if the report is part of the signed job; raise `ProofInvalid` or
    `signing.keys.SignatureInvalid` (the manifest is not the hub's)."""
    try:
        signed = unverified_proof["job"]
        manifest, signature, kid = signed["manifest"], signed["signature"], signed["keyId"]
        index, size = unverified_proof["index"], unverified_proof["size"]
        path = [bytes.fromhex(p) for p in unverified_proof["path"]]
        tree_root = bytes.fromhex(manifest["treeRoot"])
    except (KeyError, TypeError, ValueError):
        raise ProofInvalid("the proof is not a job inclusion proof (reportNo, index, size, "
                           "path, job)") from None
    if not isinstance(index, int) or not isinstance(size, int) or size != manifest.get(
            "reports"):
        raise ProofInvalid("the proof's tree size is not the manifest's")
    verify_signature(public, kid, canonical(manifest), signature)
    if unverified_report.get("reportNo") != unverified_proof.get("reportNo"):
        raise ProofInvalid("the proof is for another report")
    leaf = leaf_hash(bytes.fromhex(report_hash(canonical(dict(unverified_report)))))
    verify_inclusion(index, size, leaf, path, tree_root)
    return dict(manifest)
