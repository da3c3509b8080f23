"""Reads the console adds to the audit log: operator filters, one entry with its inclusion
proof, and selection exports that stay tamper-evident. SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import update

from audit.entry import AuditRecord
from audit.errors import ExportInvalid
from audit.export import export_lines, export_selection
from audit.log import AuditLog, entry_proof
from audit.merkle import ProofInvalid
from audit.proofs import EntryNotCovered, verify_entry_proof
from audit.search import SearchFilter
from audit.verify import verify_export
from signing.keys import KeyRing, SignatureInvalid, init_keys

OPERATORS = ["clerk", "clerk-7", "a_b", "axb", None, "clerk", "a%b", "50%"]


@pytest.fixture
async def log(url: str, ring: KeyRing) -> AsyncIterator[AuditLog]:
    audit = await AuditLog.open(url, ring, checkpoint_every=1000)
    for i, operator in enumerate(OPERATORS):
        await audit.append(AuditRecord(
            time=dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=i),
            request_id=f"r{i}", outcome="ALLOWED" if i % 3 else "DENIED", caller="portal",
            operator=operator, purpose="SCHOOL_ENROLMENT", released=["person.household"]))
    yield audit
    await audit.close()


async def operators(log: AuditLog, operator: str) -> list[int]:
    rows, total, _ = await log.search(SearchFilter(operator=operator), first=50, before_seq=None)
    assert total == len(rows)
    return sorted(seq for seq, _, _ in rows)


async def test_the_operator_filter_matches_exactly(log: AuditLog) -> None:
    """Not a prefix, and LIKE's wildcards in an operator are plain characters."""
    assert await operators(log, "clerk") == [1, 6]
    assert await operators(log, "clerk-7") == [2]
    assert await operators(log, "a_b") == [3]  # `_` must not match the x of axb
    assert await operators(log, "a%b") == [7]
    assert await operators(log, "50%") == [8]
    assert await operators(log, "cler") == []


async def test_operator_combines_with_the_indexed_filters(log: AuditLog) -> None:
    rows, total, _ = await log.search(SearchFilter(operator="clerk", outcome="DENIED"), first=50,
                                      before_seq=None)
    assert [seq for seq, _, _ in rows] == [1] and total == 1


async def test_application_and_job_match_nothing_until_the_log_records_them(log: AuditLog
                                                                            ) -> None:
    for f in (SearchFilter(application="APP-1"), SearchFilter(job="job-1")):
        assert (await log.search(f, first=50, before_seq=None))[1] == 0


async def test_every_entry_proves_its_place_under_the_latest_checkpoint(log: AuditLog,
                                                                        ring: KeyRing) -> None:
    assert (await entry_proof(log, 1)) is not None
    with pytest.raises(EntryNotCovered):  # nothing signed yet
        verify_entry_proof(await _proof(log, 3), ring.public)
    await log.checkpoint()
    for seq in range(1, len(OPERATORS) + 1):
        proof = await _proof(log, seq)
        assert proof.covered and proof.checkpoint is not None
        verify_entry_proof(proof, ring.public)
    assert await entry_proof(log, 99) is None


async def _proof(log: AuditLog, seq: int) -> Any:
    proof = await entry_proof(log, seq)
    assert proof is not None
    return proof


async def test_a_changed_entry_a_wrong_proof_or_a_foreign_checkpoint_fail(log: AuditLog,
                                                                          ring: KeyRing,
                                                                          tmp_path: Path) -> None:
    await log.checkpoint()
    proof = await _proof(log, 4)
    other = await _proof(log, 5)
    with pytest.raises(ProofInvalid, match="does not lead to the tree head"):
        verify_entry_proof(dataclasses.replace(proof, proof=other.proof), ring.public)
    with pytest.raises(ProofInvalid):
        verify_entry_proof(dataclasses.replace(proof, proof=proof.proof[:-1]), ring.public)
    changed = dataclasses.replace(proof.entry, body=proof.entry.body.replace("axb", "AXB"))
    assert changed.body != proof.entry.body
    with pytest.raises(ProofInvalid, match="no longer matches its hash"):
        verify_entry_proof(dataclasses.replace(proof, entry=changed), ring.public)
    stranger = init_keys(tmp_path / "stranger")
    with pytest.raises(SignatureInvalid):
        verify_entry_proof(proof, stranger.public)
    # A rewritten row (body and hash) no longer leads to the signed root.
    e = log.tables.entries
    async with log.writer.begin() as conn:
        await conn.execute(update(e).where(e.c.seq == 4).values(entry_hash="0" * 64))
    with pytest.raises(ProofInvalid):
        verify_entry_proof(await _proof(log, 4), ring.public)


def _lines(lines: list[dict[str, Any]]) -> list[bytes]:
    return [orjson.dumps(line) for line in lines]


async def test_a_selection_export_verifies_offline_and_names_its_filter(log: AuditLog,
                                                                        ring: KeyRing) -> None:
    chosen = [2, 5, 6, 8]
    lines = await export_selection(log, ring, chosen, {"operator": "clerk"})
    summary = verify_export(_lines(lines), ring.public)
    assert (summary.entries, summary.first_seq, summary.last_seq) == (4, 2, 8)
    assert summary.selection == {"operator": "clerk"}
    assert [line["seq"] for line in lines if line["type"] == "entry"] == chosen


@pytest.mark.parametrize("tamper", ["drop-middle", "drop-last", "swap", "add", "filter",
                                    "body", "as-contiguous"])
async def test_a_tampered_selection_export_is_refused(log: AuditLog, ring: KeyRing,
                                                      tamper: str) -> None:
    lines = await export_selection(log, ring, [2, 5, 6, 8], {"operator": "clerk"})
    entries = [i for i, line in enumerate(lines) if line["type"] == "entry"]
    if tamper == "drop-middle":
        del lines[entries[1]]
    elif tamper == "drop-last":
        del lines[entries[-1]]
    elif tamper == "swap":
        lines[entries[0]], lines[entries[1]] = lines[entries[1]], lines[entries[0]]
    elif tamper == "add":
        full = await export_lines(log, ring, None)
        extra = next(line for line in full if line.get("seq") == 3)
        lines.insert(entries[1], extra)
    elif tamper == "filter":
        lines[0]["selection"]["filter"] = {"operator": "someone-else"}
    elif tamper == "body":
        lines[entries[0]]["body"]["operator"] = "someone-else"
    else:  # pass a selection off as a contiguous export
        del lines[0]["selection"]
    with pytest.raises(ExportInvalid):
        verify_export(_lines(lines), ring.public)


async def test_contiguous_exports_are_unchanged(log: AuditLog, ring: KeyRing) -> None:
    lines = await export_lines(log, ring, None)
    assert "selection" not in lines[0]
    assert verify_export(_lines(lines), ring.public).entries == len(OPERATORS)
    del lines[3]
    with pytest.raises(ExportInvalid):
        verify_export(_lines(lines), ring.public)
