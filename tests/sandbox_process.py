"""A sandbox department process for tests: real HTTP on loopback, started and stopped here."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import httpx2
import orjson


class SandboxProcess:
    """`hub sandbox --port 0` in a child process, with helpers to break and inspect it."""

    def __init__(self, workdir: Path, *extra: str, latency: bool = False) -> None:
        ready = workdir / "sandbox-ready.json"
        args = [sys.executable, "-m", "hub", "sandbox", "--port", "0",
                "--data-dir", str(workdir / "sandbox-data"), "--ready-file", str(ready), *extra]
        if not latency:
            args.append("--no-latency")
        self.log = open(workdir / "sandbox.log", "wb")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + 60
        while not ready.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError((workdir / "sandbox.log").read_text())
            time.sleep(0.05)
        self.url = orjson.loads(ready.read_bytes())["control_url"]
        self.client = httpx2.Client(base_url=self.url, timeout=30)
        self.config_text = self.client.get("/_sandbox/config").text
        self.config: dict[str, Any] = tomllib.loads(self.config_text)
        self.samples: dict[str, Any] = self.client.get("/_sandbox/samples").json()

    def fault(self, source: str, mode: str) -> None:
        r = self.client.post("/_sandbox/faults", json={"source": source, "mode": mode})
        r.raise_for_status()

    def stats(self) -> dict[str, Any]:
        return dict(self.client.get("/_sandbox/stats").json()["sources"])

    def total_calls(self) -> int:
        return int(self.client.get("/_sandbox/stats").json()["total_calls"])

    def reset(self) -> None:
        self.client.post("/_sandbox/reset").raise_for_status()

    def enterprise(self, tag: str) -> str:
        return next(e["uscc"] for e in self.samples["enterprises"] if tag in e["tags"])

    def person(self, *tags: str) -> str:
        return next(p["id"] for p in self.samples["persons"] if set(tags) <= set(p["tags"]))

    def stop(self) -> None:
        if hasattr(self, "client"):
            self.client.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()
