"""The open connectors of a running hub: one shared HTTP client, one engine per SQL source.

Built in the application's lifespan from validated source declarations, closed with it. Nothing
here is created at import time. Batch sources (REST batch and SQL) are wrapped in a `Coalescer`
unless their declaration says `coalesce = false`; one-key-per-call sources are not.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator, Mapping, Sequence

from connectors.auth import resolve_credential
from connectors.base import CallIds, Connector
from connectors.coalesce import Coalescer
from connectors.config import SourceConfig
from connectors.errors import CredentialError
from connectors.http import HttpClient
from connectors.rest import RestConnector
from connectors.sql import SqlConnector, open_engine

__all__ = ["Connectors"]


class Connectors(Mapping[str, Connector]):
    def __init__(self, connectors: Mapping[str, Connector], client: HttpClient) -> None:
        self._by_name = dict(connectors)
        self._client = client

    @classmethod
    async def open(cls, configs: Sequence[SourceConfig],
                   environ: Mapping[str, str] | None = None, *,
                   ssl_context: ssl.SSLContext | None = None) -> Connectors:
        """Open every source; `ssl_context` replaces the default (system CAs, host names
        checked) for HTTPS sources."""
        client = HttpClient(ssl_context=ssl_context)
        ids = CallIds()
        by_name: dict[str, Connector] = {}
        for cfg in configs:
            inner: SqlConnector | RestConnector
            if cfg.transport == "sql":
                inner = SqlConnector(cfg, open_engine(cfg), call_ids=ids)
            else:
                try:
                    secret = resolve_credential(cfg.credential, environ)
                except CredentialError as exc:
                    raise CredentialError(f"sources.{cfg.name}.credential: {exc}") from None
                inner = RestConnector(cfg, client, secret, call_ids=ids)
            if cfg.coalesce and inner.max_batch > 1:
                by_name[cfg.name] = Coalescer(inner, window_s=cfg.coalesce_window_ms / 1000,
                                              call_ids=ids)
            else:
                by_name[cfg.name] = inner
        return cls(by_name, client)

    def __getitem__(self, name: str) -> Connector:
        return self._by_name[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    async def aclose(self) -> None:
        for connector in self._by_name.values():
            await connector.aclose()
        await self._client.aclose()
