"""The processes a benchmark runs against: the sandbox departments and the hub (uvicorn),
each a real process on loopback, with the hub's CPU time and memory read from /proc."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

import orjson

from hub.config.settings import hash_key

__all__ = ["API_KEY", "HubProcess", "SandboxProc", "free_port"]

API_KEY = "bench-key-0123456789abcdef"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, timeout: float = 30) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return bytes(resp.read())


def _post(url: str, payload: object) -> bytes:
    req = urllib.request.Request(url, data=orjson.dumps(payload), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return bytes(resp.read())


class SandboxProc:
    def __init__(self, workdir: Path) -> None:
        ready = workdir / "sandbox-ready.json"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hub", "sandbox", "--port", "0", "--data-dir",
             str(workdir / "sandbox"), "--ready-file", str(ready)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while not ready.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the sandbox did not start")
            time.sleep(0.05)
        self.url = orjson.loads(ready.read_bytes())["control_url"]
        self.config_text = _get(self.url + "/_sandbox/config").decode()
        self.samples = orjson.loads(_get(self.url + "/_sandbox/samples"))

    def latency(self, enabled: bool) -> None:
        _post(self.url + "/_sandbox/latency", {"enabled": enabled})

    def fault(self, source: str, mode: str) -> None:
        _post(self.url + "/_sandbox/faults", {"source": source, "mode": mode})

    def reset(self) -> None:
        _post(self.url + "/_sandbox/reset", {})

    def stats(self) -> dict[str, dict[str, int]]:
        return dict(orjson.loads(_get(self.url + "/_sandbox/stats"))["sources"])

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(20)


class HubProcess:
    """`hub serve --config` on a free port, with the sandbox's sources."""

    def __init__(self, sandbox: SandboxProc, *, audit: bool = True,
                 overrides: dict[str, dict[str, object]] | None = None,
                 max_in_flight: int = 64, sections: str = "",
                 log_path: Path | None = None, launcher: Sequence[str] = ()) -> None:
        """`launcher`: interpreter arguments put before the hub's module, e.g. `("-m", "memray",
        "run", "-o", "hub.bin")` to run the hub under a memory profiler."""
        self.workdir = Path(tempfile.mkdtemp(prefix="hub-bench-"))
        subprocess.run([sys.executable, "-m", "hub", "keys", "init",
                        str(self.workdir / "keys")], check=True, capture_output=True)
        self.port = free_port()
        text = sandbox.config_text
        for source, changes in (overrides or {}).items():
            header = f"[sources.{source}]\n"
            extra = "".join(f"{k} = {orjson.dumps(v).decode()}\n" for k, v in changes.items())
            for key in changes:
                text = _drop_key(text, source, key)
            text = text.replace(header, header + extra)
        config = (f'[hub]\nport = {self.port}\nkeys_dir = "keys"\n'
                  f'max_in_flight = {max_in_flight}\n'
                  f'checkpoint_every = 1000\n\n'
                  f'[callers.xzsp]\nname = "bench"\nrole = "lead"\n'
                  f'key_sha256 = "{hash_key(API_KEY)}"\n\n' + text + "\n" + sections)
        (self.workdir / "hub.toml").write_text(config)
        subprocess.run([sys.executable, "-m", "hub", "db", "upgrade", "--config",
                        str(self.workdir / "hub.toml")], check=True, capture_output=True)
        # Without auditing: the same app with a null audit sink injected (bench.null_audit).
        command = (["-m", "hub", "serve", "--config"] if audit else ["-m", "bench.null_audit"])
        # The hub logs JSON lines to stderr when it is not a terminal (one per request).
        self._log = open(log_path, "wb") if log_path is not None else None
        self.proc = subprocess.Popen(
            [sys.executable, *launcher, *command, str(self.workdir / "hub.toml")],
            stdout=subprocess.DEVNULL, stderr=self._log or subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{self.port}/graphql"
        deadline = time.monotonic() + 60
        while True:
            try:
                _get(f"http://127.0.0.1:{self.port}/healthz", timeout=1)
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the hub did not start") from None
                time.sleep(0.05)

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def rss_mb(self) -> tuple[float, float]:
        """(current, peak) resident memory in MiB."""
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        values = {line.split(":")[0]: int(line.split()[1]) for line in status.splitlines()
                  if line.startswith(("VmRSS", "VmHWM"))}
        return values["VmRSS"] / 1024, values["VmHWM"] / 1024

    def reset_peak(self) -> None:
        """Start the peak (VmHWM) over from the current resident memory (Linux clear_refs),
        so that the next peak is one scenario's own."""
        Path(f"/proc/{self.proc.pid}/clear_refs").write_text("5")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        if self._log is not None:
            self._log.close()


def _drop_key(text: str, source: str, key: str) -> str:
    lines = text.splitlines(keepends=True)
    out, inside = [], False
    for line in lines:
        if line.startswith("["):
            inside = line.strip() == f"[sources.{source}]"
        if inside and line.split("=")[0].strip() == key:
            continue
        out.append(line)
    return "".join(out)
