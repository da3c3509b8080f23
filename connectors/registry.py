"""The open connectors of a running hub: one shared HTTP session, one engine per SQL source.

Built in the application's lifespan from validated source declarations, closed with it. Nothing
here is created at import time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import aiohttp
import orjson

from connectors.auth import resolve_credential
from connectors.base import Connector
from connectors.config import SourceConfig
from connectors.errors import CredentialError
from connectors.rest import RestConnector
from connectors.sql import SqlConnector, open_engine

__all__ = ["Connectors"]


class Connectors(Mapping[str, Connector]):
    def __init__(self, connectors: Mapping[str, Connector],
                 session: aiohttp.ClientSession) -> None:
        self._by_name = dict(connectors)
        self._session = session

    @classmethod
    async def open(cls, configs: Sequence[SourceConfig],
                   environ: Mapping[str, str] | None = None) -> Connectors:
        secrets: dict[str, str] = {}
        for cfg in configs:
            if cfg.transport != "sql":
                try:
                    secrets[cfg.name] = resolve_credential(cfg.credential, environ)
                except CredentialError as exc:
                    raise CredentialError(f"sources.{cfg.name}.credential: {exc}") from None
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=1024, limit_per_host=128,
                                           enable_cleanup_closed=True),
            timeout=aiohttp.ClientTimeout(total=None),
            json_serialize=lambda v: orjson.dumps(v).decode(),
            trust_env=False,
            auto_decompress=True,
        )
        by_name: dict[str, Connector] = {}
        for cfg in configs:
            if cfg.transport == "sql":
                by_name[cfg.name] = SqlConnector(cfg, open_engine(cfg))
            else:
                by_name[cfg.name] = RestConnector(cfg, session, secrets[cfg.name])
        return cls(by_name, session)

    def __getitem__(self, name: str) -> Connector:
        return self._by_name[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    async def aclose(self) -> None:
        for connector in self._by_name.values():
            await connector.aclose()
        await self._session.close()
