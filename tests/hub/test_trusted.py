"""Trusted documents: operations named by the SHA-256 of their text (APQ in demo, an allow-list
in `only` mode), registered with `hub operations add` as an operator would."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from hub.config.errors import ConfigError
from hub.config.settings import load_settings
from tests.hub.config.test_settings import CALLER, SOURCE
from tests.hub.procs import API_KEY, ServeProcess, free_port, hub_cmd, prepared_home
from tests.hub_harness import HubHarness
from tests.sandbox_process import SandboxProcess

SOURCES = "query Sources { sources { name circuit } }"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()  # the oracle: SHA-256 of the exact text


def ask(hub: HubHarness, query: str | None, digest: str | None, **extra: Any) -> Any:
    body: dict[str, Any] = {}
    if query is not None:
        body["query"] = query
    if digest is not None:
        body["extensions"] = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    body.update(extra)
    return hub.client.post("/graphql", json=body, headers={
        "Authorization": f"Bearer {hub.api_keys['xzsp']}",
        "Accept": "application/graphql-response+json"})


def code(response: Any) -> str:
    return str(response.json()["errors"][0]["extensions"]["code"])


def test_apq_in_demo_mode_sends_the_text_once(sandbox: SandboxProcess, tmp_path: Path) -> None:
    hub = HubHarness(sandbox, tmp_path, demo=True)
    try:
        first = ask(hub, None, sha(SOURCES))
        assert first.status_code == 400 and code(first) == "PERSISTED_QUERY_NOT_FOUND"
        registered = ask(hub, SOURCES, sha(SOURCES))
        assert registered.status_code == 200 and registered.json()["data"]["sources"]
        again = ask(hub, None, sha(SOURCES))
        assert again.status_code == 200 and again.json() == registered.json()
        wrong = ask(hub, SOURCES, sha(SOURCES + " "))
        assert code(wrong) == "BAD_USER_INPUT" and "not the SHA-256" in \
            wrong.json()["errors"][0]["message"]
        for bad in ({"persistedQuery": {"version": 2, "sha256Hash": sha(SOURCES)}},
                    {"persistedQuery": {"version": 1, "sha256Hash": "ABC"}}, ["not", "object"]):
            r = ask(hub, SOURCES, None, extensions=bad)
            assert r.status_code == 400 and code(r) == "BAD_USER_INPUT", bad
        r = hub.post('{ auditEntries(first: 20) { edges { node { denied } } } }',
                     caller="auditor", purpose=None)
        denied = [d for e in r.json()["data"]["auditEntries"]["edges"]
                  for d in e["node"]["denied"]]
        assert ": PERSISTED_QUERY_NOT_FOUND" in denied  # refusals are on the record too
    finally:
        hub.close()


def test_by_default_a_production_hub_wants_the_text(sandbox: SandboxProcess,
                                                    tmp_path: Path) -> None:
    hub = HubHarness(sandbox, tmp_path)
    try:
        r = ask(hub, None, sha(SOURCES))
        assert r.status_code == 400 and code(r) == "PERSISTED_QUERY_NOT_SUPPORTED"
        assert ask(hub, SOURCES, None).json()["data"]["sources"]
    finally:
        hub.close()


def test_only_registered_operations_run(sandbox: SandboxProcess, tmp_path: Path) -> None:
    home = tmp_path / "home"
    hub = HubHarness(sandbox, home, trusted_documents="only")
    try:
        refused = ask(hub, SOURCES, None)
        assert refused.status_code == 400 and code(refused) == "FORBIDDEN"
        assert "only registered operations" in refused.json()["errors"][0]["message"]
        assert code(ask(hub, SOURCES, sha(SOURCES))) == "PERSISTED_QUERY_NOT_FOUND"

        document = tmp_path / "sources.graphql"
        document.write_text(SOURCES, encoding="utf-8")
        broken = tmp_path / "broken.graphql"
        broken.write_text("query Broken { sources { nosuchfield } }", encoding="utf-8")
        refused_file = hub_cmd("operations", "add", str(broken), "--home", str(home))
        assert refused_file.returncode == 1
        assert "broken.graphql: not a valid operation" in refused_file.stderr
        added = hub_cmd("operations", "add", str(document), "--home", str(home))
        assert added.returncode == 0, added.stderr
        assert added.stdout.startswith(f"{sha(SOURCES)}  Sources") and "registered" in added.stdout
        again = hub_cmd("operations", "add", str(document), "--home", str(home))
        assert "already registered" in again.stdout
        listed = hub_cmd("operations", "list", "--home", str(home))
        assert listed.stdout.count(sha(SOURCES)) == 1

        by_hash = ask(hub, None, sha(SOURCES))  # a running hub finds what was added since
        assert by_hash.status_code == 200 and by_hash.json()["data"]["sources"]
        with_text = ask(hub, SOURCES, sha(SOURCES))
        assert with_text.status_code == 200
        other = "query Other { sources { name } }"
        assert code(ask(hub, other, sha(other))) == "PERSISTED_QUERY_NOT_FOUND"
    finally:
        hub.close()


def test_the_mode_is_checked_in_the_configuration(tmp_path: Path) -> None:
    path = tmp_path / "hub.toml"
    path.write_text('[hub]\ntrusted_documents = "sometimes"\n' + CALLER + SOURCE,
                    encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert "hub.trusted_documents: 'sometimes' is not one of off, apq, only" in str(info.value)


def test_off_mode_runs_a_text_sent_with_its_hash(sandbox: SandboxProcess, tmp_path: Path) -> None:
    hub = HubHarness(sandbox, tmp_path)
    try:
        both = ask(hub, SOURCES, sha(SOURCES))
        assert both.status_code == 200 and both.json()["data"]["sources"]
        mismatch = ask(hub, SOURCES, sha("query Other { sources { name } }"))
        assert mismatch.status_code == 400 and code(mismatch) == "BAD_USER_INPUT"
    finally:
        hub.close()


def test_the_command_line_works_against_an_allow_list_once_registered(
        sandbox: SandboxProcess, tmp_path: Path) -> None:
    port = free_port()
    config = prepared_home(sandbox, tmp_path, port=port, hub='trusted_documents = "only"')
    check = ("check", "ipo", sandbox.enterprise("clean"), "--url",
             f"http://127.0.0.1:{port}/graphql", "--api-key", API_KEY, "--lang", "en")
    serve = ServeProcess(config, port)
    try:
        serve.wait_ready()
        refused = hub_cmd(*check)
        assert refused.returncode == 1
        assert "PERSISTED_QUERY_NOT_FOUND" in refused.stderr and "--cli" in refused.stderr
        nothing = hub_cmd("operations", "add", "--config", str(config))
        assert nothing.returncode == 2 and "or --cli" in nothing.stderr
        added = hub_cmd("operations", "add", "--cli", "--config", str(config))
        assert added.returncode == 0 and "hub check" in added.stdout, added.stderr
        ran = hub_cmd(*check)
        assert ran.returncode == 0, ran.stderr  # the clean enterprise's report
        assert "PERSISTED_QUERY" not in ran.stderr
    finally:
        serve.stop()


def test_operations_name_a_missing_or_unmigrated_store_in_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    for verb in (("list",), ("add", "--cli")):
        run = hub_cmd("operations", *verb, "--home", str(missing))
        assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
        assert f"its directory {missing} does not exist (hub.store)" in run.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    run = hub_cmd("operations", "list", "--home", str(empty))
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    assert "run hub db upgrade" in run.stderr
