"""Re-checking the audit log, from the store or from an export, with the public keys only.

Pure: this module reads no database and imports neither the writer nor SQLAlchemy. The store's
entries are fed to `LogVerifier` one by one in seq order; an export's lines go to
`verify_export`. Both check, and name by `seq`: that seqs are contiguous and ascending, that
every entry chains to the one before and still matches its hash, that every signed checkpoint
verifies and matches the entries it covers, and that the log (or export) reaches the latest
checkpoint — so a changed, deleted, swapped or re-hashed entry and a truncated or rolled-back
log are all found. Checkpoints kept by a witness outside the store (`audit.witness`) count like
the store's own, so deleting the store's checkpoints with its tail is found too. Entries after
the last checkpoint are reported as not yet covered.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.chain import StoredEntry, link_problem, parse_body
from audit.checkpoint import Checkpoint, verify_checkpoint
from audit.entry import GENESIS
from audit.errors import ExportInvalid
from audit.merkle import CompactRange, ProofInvalid, leaf_hash, verify_consistency, verify_inclusion
from signing.canonical import canonical
from signing.keys import SignatureInvalid, verify_signature

__all__ = ["ExportSummary", "LogVerifier", "Verification", "export_header", "uncovered_note",
           "verify_export"]

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
    uncovered: int = 0  # entries after the last signed checkpoint


def uncovered_note(entries: int) -> str:
    """What verification says of the entries after the last checkpoint."""
    return (f"not yet covered by a checkpoint ({entries} entries): the newest entries are "
            "chained but not signed, so their removal would go unnoticed until the next "
            "checkpoint")


class LogVerifier:
    """Feed every stored entry in seq order, then read `result()`."""

    def __init__(self, checkpoints: Sequence[Checkpoint],
                 public: Mapping[str, Ed25519PublicKey], *, log_id: str | None = None,
                 witnessed: Sequence[Checkpoint] = ()) -> None:
        tagged = [(cp, "") for cp in checkpoints] + [(cp, " (kept by the witness)")
                                                    for cp in witnessed]
        self._pending = sorted(tagged, key=lambda t: t[0].size)
        self._last_good: Checkpoint | None = None
        self._compact = CompactRange()
        self._expected = 1
        self._prev = GENESIS
        self._failure: Verification | None = None
        for cp, where in self._pending:
            problem = None
            if log_id is not None and cp.log_id != log_id:
                problem = f"the checkpoint at size {cp.size}{where} belongs to another log"
            else:
                try:
                    verify_checkpoint(cp, public)
                except SignatureInvalid as exc:
                    problem = (f"the checkpoint at size {cp.size}{where} is not validly "
                               f"signed ({exc})")
            if problem is not None:
                self._failure = Verification(False, 0, None, cp.size, problem)
                break

    def _fail(self, seq: int, detail: str) -> bool:
        self._failure = Verification(False, self._expected - 1, self._prev, seq, detail,
                                     self._last_good)
        return False

    def feed(self, entry: StoredEntry) -> bool:
        """Check the next entry; False once the log is found bad (stop feeding then)."""
        if self._failure is not None:
            return False
        seq = self._expected
        if entry.seq != seq:
            return self._fail(seq, f"entry {seq} is missing (the next stored is {entry.seq})")
        body = parse_body(seq, entry.body)
        if isinstance(body, str):
            return self._fail(seq, body)
        problem = link_problem(seq, body, entry.body.encode(), entry.entry_hash, self._prev)
        if problem is not None:
            return self._fail(seq, problem)
        for column, key in _COLUMNS.items():
            if getattr(entry, column) != body.get(key):
                return self._fail(seq, f"entry {seq}: column {column} disagrees with the "
                                  "signed content")
        self._compact.append(leaf_hash(bytes.fromhex(entry.entry_hash)))
        self._prev = entry.entry_hash
        self._expected += 1
        while self._pending and self._pending[0][0].size == seq:
            cp, where = self._pending.pop(0)
            if cp.head_hash != self._prev or cp.root_hash != self._compact.root().hex():
                start = self._last_good.size + 1 if self._last_good else 1
                return self._fail(start, f"entries {start}..{cp.size} do not match the "
                                  f"checkpoint signed at {cp.time}{where}: the log was "
                                  "rewritten in that range")
            self._last_good = cp
        return True

    def result(self) -> Verification:
        if self._failure is not None:
            return self._failure
        size = self._expected - 1
        head = self._prev if size else None
        if self._pending:
            cp, where = self._pending[-1]
            return Verification(False, size, head, size + 1,
                                f"the log ends at {size} entries but a checkpoint signed at "
                                f"{cp.time}{where} covers {cp.size}: entries were removed "
                                "(truncation or rollback)", self._last_good)
        covered = self._last_good.size if self._last_good else 0
        return Verification(True, size, head, None, None, self._last_good, size - covered)


# -- exports ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExportSummary:
    entries: int
    first_seq: int | None
    last_seq: int | None
    checkpoint_size: int
    selection: Mapping[str, Any] | None = None  # the filter of a selection export


def export_header(since: str | None, first_seq: int | None, last_seq: int | None, count: int,
                  checkpoint_size: int, selection: Mapping[str, Any] | None = None,
                  seqs: Sequence[int] = ()) -> dict[str, Any]:
    """What an export's signed header line covers: its extent, so no line can go unnoticed.

    A selection (entries chosen by a filter, not a contiguous run) names its filter and signs
    the SHA-256 of its seqs, so a removed or added entry line is found all the same."""
    header: dict[str, Any] = {"type": "export", "since": since, "firstSeq": first_seq,
                              "lastSeq": last_seq, "count": count,
                              "checkpointSize": checkpoint_size}
    if selection is not None:
        digest = hashlib.sha256(",".join(map(str, seqs)).encode()).hexdigest()
        header["selection"] = {"filter": dict(selection), "seqsSha256": digest}
    return header


def _lines(lines: Iterable[bytes]) -> tuple[dict[str, Any] | None, list[dict[str, Any]],
                                            dict[str, Any] | None, dict[str, Any] | None]:
    header = checkpoint = consistency = None
    entries: list[dict[str, Any]] = []
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
        elif kind in ("export", "checkpoint", "consistency"):
            seen = {"export": header, "checkpoint": checkpoint, "consistency": consistency}
            if seen[kind] is not None:
                raise ExportInvalid(f"line {number}: a second {kind} line")
            if kind == "export":
                header = line
            elif kind == "checkpoint":
                checkpoint = line
            else:
                consistency = line
        else:
            raise ExportInvalid(f"line {number} is not an export, entry, checkpoint or "
                                "consistency line")
    return header, entries, checkpoint, consistency


def _verified_checkpoint(raw: Mapping[str, Any] | None, public: Mapping[str, Ed25519PublicKey],
                         what: str) -> Checkpoint:
    if raw is None:
        raise ExportInvalid(f"the export has no {what}")
    try:
        cp = Checkpoint.from_json(raw)
    except (KeyError, TypeError, ValueError):
        raise ExportInvalid(f"the {what} line is incomplete") from None
    try:
        verify_checkpoint(cp, public)
    except SignatureInvalid as exc:
        raise ExportInvalid(f"the {what} is not validly signed: {exc}") from None
    return cp


def verify_export(lines: Iterable[bytes], public: Mapping[str, Ed25519PublicKey]
                  ) -> ExportSummary:
    """Return what a valid export holds; raise `ExportInvalid` naming the first problem."""
    header, entries, raw_cp, consistency = _lines(lines)
    checkpoint = _verified_checkpoint(raw_cp, public, "checkpoint")
    if header is None:
        raise ExportInvalid("the export has no signed header line (type export)")
    claimed = {k: v for k, v in header.items() if k not in ("keyId", "signature")}
    try:
        verify_signature(public, str(header.get("keyId")), canonical(claimed),
                         str(header.get("signature")))
    except SignatureInvalid as exc:
        raise ExportInvalid(f"the export header is not validly signed: {exc}") from None
    seqs = [e.get("seq") for e in entries]
    selection = header.get("selection")
    if selection is not None and not (isinstance(selection, dict)
                                      and isinstance(selection.get("filter"), dict)):
        raise ExportInvalid("the export header's selection is malformed")
    expected = export_header(header.get("since"), seqs[0] if seqs else None,
                             seqs[-1] if seqs else None, len(entries), checkpoint.size,
                             selection["filter"] if selection is not None else None,
                             [s if isinstance(s, int) else -1 for s in seqs])
    if claimed != expected:
        diff = sorted(k for k in expected if claimed.get(k) != expected.get(k))
        raise ExportInvalid(f"the export does not hold what its header signed ({', '.join(diff)}"
                            "): lines were removed, added or reordered")
    root = bytes.fromhex(checkpoint.root_hash)
    prev: tuple[int, str] | None = None
    for e in entries:
        seq, body = e.get("seq"), e.get("body")
        if isinstance(seq, bool) or not isinstance(seq, int) or not isinstance(body, dict):
            raise ExportInvalid(f"entry {seq}: malformed")
        if prev is not None and (seq <= prev[0] if selection is not None else seq != prev[0] + 1):
            raise ExportInvalid(f"entry {seq} follows entry {prev[0]}: entries are missing or "
                                "out of order")
        stored = e.get("entryHash")
        if not isinstance(stored, str):
            raise ExportInvalid(f"entry {seq}: no entry hash")
        # In a selection only neighbours in the log are linked here; every entry's place in
        # the log is vouched for by its inclusion proof.
        problem = link_problem(seq, body, canonical(body), stored,
                               prev[1] if prev is not None and seq == prev[0] + 1 else None)
        if problem is not None:
            raise ExportInvalid(problem)
        try:
            verify_inclusion(seq - 1, checkpoint.size, leaf_hash(bytes.fromhex(stored)),
                             [bytes.fromhex(p) for p in e["inclusionProof"]], root)
        except (ProofInvalid, ValueError, KeyError, TypeError) as exc:
            raise ExportInvalid(f"entry {seq} is not in the signed log: {exc}") from None
        prev = (seq, stored)
    if selection is None and prev is not None and prev[0] != checkpoint.size:
        raise ExportInvalid(f"the export ends at entry {prev[0]} but its checkpoint covers "
                            f"{checkpoint.size}: entries were removed from the end")
    if consistency is not None:
        prior = _verified_checkpoint(consistency.get("from"), public, "earlier checkpoint")
        try:
            verify_consistency(prior.size, checkpoint.size,
                               [bytes.fromhex(p) for p in consistency["proof"]],
                               bytes.fromhex(prior.root_hash), root)
        except (ProofInvalid, KeyError, ValueError, TypeError) as exc:
            raise ExportInvalid(f"the checkpoint does not extend the earlier one: {exc}") \
                from None
    first = entries[0]["seq"] if entries else None
    return ExportSummary(len(entries), first, prev[0] if prev else None, checkpoint.size,
                         selection["filter"] if selection is not None else None)
