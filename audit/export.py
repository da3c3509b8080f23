"""Exporting audit entries with proofs, and checking an export offline with the public key only.

An export is JSON Lines: one `entry` line per entry (its body, its hash and its RFC 9162
inclusion proof against the checkpoint), then the signed `checkpoint` the proofs lead to, and,
when an earlier checkpoint exists, a `consistency` line proving the new checkpoint extends it.
`verify_export` needs nothing but the lines and the hub's public keys.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.canonical import canonical
from audit.entry import entry_hash
from audit.keys import SignatureInvalid
from audit.log import AuditLog, Checkpoint
from audit.merkle import (
    ProofInvalid,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)
from audit.verify import verify_checkpoint

__all__ = ["ExportInvalid", "ExportSummary", "export_lines", "verify_export"]


class ExportInvalid(Exception):
    """An export does not verify; the message names the line or seq."""


@dataclass(frozen=True, slots=True)
class ExportSummary:
    entries: int
    first_seq: int | None
    last_seq: int | None
    checkpoint_size: int


async def export_lines(log: AuditLog, since: str | None) -> list[dict[str, Any]]:
    """Sign a checkpoint at the head, then export entries at or after `since` with proofs."""
    cp = await log.checkpoint(force=True)
    if cp is None:
        return []
    leaves: list[bytes] = []
    selected: list[tuple[int, str, str]] = []
    async for row in log.rows():
        if row.seq > cp.size:
            break
        leaves.append(leaf_hash(bytes.fromhex(row.entry_hash)))
        if since is None or row.time >= since:
            selected.append((row.seq, row.body, row.entry_hash))
    lines: list[dict[str, Any]] = [
        {"type": "entry", "seq": seq, "entryHash": h, "body": orjson.loads(body),
         "inclusionProof": [p.hex() for p in inclusion_proof(seq - 1, leaves)]}
        for seq, body, h in selected]
    lines.append({"type": "checkpoint", **cp.as_json()})
    earlier = [c for c in await log.checkpoints() if c.size < cp.size]
    if earlier:
        prior = earlier[-1]
        lines.append({"type": "consistency", "from": prior.as_json(), "toSize": cp.size,
                      "proof": [p.hex() for p in consistency_proof(prior.size, leaves)]})
    return lines


def _checkpoint(raw: Mapping[str, Any]) -> Checkpoint:
    try:
        return Checkpoint(raw["logId"], int(raw["size"]), raw["headHash"], raw["rootHash"],
                          raw["time"], raw["keyId"], raw["signature"])
    except (KeyError, TypeError, ValueError):
        raise ExportInvalid("a checkpoint line is incomplete") from None


def verify_export(lines: Iterable[bytes], public: Mapping[str, Ed25519PublicKey]
                  ) -> ExportSummary:
    entries: list[dict[str, Any]] = []
    checkpoint: Checkpoint | None = None
    consistency: dict[str, Any] | None = None
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            line = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise ExportInvalid(f"line {number} is not JSON") from None
        kind = line.get("type") if isinstance(line, dict) else None
        if kind == "entry":
            entries.append(line)
        elif kind == "checkpoint":
            checkpoint = _checkpoint(line)
        elif kind == "consistency":
            consistency = line
        else:
            raise ExportInvalid(f"line {number} is not an entry, checkpoint or consistency line")
    if checkpoint is None:
        raise ExportInvalid("the export has no checkpoint")
    try:
        verify_checkpoint(checkpoint, public)
    except SignatureInvalid as exc:
        raise ExportInvalid(f"the checkpoint is not validly signed: {exc}") from None
    root = bytes.fromhex(checkpoint.root_hash)
    previous: dict[str, Any] | None = None
    for e in entries:
        seq, body = e.get("seq"), e.get("body")
        if not isinstance(seq, int) or not isinstance(body, dict) or body.get("seq") != seq:
            raise ExportInvalid(f"entry {seq}: malformed")
        if entry_hash(body["prevHash"], canonical(body)) != e.get("entryHash"):
            raise ExportInvalid(f"entry {seq} was changed: it no longer matches its hash")
        if previous is not None and previous["seq"] + 1 == seq \
                and body["prevHash"] != previous["entryHash"]:
            raise ExportInvalid(f"entry {seq} does not follow entry {seq - 1}")
        try:
            verify_inclusion(seq - 1, checkpoint.size, leaf_hash(bytes.fromhex(e["entryHash"])),
                             [bytes.fromhex(p) for p in e["inclusionProof"]], root)
        except (ProofInvalid, ValueError, KeyError) as exc:
            raise ExportInvalid(f"entry {seq} is not in the signed log: {exc}") from None
        previous = e
    if consistency is not None:
        prior = _checkpoint(consistency.get("from", {}))
        try:
            verify_checkpoint(prior, public)
            verify_consistency(prior.size, checkpoint.size,
                               [bytes.fromhex(p) for p in consistency["proof"]],
                               bytes.fromhex(prior.root_hash), root)
        except (SignatureInvalid, ProofInvalid, KeyError, ValueError) as exc:
            raise ExportInvalid(f"the checkpoint does not extend the earlier one: {exc}") \
                from None
    seqs = [e["seq"] for e in entries]
    return ExportSummary(len(entries), seqs[0] if seqs else None, seqs[-1] if seqs else None,
                         checkpoint.size)
