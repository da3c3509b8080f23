"""`hub` as a real process for tests: a configuration over the sandbox, `hub serve` started,
waited for, signalled and read back."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import orjson

from hub.config.settings import hash_key
from tests.sandbox_process import SandboxProcess

API_KEY = "ops-test-key-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def hub_cmd(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hub", *args], capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, **(env or {})}, timeout=timeout)


def write_config(sandbox: SandboxProcess, home: Path, *, port: int, hub: str = "",
                 sources: str | None = None, callers: str | None = None) -> Path:
    """`home/hub.toml`: the sandbox's sources, one lead caller (xzsp) unless `callers` says
    otherwise, `[hub]` with the port and any extra lines in `hub`."""
    caller_tables = callers if callers is not None else (
        f'[callers.xzsp]\nname = "市行政审批局"\nrole = "lead"\n'
        f'key_sha256 = "{hash_key(API_KEY)}"\n')
    path = home / "hub.toml"
    path.write_text(f'[hub]\nport = {port}\nkeys_dir = "keys"\n{hub}\n\n{caller_tables}\n'
                    + (sandbox.config_text if sources is None else sources), encoding="utf-8")
    return path


def prepared_home(sandbox: SandboxProcess, home: Path, **config: Any) -> Path:
    """A home with keys, a configuration and a store migrated by `hub db upgrade`."""
    assert hub_cmd("keys", "init", str(home / "keys")).returncode == 0
    path = write_config(sandbox, home, **config)
    upgrade = hub_cmd("db", "upgrade", "--config", str(path))
    assert upgrade.returncode == 0, upgrade.stderr
    return path


class ServeProcess:
    """`hub serve --config PATH --workers N`, stderr kept in a file."""

    def __init__(self, config: Path, port: int, workers: int = 1,
                 env: dict[str, str] | None = None) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.err_path = config.parent / "serve.err"
        self._err = open(self.err_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hub", "serve", "--config", str(config),
             "--workers", str(workers)],
            stdout=subprocess.DEVNULL, stderr=self._err, env={**os.environ, **(env or {})})

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx2.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx2.TransportError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"hub serve did not start:\n{self.stderr()}")
            time.sleep(0.1)

    def post(self, query: str, variables: dict[str, Any] | None = None, *,
             purpose: str | None = "IPO_COMPLIANCE", timeout: float = 30) -> httpx2.Response:
        headers = {"Authorization": f"Bearer {API_KEY}"}
        if purpose:
            headers["X-Hub-Purpose"] = purpose
        return httpx2.post(f"{self.url}/graphql", json={"query": query, "variables": variables},
                          headers=headers, timeout=timeout)

    def terminate(self) -> None:
        self.proc.send_signal(signal.SIGTERM)

    def wait(self, timeout: float = 60) -> int:
        try:
            return self.proc.wait(timeout)
        finally:
            self._err.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._err.close()

    def stderr(self) -> str:
        return self.err_path.read_text(encoding="utf-8", errors="replace")

    def log_lines(self) -> list[dict[str, Any]]:
        """Every stderr line, each of which must be one JSON object."""
        return [orjson.loads(line) for line in self.stderr().splitlines() if line.strip()]


@contextlib.contextmanager
def running_demo(home: Path, *extra: str) -> Iterator[Path]:
    """`hub demo --no-latency` with its home at `home`, as a process; yields the home once
    `demo.json` is written, and stops the demo after.

    The port is one that was free a moment before; the demo's own sandbox, binding port 0 as
    it starts, can be handed that same port first. A demo that exits because its port was
    taken is started again on another (up to three tries)."""
    errors = home.parent / "demo-stderr.log"  # what the demo said, for a failure to start
    errors.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(3):
        with open(errors, "wb") as sink:
            proc = subprocess.Popen([sys.executable, "-m", "hub", "demo", "--port",
                                     str(free_port()), "--home", str(home), "--no-latency",
                                     *extra], stdout=subprocess.DEVNULL, stderr=sink)
        deadline = time.monotonic() + 90
        while not (home / "demo.json").exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        else:
            break  # started
        said = errors.read_text(errors="replace")[-3000:]
        _stop(proc)
        if "address already in use" not in said:
            raise RuntimeError(f"hub demo did not start (exit {proc.poll()}):\n{said}")
    else:
        raise RuntimeError(f"hub demo found no free port in three tries:\n{said}")
    try:
        yield home
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
