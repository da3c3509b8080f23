"""Exporting audit entries with proofs: JSON Lines that `audit.verify.verify_export` checks
offline with the hub's public keys only.

An export is a signed `export` header (its extent: since, first and last seq, count and the
checkpoint size), one `entry` line per entry (its body, its hash and its RFC 9162 inclusion
proof against the checkpoint), the signed `checkpoint` the proofs lead to, and, when an earlier
checkpoint exists, a `consistency` line proving the new checkpoint extends it. Entries run
contiguously up to the checkpoint, so a deleted, added or reordered line is found.

A selection export (`export_selection`: the entries an auditor's filter chose, as the console
exports them) has the same lines; its header names the filter and signs the digest of the
chosen seqs instead of claiming a contiguous run.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

import orjson

from audit.checkpoint import Signer
from audit.log import AuditLog
from audit.merkle import consistency_proof, inclusion_proof, leaf_hash
from audit.verify import export_header
from signing.canonical import canonical

__all__ = ["export_lines", "export_selection"]


async def export_lines(log: AuditLog, signer: Signer, since: str | None
                       ) -> list[dict[str, Any]]:
    """Sign a checkpoint at the head, then export entries at or after `since` with proofs."""
    return await _export(log, signer, lambda seq, time: since is None or time >= since,
                         since=since)


async def export_selection(log: AuditLog, signer: Signer, seqs: Collection[int],
                           selection: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Sign a checkpoint at the head, then export the entries `seqs` with proofs, under a
    header that names `selection` (the filter that chose them, as plain JSON)."""
    chosen = frozenset(seqs)
    return await _export(log, signer, lambda seq, time: seq in chosen, selection=selection)


async def _export(log: AuditLog, signer: Signer, wanted: Callable[[int, str], bool], *,
                  since: str | None = None, selection: Mapping[str, Any] | None = None
                  ) -> list[dict[str, Any]]:
    cp = await log.checkpoint(force=True)
    if cp is None:
        return []
    leaves: list[bytes] = []
    selected: list[tuple[int, str, str]] = []
    async for row in log.rows():
        if row.seq > cp.size:
            break
        leaves.append(leaf_hash(bytes.fromhex(row.entry_hash)))
        if wanted(row.seq, row.time):
            selected.append((row.seq, row.body, row.entry_hash))
    entries: list[dict[str, Any]] = [
        {"type": "entry", "seq": seq, "entryHash": h, "body": orjson.loads(body),
         "inclusionProof": [p.hex() for p in inclusion_proof(seq - 1, leaves)]}
        for seq, body, h in selected]
    header = export_header(since, selected[0][0] if selected else None,
                           selected[-1][0] if selected else None, len(selected), cp.size,
                           selection, [seq for seq, _, _ in selected])
    signature, kid = signer.sign(canonical(header))
    lines = [{**header, "keyId": kid, "signature": signature}, *entries,
             {"type": "checkpoint", **cp.as_json()}]
    earlier = [c for c in await log.checkpoints() if c.size < cp.size]
    if earlier:
        prior = earlier[-1]
        lines.append({"type": "consistency", "from": prior.as_json(), "toSize": cp.size,
                      "proof": [p.hex() for p in consistency_proof(prior.size, leaves)]})
    return lines
