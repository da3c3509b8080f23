"""`hub serve` as operations run it: refusing to start in one line, its start-up log line, and
draining on SIGTERM with a final signed audit checkpoint. Every case is a real process with
two workers."""

from __future__ import annotations

import re
import socket
import sqlite3
import threading
import time
import tomllib
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.hub.procs import (
    ServeProcess,
    free_port,
    hub_cmd,
    prepared_home,
    write_config,
)
from tests.pg import fresh_database, postgres_url_or_skip
from tests.sandbox_process import SandboxProcess

ROOT = Path(__file__).resolve().parents[2]
CHECK = """query($u: USCC!) { complianceCheck(kind: IPO_COMPLIANCE, uscc: $u) {
  verdict domains { source status } } }"""


def refused(config: Path, key: str) -> str:
    """Run `hub serve --workers 2`; it must exit non-zero with exactly one line that names
    `key`. Return that line."""
    run = hub_cmd("serve", "--config", str(config), "--workers", "2", timeout=90)
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 1, run.stderr
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("hub serve: ") and lines[0].endswith(f"({key})"), lines[0]
    return lines[0]


def first_rest_source(sandbox: SandboxProcess) -> str:
    return next(name for name, table in sandbox.config["sources"].items()
                if table["transport"] != "sql")


def test_no_keys_directory(sandbox: SandboxProcess, tmp_path: Path) -> None:
    config = write_config(sandbox, tmp_path, port=free_port())
    line = refused(config, "hub.keys_dir")
    assert f"no keys directory at {tmp_path / 'keys'}" in line
    assert f"hub keys init {tmp_path / 'keys'}" in line


def test_a_signing_key_that_is_not_a_key(sandbox: SandboxProcess, tmp_path: Path) -> None:
    config = prepared_home(sandbox, tmp_path, port=free_port())
    (tmp_path / "keys" / "signing.pem").write_text("not a key\n")
    assert "is not a PEM Ed25519 private key" in refused(config, "hub.keys_dir")


def test_an_encryption_key_that_is_missing(sandbox: SandboxProcess, tmp_path: Path) -> None:
    config = prepared_home(sandbox, tmp_path, port=free_port())
    (tmp_path / "keys" / "encryption.key").unlink()
    assert f"no key at {tmp_path / 'keys' / 'encryption.key'}" in refused(config, "hub.keys_dir")


def test_a_credential_variable_that_is_not_set(sandbox: SandboxProcess, tmp_path: Path) -> None:
    name = first_rest_source(sandbox)
    header = f"[sources.{name}]\n"
    head, tail = sandbox.config_text.split(header, 1)
    tail = re.sub(r'^credential = ".*"$', 'credential = "env:HUB_CRED_NOT_SET_ANYWHERE"', tail,
                  count=1, flags=re.M)
    config = prepared_home(sandbox, tmp_path, port=free_port(), sources=head + header + tail)
    line = refused(config, f"sources.{name}.credential")
    assert "environment variable HUB_CRED_NOT_SET_ANYWHERE is not set" in line


def test_an_unreachable_store_hides_its_password(sandbox: SandboxProcess,
                                                 tmp_path: Path) -> None:
    assert hub_cmd("keys", "init", str(tmp_path / "keys")).returncode == 0
    closed = free_port()  # nothing listens there
    config = write_config(sandbox, tmp_path, port=free_port(), hub=(
        f'store = "postgresql+asyncpg://hub:s3cret-pw@127.0.0.1:{closed}/hub"'))
    line = refused(config, "hub.store")
    assert f"cannot reach the store at postgresql+asyncpg://hub:***@127.0.0.1:{closed}/hub" \
        in line
    assert "s3cret-pw" not in line


def test_a_store_driver_the_hub_does_not_speak(sandbox: SandboxProcess, tmp_path: Path) -> None:
    assert hub_cmd("keys", "init", str(tmp_path / "keys")).returncode == 0
    config = write_config(sandbox, tmp_path, port=free_port(),
                          hub='store = "mysql://hub@127.0.0.1/hub"')
    assert "uses mysql, but the hub speaks" in refused(config, "hub.store")


def test_a_store_never_migrated(sandbox: SandboxProcess, tmp_path: Path) -> None:
    assert hub_cmd("keys", "init", str(tmp_path / "keys")).returncode == 0
    config = write_config(sandbox, tmp_path, port=free_port())
    line = refused(config, "hub.store")
    assert "no hub tables" in line and f"run: hub db upgrade --config {config}" in line
    with sqlite3.connect(tmp_path / "hub.sqlite") as db:  # and nothing was created
        assert db.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall() == []


def test_a_store_migrated_by_a_newer_hub(sandbox: SandboxProcess, tmp_path: Path) -> None:
    config = prepared_home(sandbox, tmp_path, port=free_port())
    with sqlite3.connect(tmp_path / "hub.sqlite") as db:
        db.execute("UPDATE alembic_version SET version_num = '9999'")
    line = refused(config, "hub.store")
    assert "revision 9999, which this hub does not know" in line


def test_a_port_already_taken(sandbox: SandboxProcess, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = prepared_home(sandbox, tmp_path, port=port)
        line = refused(config, "hub.port")
    assert f"cannot listen on 127.0.0.1:{port}" in line and "in use" in line


def test_workers_must_be_positive(sandbox: SandboxProcess, tmp_path: Path) -> None:
    config = write_config(sandbox, tmp_path, port=free_port())
    run = hub_cmd("serve", "--config", str(config), "--workers", "0")
    assert run.returncode == 2 and "--workers must be at least 1" in run.stderr


def _expected_version() -> str:
    return str(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"])


def test_start_up_line_and_catalogue_warning(sandbox: SandboxProcess, tmp_path: Path) -> None:
    """Every stderr line is JSON; one says where the hub listens, with version, store, sources
    and workers; callers the catalogue names but the file lacks are warned about."""
    port = free_port()
    hub = ServeProcess(prepared_home(sandbox, tmp_path, port=port), port, workers=2)
    try:
        hub.wait_ready()
    finally:
        hub.terminate()
        assert hub.wait() == 0
    lines = hub.log_lines()
    start = [e for e in lines if e["logger"] == "hub.serve" and e["level"] == "info"
             and e["message"].startswith("hub listening on")]
    assert len(start) == 1, lines
    line = start[0]
    sources = sandbox.config["sources"]
    assert line["message"] == f"hub listening on http://127.0.0.1:{port}"
    assert line["listen"] == f"http://127.0.0.1:{port}"
    assert line["version"] == _expected_version()
    assert line["workers"] == 2
    assert line["store"] == f"sqlite+aiosqlite:///{tmp_path / 'hub.sqlite'}"
    assert line["sources"] == len(sources)
    assert line["sources_enabled"] == sum(1 for t in sources.values() if t["enabled"])
    assert line["sources_disabled"] == sorted(n for n, t in sources.items() if not t["enabled"])
    assert all(isinstance(e["time"], str) and e["time"].endswith("Z") for e in lines)
    warned = " ".join(e["message"] for e in lines if e["level"] == "warning")
    for caller in ("portal", "court", "fgw", "window"):  # configured: xzsp only
        assert f"caller '{caller}'" in warned
    assert "caller 'xzsp'" not in warned
    assert lines[-1]["message"] == "hub stopped"


def test_log_level_and_console_format_from_the_configuration(sandbox: SandboxProcess,
                                                             tmp_path: Path) -> None:
    port = free_port()
    config = prepared_home(sandbox, tmp_path, port=port)
    config.write_text(config.read_text() + '\n[log]\nlevel = "warning"\nformat = "console"\n')
    hub = ServeProcess(config, port)
    try:
        hub.wait_ready()
    finally:
        hub.terminate()
        assert hub.wait() == 0
    text = hub.stderr()
    assert "hub listening" not in text and "Application startup" not in text  # info: dropped
    assert "caller 'portal'" in text and "warning" in text
    assert not text.lstrip().startswith("{")  # the console format, not JSON


def test_sigterm_drains_in_flight_requests_and_signs_a_final_checkpoint(
        clean_sandbox: SandboxProcess, tmp_path: Path) -> None:
    sandbox = clean_sandbox
    port = free_port()
    config = prepared_home(sandbox, tmp_path, port=port)
    hub = ServeProcess(config, port, workers=2)
    slow = "cgj_penalties"
    uscc = sandbox.enterprise("clean")
    answers: list[httpx2.Response] = []
    try:
        hub.wait_ready()
        for _ in range(3):  # entries that no checkpoint covers yet (every 256 or 30 s)
            assert hub.post(CHECK, {"u": uscc}).status_code == 200
        sandbox.fault(slow, "slow:800")  # well inside its 2 s timeout
        request = threading.Thread(target=lambda: answers.append(hub.post(CHECK, {"u": uscc})))
        request.start()
        deadline = time.monotonic() + 20
        while sandbox.stats()[slow]["in_flight"] == 0:
            assert time.monotonic() < deadline, "the slow department was never called"
            time.sleep(0.02)
        hub.terminate()  # while the request waits on the slow department
        request.join(30)
        assert hub.wait() == 0, hub.stderr()
    finally:
        hub.stop()
    assert len(answers) == 1 and answers[0].status_code == 200
    report: dict[str, Any] = answers[0].json()["data"]["complianceCheck"]
    statuses = {d["source"]: d["status"] for d in report["domains"]}
    assert statuses[slow] == "OK" and report["verdict"] == "CLEAN"
    verify = hub_cmd("audit", "verify", "--config", str(config))
    assert verify.returncode == 0, verify.stderr
    assert verify.stdout.startswith("ok: 4 entries")
    assert "last signed checkpoint at size 4" in verify.stdout
    assert "not yet covered" not in verify.stdout
    with pytest.raises(httpx2.TransportError):
        httpx2.get(f"http://127.0.0.1:{port}/healthz", timeout=2)


def test_two_workers_start_together_on_a_fresh_postgres(sandbox: SandboxProcess,
                                                        tmp_path: Path) -> None:
    """Once migrated, two workers opening the audit log at once agree on one log."""
    with fresh_database(postgres_url_or_skip()) as url:
        port = free_port()
        config = prepared_home(sandbox, tmp_path, port=port, hub=f'store = "{url}"')
        hub = ServeProcess(config, port, workers=2)
        try:
            hub.wait_ready()
            for _ in range(6):
                assert hub.post("{ sources { name } }", purpose=None).status_code == 200
        finally:
            hub.terminate()
            assert hub.wait() == 0, hub.stderr()
        verify = hub_cmd("audit", "verify", "--config", str(config))
        assert verify.returncode == 0 and verify.stdout.startswith("ok: 6 entries"), \
            verify.stdout + verify.stderr
