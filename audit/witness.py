"""Witnesses: signed checkpoints copied outside the hub's store as they are made.

Whoever can rewrite the store can also delete its checkpoints table; a witness keeps a copy
where they cannot reach. `FileWitness` appends each checkpoint as one JSON line to a file (on
another disk or host, ideally append-only) and fsyncs it; `UrlWitness` POSTs it as JSON to a
URL (a transparency log, another site). `read_witness` reads a witness file back for the
verifiers, which then require the log to reach, and agree with, every witnessed checkpoint.
A witness that cannot be written is logged and retried with the next checkpoint; it never
stops the hub from answering.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Protocol

import aiohttp
import orjson

from audit.checkpoint import Checkpoint
from audit.errors import WitnessInvalid

__all__ = ["FileWitness", "UrlWitness", "Witness", "deliver", "read_witness"]

log = logging.getLogger("hub.audit")


class Witness(Protocol):
    async def record(self, checkpoint: Checkpoint) -> None:
        """Keep `checkpoint` outside the store; raise OSError or aiohttp.ClientError."""
        ...

    async def aclose(self) -> None: ...


class FileWitness:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _append(self, line: bytes) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    async def record(self, checkpoint: Checkpoint) -> None:
        line = orjson.dumps(checkpoint.as_json()) + b"\n"
        await asyncio.to_thread(self._append, line)

    async def aclose(self) -> None:
        return None


class UrlWitness:
    def __init__(self, url: str, timeout_s: float = 5.0) -> None:
        self.url = url
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    async def record(self, checkpoint: Checkpoint) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        async with self._session.post(self.url, data=orjson.dumps(checkpoint.as_json()),
                                      headers={"Content-Type": "application/json"},
                                      allow_redirects=False) as resp:
            if resp.status >= 300:
                raise aiohttp.ClientResponseError(resp.request_info, (), status=resp.status)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


async def deliver(witnesses: list[Witness], checkpoint: Checkpoint) -> None:
    """Hand `checkpoint` to every witness; a failing one is logged, never raised."""
    for witness in witnesses:
        try:
            await witness.record(checkpoint)
        except (OSError, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("audit witness %s did not take the checkpoint at size %d: %s",
                        type(witness).__name__, checkpoint.size, exc)


def read_witness(path: Path) -> list[Checkpoint]:
    """Every checkpoint in a witness file; raise `WitnessInvalid` naming a bad line."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise WitnessInvalid(f"cannot read the witness file {path}: {exc.strerror}") from None
    out = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append(Checkpoint.from_json(orjson.loads(line)))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            # A torn last line (a crash mid-write) is the only tolerable damage.
            if number == len(raw.splitlines()) and not raw.endswith(b"\n"):
                break
            raise WitnessInvalid(f"{path}: line {number} is not a checkpoint") from None
    return out
