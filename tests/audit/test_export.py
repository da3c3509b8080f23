"""Exports verify offline, and any removed, reordered or changed line is found."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from audit.entry import AuditRecord
from audit.errors import ExportInvalid
from audit.export import export_lines
from audit.log import AuditLog
from audit.verify import verify_export
from signing.keys import KeyRing, init_keys
from tests.stores import migrated

Lines = list[bytes]


def record(i: int) -> AuditRecord:
    return AuditRecord(time=dt.datetime(2026, 11, 28, 8, 0, tzinfo=dt.UTC)
                       + dt.timedelta(seconds=i), request_id=f"r{i}", outcome="ALLOWED",
                       caller="fgw", purpose="IPO_COMPLIANCE", released=["complianceCheck"])


async def exported(tmp_path: Path, ring: KeyRing, n: int, since: str | None = None) -> Lines:
    url = await migrated(f"sqlite+aiosqlite:///{tmp_path / 'audit.sqlite'}")
    log = await AuditLog.open(url, ring, checkpoint_every=4)
    try:
        for i in range(n):
            await log.append(record(i))
        return [orjson.dumps(line) for line in await export_lines(log, ring, since)]
    finally:
        await log.close()


def entry_index(lines: Lines, seq: int) -> int:
    return next(i for i, raw in enumerate(lines)
                if orjson.loads(raw).get("type") == "entry" and orjson.loads(raw)["seq"] == seq)


async def test_an_untouched_export_verifies(tmp_path: Path, ring: KeyRing) -> None:
    lines = await exported(tmp_path, ring, 9)
    summary = verify_export(lines, ring.public)
    assert (summary.entries, summary.first_seq, summary.last_seq) == (9, 1, 9)
    assert summary.checkpoint_size == 9


async def test_an_export_from_a_point_in_time_verifies(tmp_path: Path, ring: KeyRing) -> None:
    lines = await exported(tmp_path, ring, 9, since="2026-11-28T08:00:05.000000Z")
    summary = verify_export(lines, ring.public)
    assert (summary.entries, summary.first_seq, summary.last_seq) == (4, 6, 9)


def drop(seq: int) -> Callable[[Lines], Lines]:
    def change(lines: Lines) -> Lines:
        i = entry_index(lines, seq)
        return lines[:i] + lines[i + 1:]
    return change


def swap(a: int, b: int) -> Callable[[Lines], Lines]:
    def change(lines: Lines) -> Lines:
        i, j = entry_index(lines, a), entry_index(lines, b)
        out = list(lines)
        out[i], out[j] = out[j], out[i]
        return out
    return change


def drop_header(lines: Lines) -> Lines:
    return [raw for raw in lines if orjson.loads(raw)["type"] != "export"]


@pytest.mark.parametrize(("change", "says"), [
    (drop(5), "removed, added or reordered"),
    (swap(3, 4), "entry 4 follows entry 2: entries are missing or out of order"),
    (drop(9), "removed, added or reordered"),
    (drop(1), "removed, added or reordered"),
    (drop_header, "no signed header"),
], ids=["middle-line-deleted", "two-lines-swapped", "last-entry-removed",
        "first-entry-removed", "header-removed"])
async def test_trimmed_or_reordered_exports_are_refused(tmp_path: Path, ring: KeyRing,
                                                        change: Callable[[Lines], Lines],
                                                        says: str) -> None:
    lines = await exported(tmp_path, ring, 9)
    with pytest.raises(ExportInvalid, match=says):
        verify_export(change(lines), ring.public)


async def test_a_consistent_header_cannot_hide_a_gap(tmp_path: Path, ring: KeyRing) -> None:
    """Even with the header re-signed by a stranger, the hub's key is required."""
    lines = await exported(tmp_path, ring, 9)
    header = orjson.loads(lines[0])
    stranger = init_keys(tmp_path / "stranger")
    header["count"] = 8
    header["lastSeq"] = 9
    claimed = {k: v for k, v in header.items() if k not in ("keyId", "signature")}
    from signing.canonical import canonical
    header["signature"], header["keyId"] = stranger.sign(canonical(claimed))
    forged = [orjson.dumps(header), *drop(5)(lines)[1:]]
    with pytest.raises(ExportInvalid, match="header is not validly signed"):
        verify_export(forged, ring.public)


async def test_an_entry_gap_under_a_matching_header_is_found(tmp_path: Path,
                                                             ring: KeyRing) -> None:
    """The entry lines themselves must run contiguously, whatever the header says."""
    lines = await exported(tmp_path, ring, 9)
    header = orjson.loads(lines[0])
    # Re-sign a header for a trimmed export with the hub's own key (as an insider might).
    header.update(count=8)
    claimed = {k: v for k, v in header.items() if k not in ("keyId", "signature")}
    from signing.canonical import canonical
    header["signature"], header["keyId"] = ring.sign(canonical(claimed))
    forged = [orjson.dumps(header), *drop(5)(lines)[1:]]
    with pytest.raises(ExportInvalid, match="entry 6 follows entry 4"):
        verify_export(forged, ring.public)
