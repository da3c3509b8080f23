"""The real hub ASGI app in-process (Starlette TestClient), wired to the sandbox departments."""

from __future__ import annotations

import dataclasses
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import httpx2
from starlette.testclient import TestClient

from hub.app import create_app
from hub.config.settings import Settings
from hub.config.sources import parse_sources
from hub.demo import demo_settings, sandbox_services
from schema.limits import Limits
from signing.keys import init_keys
from tests.sandbox_process import SandboxProcess
from tests.stores import migrated_sync


class HubHarness:
    def __init__(self, sandbox: SandboxProcess, home: Path, *,
                 sources: dict[str, dict[str, Any]] | None = None, demo: bool = False,
                 limits: Limits | None = None, store_url: str | None = None,
                 quotas: dict[str, tuple[float, int]] | None = None,
                 clock: Any = None, tracer_provider: Any = None,
                 adjust: Callable[[Settings], Settings] | None = None,
                 **settings_changes: Any) -> None:
        """`adjust`: a last change to the settings the harness made (callers, matters)."""
        self.sandbox = sandbox
        configs = {c.name: c for c in parse_sources(sandbox.config["sources"])}
        for name, change in (sources or {}).items():
            configs[name] = dataclasses.replace(configs[name], **change)
        if not (home / "keys" / "signing.pem").exists():
            init_keys(home / "keys")
        settings, self.api_keys = demo_settings(home, list(configs.values()),
                                                host="127.0.0.1", port=0,
                                                **sandbox_services(sandbox.config, home))
        callers = tuple(dataclasses.replace(c, rate=quotas[c.name][0], burst=quotas[c.name][1])
                        if quotas and c.name in quotas else c for c in settings.callers)
        # Tests break sources on purpose, one after another; circuit breakers opening across
        # tests would make them depend on their order. tests/schema/test_breaker.py sets its own.
        settings_changes.setdefault("breaker_failures", 1000)
        settings = dataclasses.replace(settings, demo=demo, limits=limits or Limits(),
                                       store_url=store_url or settings.store_url,
                                       callers=callers, **settings_changes)
        if adjust is not None:
            settings = adjust(settings)
        self.settings = settings
        migrated_sync(settings.store_url)
        self.app = create_app(settings, clock=clock, tracer_provider=tracer_provider)
        self.client = TestClient(self.app, raise_server_exceptions=True)
        self.client.__enter__()

    def post(self, query: str, variables: dict[str, Any] | None = None, *,
             caller: str | None = "xzsp", purpose: str | None = "IPO_COMPLIANCE",
             headers: dict[str, str] | None = None,
             accept: str = "application/graphql-response+json") -> httpx2.Response:
        sent = {"Accept": accept, **(headers or {})}
        if caller is not None:
            sent["Authorization"] = f"Bearer {self.api_keys[caller]}"
        if purpose is not None:
            sent["X-Hub-Purpose"] = purpose
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        return self.client.post("/graphql", json=body, headers=sent)

    def close(self) -> None:
        self.client.__exit__(None, None, None)

    def _store(self) -> sqlite3.Connection:
        return sqlite3.connect(self.settings.store_url.removeprefix("sqlite+aiosqlite:///"))

    @contextmanager
    def audit_unwritable(self) -> Iterator[None]:
        """The audit store refuses every new entry, as a full or read-only store would (a
        trigger on the entries' table; the hub's SQLite store only)."""
        with closing(self._store()) as db, db:
            db.execute("CREATE TRIGGER no_audit BEFORE INSERT ON audit_entries "
                       "BEGIN SELECT RAISE(ABORT, 'read-only'); END")
        try:
            yield
        finally:
            with closing(self._store()) as db, db:
                db.execute("DROP TRIGGER no_audit")

    def objection_state(self, objection_id: str, *, leaving: str = "RECEIVED",
                        timeout: float = 10.0) -> str | None:
        """The objection's stored state once it has left `leaving` — the sweeper forwards a
        raised objection once its audit entry is committed, in the background — or as it
        stands after `timeout` seconds (None: not stored), read straight from the store."""
        deadline = time.monotonic() + timeout
        while True:
            with closing(self._store()) as db:
                row = db.execute("SELECT state FROM objections WHERE id = ?",
                                 (objection_id,)).fetchone()
            state = None if row is None else str(row[0])
            if state not in (None, leaving) or time.monotonic() > deadline:
                return state
            time.sleep(0.02)


CHECK = """
query($kind: CheckKind!, $uscc: USCC!, $since: Date, $until: Date, $baseDate: Date) {
  complianceCheck(kind: $kind, uscc: $uscc, since: $since, until: $until, baseDate: $baseDate) {
    reportNo reportId kind verdict checkedAt signature keyId document verificationCode
    subject { uscc name status registeredOn }
    period { since until } baseDate requestedBy operator case legalBasis detail
    registry { source status detail asOf answerRef }
    domains {
      domain title department source status detail latencyMs asOf legalBasis answerRef disputed
      disagreement
      records {
        __typename
        ... on Violation { decisionNo authority decidedOn summary amount rectified violationType
                           penaltyKind majorViolation finePaid rectifiedOn }
        ... on Contribution { scheme insuredCount arrearsAmount status arrearsMonths arrearsFrom
                              arrearsTo lateFee personalPart liabilityRef paidThrough }
        ... on TaxAccount { arrearsAmount lateFee }
        ... on Arrears { item periodFrom periodTo months arrearsAmount lineLateFee: lateFee
                         liabilityRef }
        ... on Vehicle { plate vin seized seizedBy mortgagee }
        ... on PropertyRecord { certificateNo unitNo mortgagee mortgageAmount seizedBy }
        ... on CustomsAccount { dutiesPaid arrearsAmount lateFee }
        ... on Registration { name registrationStatus: status }
      }
    }
    inventory {
      total secured notes
      classes { code order title basis total items { domain source item amount months
                                                     liabilityRef note } }
      assets { domain count seized mortgaged areaM2 }
      reconciliations { domain scheme liabilityRef keptSource otherSource keptAmount
                        otherAmount disputed reason }
    }
  }
}
"""
