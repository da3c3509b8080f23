"""A small GraphQL client for the command line (`hub check`, `hub job`): standard library HTTP
only, GraphQL and the plain HTTP routes (`POST /jobs`, `GET /jobs/…`).

Finds the hub by explicit URL and key, else `HUB_URL` / `HUB_API_KEY`, else the running demo's
`demo.json` under `--home` with `--as CALLER`.

A request the hub refuses for capacity or for the caller's quota (503 or 429 RATE_LIMITED, with
`Retry-After`) was refused before any work, so it is sent again after the wait the hub asks for,
for up to `patience_s` in all: a command following a long job must not give up on the job
because one status poll met a busy hub. Any other answer, an audit store that failed included,
is returned as it came.
"""

from __future__ import annotations

import hashlib
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson

__all__ = ["ClientError", "HubClient", "busy_notice", "find_hub", "shed_wait"]


class ClientError(Exception):
    """The hub could not be found or reached, or refused the request; the message says why."""


@dataclass(frozen=True, slots=True)
class HubClient:
    url: str
    api_key: str
    timeout_s: float = 120.0
    patience_s: float = 60.0  # how long, in all, to keep sending a request the hub sheds
    notice: Callable[[float], None] | None = None  # told before each wait (its seconds)

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
        status, payload = self._exchange(request, self.url)
        try:
            doc = orjson.loads(payload)
        except orjson.JSONDecodeError:
            # Most often the hub's root or another page given for its GraphQL endpoint.
            hint = "" if urlsplit(self.url).path.rstrip("/").endswith("/graphql") else (
                f"; --url (or HUB_URL) is the hub's GraphQL endpoint, e.g. "
                f"{self.base_url}/graphql")
            raise ClientError(f"the hub at {self.url} did not answer JSON (HTTP {status})"
                              f"{hint}") from None
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
        return self._exchange(request, self.base_url)

    def _exchange(self, request: urllib.request.Request, where: str) -> tuple[int, bytes]:
        """The answer's status and body, the request sent again while the hub sheds it."""
        waited = 0.0
        while True:
            status, headers, payload = self._send(request, where)
            pause = shed_wait(status, headers, payload)
            if pause is None or waited + pause > self.patience_s:
                return status, payload
            if self.notice is not None:
                self.notice(pause)
            time.sleep(pause)
            waited += pause

    def _send(self, request: urllib.request.Request, where: str
              ) -> tuple[int, Message, bytes]:
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as resp:
                return int(resp.status), resp.headers, bytes(resp.read())
        except urllib.error.HTTPError as exc:
            return int(exc.code), exc.headers, bytes(exc.read())
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise ClientError(f"cannot reach the hub at {where}: {exc}") from None


def busy_notice(prog: str, lang: str) -> Callable[[float], None]:
    """A `notice` that tells the person at the terminal (stderr) that the command waits."""
    import sys

    def notice(seconds: float) -> None:
        text = (f"中枢繁忙，{seconds:g} 秒后重试" if lang == "zh"
                else f"the hub is busy; trying again in {seconds:g} s")
        print(f"{prog}: {text}", file=sys.stderr)

    return notice


def shed_wait(status: int, headers: Message, payload: bytes) -> float | None:
    """The seconds to wait before sending again a request the hub shed (503 or 429 whose
    first error is RATE_LIMITED, with a `Retry-After` in seconds), else None."""
    if status not in (429, 503):
        return None
    after = (headers.get("Retry-After") or "").strip()
    if not after.isdigit():
        return None
    try:
        doc = orjson.loads(payload)
        code = doc["errors"][0]["extensions"]["code"]
    except (orjson.JSONDecodeError, LookupError, TypeError):
        return None
    return float(after) if code == "RATE_LIMITED" else None


def find_hub(url: str | None, api_key: str | None, home: Path, caller: str,
             notice: Callable[[float], None] | None = None) -> HubClient:
    """`notice`: told the seconds before each wait for a hub that shed a request."""
    url = url or os.environ.get("HUB_URL")
    api_key = api_key or os.environ.get("HUB_API_KEY")
    if url and api_key:
        return HubClient(url, api_key, notice=notice)
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
    return HubClient(url or info["graphql_url"], key, notice=notice)
