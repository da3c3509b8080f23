"""The audit log of one store: open it, append through the writer, read and verify it.

A small facade over `audit.writer` (appends and checkpoints) and `audit.search` (reads), built
once in the hub's lifespan. Without a signer a log can be read and verified, never written. A
log opened with a witness file writes every checkpoint there too, and its verification holds
the store to the checkpoints the witness kept.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from audit.chain import StoredEntry
from audit.checkpoint import Checkpoint, Signer
from audit.entry import AuditRecord
from audit.errors import WitnessInvalid
from audit.proofs import EntryProof, prove
from audit.search import AuditReader, SearchFilter, SearchPage
from audit.store import LOCK_KEY, AuditTables, open_engines
from audit.verify import LogVerifier, Verification
from audit.witness import FileWitness, UrlWitness, Witness, read_witness
from audit.writer import AuditWriter

__all__ = ["AuditLog", "entry_proof", "verify_log"]


class AuditLog:
    def __init__(self, writer_engine: AsyncEngine, reader_engine: AsyncEngine,
                 tables: AuditTables, log_id: str, signer: Signer | None,
                 checkpoint_size: int, *, witness_file: Path | None = None,
                 witness_url: str | None = None, **options: Any) -> None:
        self.writer = writer_engine
        self.reader = reader_engine
        self.tables = tables
        self.log_id = log_id
        self.witness_file = witness_file
        witnesses: list[Witness] = []
        if witness_file is not None:
            witnesses.append(FileWitness(witness_file))
        if witness_url is not None:
            witnesses.append(UrlWitness(witness_url))
        self._writer = AuditWriter(writer_engine, tables, log_id, signer,
                                   checkpoint_size=checkpoint_size, witnesses=witnesses,
                                   **options)
        self._reader = AuditReader(reader_engine, tables)

    @classmethod
    async def open(cls, url: str, signer: Signer | None, **options: Any) -> AuditLog:
        """Open the log at `url` (its tables made by the store's migrations); without a
        `signer` it is read-only. Options: `witness_file`, `witness_url`, and the writer's
        (`audit.writer`)."""
        writer, reader = open_engines(url)
        tables = AuditTables.define()
        async with writer.begin() as conn:
            if writer.dialect.name == "postgresql":
                await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
            row = (await conn.execute(select(tables.meta.c.value)
                                      .where(tables.meta.c.key == "log_id"))).first()
            if row is None:
                log_id = uuid.uuid4().hex
                await conn.execute(insert(tables.meta).values(key="log_id", value=log_id))
            else:
                log_id = row[0]
            latest = (await conn.execute(select(tables.checkpoints.c.size)
                                         .order_by(tables.checkpoints.c.size.desc()).limit(1))
                      ).first()
        return cls(writer, reader, tables, log_id, signer, latest[0] if latest else 0,
                   **options)

    async def close(self) -> None:
        await self._writer.close()
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()

    async def append(self, record: AuditRecord) -> tuple[int, str]:
        """Commit `record`; return its (seq, entry hash). Raise `AuditUnavailable`."""
        return await self._writer.append(record)

    async def checkpoint(self, *, force: bool = True) -> Checkpoint | None:
        return await self._writer.checkpoint(force=force)

    async def checkpoints(self) -> list[Checkpoint]:
        return await self._reader.checkpoints()

    async def search(self, f: SearchFilter, *, first: int, before_seq: int | None
                     ) -> SearchPage:
        return await self._reader.search(f, first=first, before_seq=before_seq)

    async def find(self, f: SearchFilter, match: Callable[[dict[str, Any]], bool], *,
                   limit: int = 10_000) -> dict[str, Any] | None:
        """The newest entry body matching `f` and `match`, within `limit` entries."""
        return await self._reader.find(f, match, limit=limit)

    async def size(self) -> int:
        return await self._reader.size()

    def rows(self, *, batch: int = 2000) -> AsyncIterator[StoredEntry]:
        return self._reader.rows(batch=batch)

    async def entry(self, seq: int) -> StoredEntry | None:
        return await self._reader.entry(seq)

    async def entry_hashes(self, size: int) -> list[str]:
        return await self._reader.entry_hashes(size)


async def verify_log(log: AuditLog, public: Mapping[str, Ed25519PublicKey],
                     witness_file: Path | None = None) -> Verification:
    """Re-check the whole stored log (`audit.verify.LogVerifier`), held to the checkpoints of
    `witness_file` (default: the log's own witness file, when it has one and it exists)."""
    path = witness_file or log.witness_file
    witnessed = []
    if path is not None and (witness_file is not None or path.exists()):
        try:
            witnessed = read_witness(path)
        except WitnessInvalid as exc:
            return Verification(False, 0, None, None, str(exc))
    verifier = LogVerifier(await log.checkpoints(), public, log_id=log.log_id,
                           witnessed=witnessed)
    async for entry in log.rows():
        if not verifier.feed(entry):
            break
    return verifier.result()


async def entry_proof(log: AuditLog, seq: int) -> EntryProof | None:
    """Entry `seq` with its inclusion proof against the latest signed checkpoint (None: no
    such entry). Check it with `audit.proofs.verify_entry_proof`."""
    entry = await log.entry(seq)
    if entry is None:
        return None
    checkpoints = await log.checkpoints()
    latest = checkpoints[-1] if checkpoints else None
    if latest is None or seq > latest.size:
        return prove(entry, latest, ())
    return prove(entry, latest, await log.entry_hashes(latest.size))
