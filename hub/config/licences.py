"""Reading `[licences]`: where the licence library is, and which issuers' keys the hub trusts.

    [licences]
    url = "https://…/dzzz/api/v1/licences/query"
    credential = "env:HUB_CRED_DZZZ"          # env:NAME | file:PATH | value:SECRET
    auth_header = "X-Dzzz-AppKey"
    department = "市行政审批和政务信息管理局（电子证照库）"
    timeout_s = 2.0
    max_batch = 50
    concurrency = 8

    [licences.issuers.scjg]                   # one table per trusted issuing department
    name = "新乡市市场监督管理局"
    keys = [{kid = "…", x = "…"}]            # its published keys, or:
    keys_file = "issuers/scjg.json"          # its key document as published (.well-known)

A licence signed by an issuer not listed here verifies as UNKNOWN_ISSUER. Errors name the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson

from connectors.licences import LIBRARY_DEPARTMENT, LibraryConfig
from hub.config.errors import ConfigError
from hub.config.reader import TableReader
from licence.issuers import IssuerDocumentInvalid, TrustedIssuer, parse_issuer_keys

__all__ = ["parse_licences"]

_KNOWN = {"url", "credential", "auth_header", "department", "timeout_s", "max_batch",
          "concurrency", "issuers"}


def parse_licences(table: Any, base: Path
                   ) -> tuple[LibraryConfig | None, dict[str, TrustedIssuer]]:
    """The library (None when `[licences]` is absent) and the trusted issuers."""
    if table is None:
        return None, {}
    if not isinstance(table, Mapping):
        raise ConfigError("licences: must be a table")
    unknown = sorted(set(table) - _KNOWN)
    if unknown:
        raise ConfigError(f"licences.{unknown[0]}: unknown key (known: {', '.join(sorted(_KNOWN))})")
    r = TableReader("licences", table)
    url = r.string("url")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"licences.url: {url!r} is not an http(s) URL")
    library = LibraryConfig(
        url=url, credential=r.string("credential"),
        auth_header=r.string("auth_header", "X-Dzzz-AppKey"),
        department=r.string("department", LIBRARY_DEPARTMENT),
        timeout_s=r.number("timeout_s", 2.0, 0.01, 120),
        max_batch=r.integer("max_batch", 50, 1, 1000),
        concurrency=r.integer("concurrency", 8, 1, 1000))
    return library, _issuers(table.get("issuers"), base)


def _issuers(table: Any, base: Path) -> dict[str, TrustedIssuer]:
    if table is None:
        raise ConfigError("licences.issuers: list the issuers whose licences the hub trusts "
                          "([licences.issuers.CODE] with name and keys)")
    if not isinstance(table, Mapping) or not table:
        raise ConfigError("licences.issuers: a table of [licences.issuers.CODE]")
    out = {}
    for code, raw in table.items():
        where = f"licences.issuers.{code}"
        if not isinstance(raw, Mapping):
            raise ConfigError(f"{where}: must be a table")
        unknown = sorted(set(raw) - {"name", "keys", "keys_file"})
        if unknown:
            raise ConfigError(f"{where}.{unknown[0]}: unknown key (known: keys, keys_file, name)")
        if ("keys" in raw) == ("keys_file" in raw):
            raise ConfigError(f"{where}: give keys or keys_file (the issuer's published key "
                              "document), one of them")
        name = TableReader(where, raw).string("name")
        entries: Any = raw.get("keys")
        key = "keys"
        if "keys_file" in raw:
            key = "keys_file"
            path = base / TableReader(where, raw).string("keys_file")
            try:
                doc = orjson.loads(path.read_bytes())
            except FileNotFoundError:
                raise ConfigError(f"{where}.keys_file: no such file {path}") from None
            except orjson.JSONDecodeError:
                raise ConfigError(f"{where}.keys_file: {path} is not JSON") from None
            if not isinstance(doc, Mapping) or doc.get("issuer") != code:
                raise ConfigError(f"{where}.keys_file: {path} is not the key document of "
                                  f"issuer {code!r}")
            entries = doc.get("keys")
        try:
            keys = parse_issuer_keys(entries)
        except IssuerDocumentInvalid as exc:
            raise ConfigError(f"{where}.{key}: {exc}") from None
        out[code] = TrustedIssuer(code, name, keys)
    return out
