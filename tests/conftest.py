from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hub_harness import HubHarness
from tests.sandbox_process import SandboxProcess
from tests.stores import store_url


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    """One sandbox for the session, with no simulated latency; faults cleared per test."""
    proc = SandboxProcess(tmp_path_factory.mktemp("sandbox"))
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def clean_sandbox(sandbox: SandboxProcess) -> Iterator[SandboxProcess]:
    sandbox.reset()
    yield sandbox
    sandbox.reset()


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture(scope="session")
def hub(sandbox: SandboxProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubHarness]:
    """The hub app over the session's sandbox, default settings (not demo mode)."""
    harness = HubHarness(sandbox, tmp_path_factory.mktemp("hub"))
    try:
        yield harness
    finally:
        harness.close()


@pytest.fixture(scope="session")
def patient_hub(sandbox: SandboxProcess, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[HubHarness]:
    """A hub whose sources wait 20 s: for tests that count calls of big batches, which must not
    depend on how busy the machine is (a thousand one-key calls take seconds on a loaded one)."""
    names = sandbox.config["sources"]
    harness = HubHarness(sandbox, tmp_path_factory.mktemp("patient"),
                         sources={n: {"timeout_s": 20.0} for n in names})
    try:
        yield harness
    finally:
        harness.close()


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated store of each kind (PostgreSQL skipped with a reason without
    HUB_TEST_POSTGRES_URL); a module that needs another kind of URL defines its own."""
    with store_url(request.param, tmp_path) as url:
        yield url
