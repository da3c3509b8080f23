"""Trusted documents: operations the hub knows by the SHA-256 of their text.

A request may name its document instead of sending it: `extensions.persistedQuery =
{"version": 1, "sha256Hash": "<hex>"}` (the Apollo "automatic persisted queries" protocol).
`[hub] trusted_documents` chooses how the hub treats that:

- `off` (production default): documents are sent as text (a matching hash beside the text is
  accepted and ignored); a hash alone is refused.
- `apq` (demo default): a hash the hub has not seen answers PERSISTED_QUERY_NOT_FOUND; the
  client then sends the text with its hash, the hub checks that they match and remembers the
  text for the next request (in this process, bounded).
- `only`: the strongest defence against hostile queries — only registered documents run
  (`hub operations add FILE`, stored in the hub's store for every process and instance); a
  request sends the hash (and may send the text too, which must match). Any other text is
  refused before it is parsed.

Registered documents are validated against the schema when they are added, so a mistyped one
is refused at the desk rather than at the first request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, DateTime, MetaData, String, Table, Text, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.config.settings import TrustMode

__all__ = ["DocumentProblem", "Registered", "TrustedDocuments", "document_hash",
           "requested_hash", "trusted_documents_table"]
_APQ_BYTES = 8 * 1024 * 1024  # what one process remembers of documents sent by hash and text


class DocumentProblem(ValueError):
    """A persisted-query request that cannot be served; `code` is its extensions.code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def document_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def trusted_documents_table(metadata: MetaData) -> Table:
    return Table(
        "trusted_documents", metadata,
        Column("sha256", String(64), primary_key=True),
        Column("name", String(128), nullable=False),  # the operation names, for operators
        Column("document", Text, nullable=False),
        Column("added_at", DateTime(timezone=True), nullable=False),
    )


def requested_hash(extensions: Any) -> str | None:
    """The hash a request names in `extensions.persistedQuery`, checked; None if it names
    none. Raise `DocumentProblem` for a malformed one."""
    if extensions is None:
        return None
    if not isinstance(extensions, Mapping):
        raise DocumentProblem("BAD_USER_INPUT", "extensions must be a JSON object")
    persisted = extensions.get("persistedQuery")
    if persisted is None:
        return None
    if not isinstance(persisted, Mapping) or persisted.get("version") != 1:
        raise DocumentProblem("BAD_USER_INPUT", "extensions.persistedQuery takes "
                              '{"version": 1, "sha256Hash": "<64 hex digits>"}')
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or len(digest) != 64 or any(
            c not in "0123456789abcdef" for c in digest):
        raise DocumentProblem("BAD_USER_INPUT", "extensions.persistedQuery.sha256Hash must be "
                              "the SHA-256 of the document, 64 lower-case hex digits")
    return digest


@dataclass(frozen=True, slots=True)
class Registered:
    sha256: str
    name: str
    added_at: dt.datetime


class TrustedDocuments:
    """The documents a process may run by hash: registered ones (the store) and, in `apq`
    mode, ones a client has sent with their hash (this process's memory, bounded)."""

    def __init__(self, mode: TrustMode, engine: AsyncEngine | None, table: Table | None
                 ) -> None:
        self.mode = mode
        self._engine = engine
        self._table = table
        self._registered: dict[str, str] = {}
        self._remembered: OrderedDict[str, str] = OrderedDict()
        self._bytes = 0

    async def resolve(self, query: str | None, extensions: Any) -> str:
        """The document text to run; raise `DocumentProblem` when it may not run."""
        digest = requested_hash(extensions)
        if digest is None:
            if self.mode == "only":
                raise DocumentProblem("FORBIDDEN", "this hub runs only registered operations: "
                                      "send extensions.persistedQuery.sha256Hash of one "
                                      "(operators register them with hub operations add)")
            if not isinstance(query, str):
                raise DocumentProblem("BAD_USER_INPUT", "the request has no query")
            return query
        if isinstance(query, str) and document_hash(query) != digest:
            raise DocumentProblem("BAD_USER_INPUT", "extensions.persistedQuery.sha256Hash is "
                                  "not the SHA-256 of the query sent with it")
        if self.mode == "off":
            if isinstance(query, str):
                return query  # a client that always names its documents (hub check) still runs
            raise DocumentProblem("PERSISTED_QUERY_NOT_SUPPORTED", "this hub does not run "
                                  "documents by hash; send the query text")
        known = await self._lookup(digest)
        if known is not None:
            return known
        if self.mode == "only":
            raise DocumentProblem("PERSISTED_QUERY_NOT_FOUND", "no operation with this hash is "
                                  "registered on this hub (operators register them with hub "
                                  "operations add FILE, the command line's own with --cli)")
        if query is None:
            raise DocumentProblem("PERSISTED_QUERY_NOT_FOUND", "send the query with its "
                                  "sha256Hash once; later requests may send the hash alone")
        self._remember(digest, query)
        return query

    async def _lookup(self, digest: str) -> str | None:
        text = self._registered.get(digest) or self._remembered.get(digest)
        if text is not None or self._engine is None or self._table is None:
            return text
        t = self._table
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(t.c.document).where(t.c.sha256 == digest))).first()
        if row is None:
            return None
        self._registered[digest] = row[0]
        return str(row[0])

    def _remember(self, digest: str, text: str) -> None:
        size = len(text.encode())
        if size > _APQ_BYTES // 8:
            return  # too big to keep: it runs, and is sent again next time
        self._remembered[digest] = text
        self._bytes += size
        while self._bytes > _APQ_BYTES:
            _, old = self._remembered.popitem(last=False)
            self._bytes -= len(old.encode())

    # -- registering (hub operations) ----------------------------------------------------------

    async def add(self, text: str, names: str, now: dt.datetime) -> tuple[str, bool]:
        """Register `text`; return its hash and whether it was new."""
        if self._engine is None or self._table is None:
            raise DocumentProblem("INTERNAL", "no store to register documents in")
        digest = document_hash(text)
        t = self._table
        async with self._engine.begin() as conn:
            found = (await conn.execute(select(t.c.sha256).where(t.c.sha256 == digest))).first()
            if found is not None:
                return digest, False
            await conn.execute(insert(t).values(sha256=digest, name=names[:128], document=text,
                                                added_at=now.astimezone(dt.UTC)))
        return digest, True

    async def registered(self) -> list[Registered]:
        if self._engine is None or self._table is None:
            return []
        t = self._table
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(t.c.sha256, t.c.name, t.c.added_at)
                                       .order_by(t.c.added_at))).all()
        return [Registered(r[0], r[1], r[2]) for r in rows]
