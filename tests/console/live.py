"""A real hub on a loopback port (uvicorn in a thread), for the browser: Chromium needs a
server, not an in-process client. Built like `tests.hub_harness.HubHarness`."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from pathlib import Path
from typing import Any

import httpx2
import uvicorn

from hub.app import create_app
from hub.config.settings import Settings
from hub.config.sources import parse_sources
from hub.demo import demo_settings
from signing.keys import init_keys
from tests.sandbox_process import SandboxProcess
from tests.stores import migrated_sync


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def hub_settings(sandbox: SandboxProcess, home: Path, **changes: Any
                 ) -> tuple[Settings, dict[str, str]]:
    """Demo-like settings over `sandbox`, with fresh keys; (settings, API keys in clear)."""
    if not (home / "keys" / "signing.pem").exists():
        init_keys(home / "keys")
    sources = parse_sources(sandbox.config["sources"])
    settings, keys = demo_settings(home, sources, host="127.0.0.1", port=0)
    changes.setdefault("breaker_failures", 1000)
    changes.setdefault("demo", False)
    return dataclasses.replace(settings, **changes), keys


class LiveHub:
    def __init__(self, settings: Settings, api_keys: dict[str, str]) -> None:
        self.settings = settings
        self.api_keys = api_keys
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        migrated_sync(settings.store_url)
        config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=self.port,
                                log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="live-hub", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the hub did not start")
            time.sleep(0.05)
        self.client = httpx2.Client(base_url=self.url, timeout=30)

    def graphql(self, query: str, *, caller: str, purpose: str | None = None,
                headers: dict[str, str] | None = None) -> dict[str, Any]:
        sent = {"Authorization": f"Bearer {self.api_keys[caller]}", **(headers or {})}
        if purpose is not None:
            sent["X-Hub-Purpose"] = purpose
        r = self.client.post("/graphql", json={"query": query}, headers=sent)
        body: dict[str, Any] = r.json()
        return body

    def close(self) -> None:
        self.client.close()
        self.server.should_exit = True
        self.thread.join(30)
