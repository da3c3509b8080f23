"""A small GraphQL client for the command line (`hub check`, `hub job`): standard library HTTP
only, GraphQL and the plain HTTP routes (`POST /jobs`, `GET /jobs/…`).

Finds the hub by explicit URL and key, else `HUB_URL` / `HUB_API_KEY`, else the running demo's
`demo.json` under `--home` with `--as CALLER`.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

__all__ = ["ClientError", "HubClient", "find_hub"]


class ClientError(Exception):
    """The hub could not be found or reached, or refused the request; the message says why."""


@dataclass(frozen=True, slots=True)
class HubClient:
    url: str
    api_key: str
    timeout_s: float = 120.0

    def query(self, query: str, variables: Mapping[str, Any], headers: Mapping[str, str]
              ) -> dict[str, Any]:
        # The hash beside the text lets the command line run against a hub that runs only
        # registered operations (`hub operations add --cli` registers these documents).
        digest = hashlib.sha256(query.encode()).hexdigest()
        body = orjson.dumps({"query": query, "variables": dict(variables), "extensions": {
            "persistedQuery": {"version": 1, "sha256Hash": digest}}})
        request = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/json", "Accept": "application/graphql-response+json",
            "Authorization": f"Bearer {self.api_key}", **headers})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as resp:
                payload = resp.read()
        except urllib.error.HTTPError as exc:
            payload = exc.read()
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise ClientError(f"cannot reach the hub at {self.url}: {exc}") from None
        try:
            doc = orjson.loads(payload)
        except orjson.JSONDecodeError:
            raise ClientError(f"the hub at {self.url} did not answer JSON") from None
        if not isinstance(doc, dict):
            raise ClientError("the hub's answer is not a JSON object")
        return doc


    @property
    def base_url(self) -> str:
        """The hub's origin and root path: the GraphQL URL without `/graphql`."""
        return self.url.removesuffix("/").removesuffix("/graphql")

    def http(self, method: str, path: str, data: bytes | None = None,
             headers: Mapping[str, str] | None = None) -> tuple[int, bytes]:
        """One plain HTTP request to the hub (`path` under its root): status and body."""
        request = urllib.request.Request(self.base_url + path, data=data, method=method,
                                         headers={"Authorization": f"Bearer {self.api_key}",
                                                  **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as resp:
                return int(resp.status), bytes(resp.read())
        except urllib.error.HTTPError as exc:
            return int(exc.code), bytes(exc.read())
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise ClientError(f"cannot reach the hub at {self.base_url}: {exc}") from None


def find_hub(url: str | None, api_key: str | None, home: Path, caller: str) -> HubClient:
    url = url or os.environ.get("HUB_URL")
    api_key = api_key or os.environ.get("HUB_API_KEY")
    if url and api_key:
        return HubClient(url, api_key)
    demo = home / "demo.json"
    try:
        info = orjson.loads(demo.read_bytes())
    except FileNotFoundError:
        raise ClientError(f"no hub given and no running demo ({demo} is missing); start "
                          "`hub demo` or pass --url and --api-key") from None
    except orjson.JSONDecodeError:
        raise ClientError(f"{demo} is not JSON") from None
    key = api_key or info.get("callers", {}).get(caller)
    if not key:
        known = ", ".join(info.get("callers", {}))
        raise ClientError(f"the demo has no caller {caller!r} (known: {known})")
    return HubClient(url or info["graphql_url"], key)
