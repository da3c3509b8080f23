"""The audit trail through the real app: one entry per operation, fail closed, the auditor's
API, the citizen's access log, the commands, and no clear resident ID anywhere."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import create_async_engine

from audit.log import AuditLog
from consent.artefact import Consent
from hub.store import open_store
from tests.hub_harness import CHECK, HubHarness
from tests.sandbox_process import SandboxProcess

GRANT = """mutation($input: GrantConsentInput!) { grantConsent(input: $input) { id } }"""
PERSON = "query($id: ResidentId!) { person(id: $id) { householdRegistration { name } " \
         "creditReport { grade } } }"
ENTRIES = """query($f: AuditFilter, $first: Int, $after: String) {
  auditEntries(filter: $f, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { seq time requestId caller operator case purpose consentIds
      legalBasis outcome subjects released denied entryHash
      sources { source status latencyMs keys } } } } }"""


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("audit-home")


@pytest.fixture(scope="module")
def app(sandbox: SandboxProcess, home: Path) -> Iterator[HubHarness]:
    harness = HubHarness(sandbox, home, checkpoint_every=5)
    yield harness
    harness.close()


def size(app: HubHarness) -> int:
    async def count() -> int:
        log = await AuditLog.open(app.settings.store_url, None)
        try:
            return await log.size()
        finally:
            await log.close()

    return asyncio.run(count())


def entries(app: HubHarness, **filter_: Any) -> dict[str, Any]:
    r = app.post(ENTRIES, {"f": filter_ or None, "first": filter_.pop("first", 50)
                           if "first" in filter_ else 50}, caller="auditor", purpose=None)
    body = r.json()
    assert "errors" not in body, body
    return body["data"]["auditEntries"]  # type: ignore[no-any-return]


def school_person(sandbox: SandboxProcess) -> str:
    return sandbox.person("household", "property", "social_insurance")


def grant(app: HubHarness, subject: str) -> str:
    r = app.post(GRANT, {"input": {"subject": subject, "purpose": "SCHOOL_ENROLMENT",
                                   "grantee": "portal", "categories": ["household"],
                                   "fetchType": "REUSABLE", "maxUses": 3}},
                 caller="portal", purpose=None)
    return r.json()["data"]["grantConsent"]["id"]  # type: ignore[no-any-return]


def test_every_operation_leaves_exactly_one_entry(app: HubHarness,
                                                  clean_sandbox: SandboxProcess) -> None:
    uscc = clean_sandbox.enterprise("clean")
    before = size(app)
    operations = [
        lambda: app.post(CHECK, {"kind": "IPO_COMPLIANCE", "uscc": uscc}),  # allowed
        lambda: app.post(CHECK, {"kind": "IPO_COMPLIANCE", "uscc": uscc}, caller=None),  # 401
        lambda: app.post(CHECK, {"kind": "BANKRUPTCY", "uscc": uscc}, caller="fgw",
                         purpose="BANKRUPTCY"),  # forbidden
        lambda: app.post("{ nope }"),  # validation failure
        lambda: app.post("{ sources { name", purpose=None),  # parse failure
        lambda: app.post(PERSON, {"id": school_person(clean_sandbox)}, caller="portal",
                         purpose="SCHOOL_ENROLMENT"),  # denied fields
        lambda: app.post(CHECK, {"kind": "IPO_COMPLIANCE", "uscc": "123"}),  # bad input
        lambda: app.client.get("/graphql", params={"query": "mutation { x }"}, headers={
            "Authorization": f"Bearer {app.api_keys['portal']}"}),  # 405
        lambda: app.post("{ auditVerification { ok } }", caller="auditor", purpose=None),
    ]
    for op in operations:
        op()
    assert size(app) - before == len(operations)


def test_an_entry_records_who_why_what_and_which_sources(app: HubHarness,
                                                        clean_sandbox: SandboxProcess) -> None:
    subject = school_person(clean_sandbox)
    consent = grant(app, subject)
    r = app.post(PERSON, {"id": subject}, caller="portal", purpose="SCHOOL_ENROLMENT",
                 headers={"X-Hub-Consent": consent, "X-Hub-Operator": "clerk-007",
                          "X-Hub-Case": "XX2026-0042", "X-Request-Id": "trail-1"})
    assert r.json()["data"]["person"]["householdRegistration"]["name"]
    (edge,) = entries(app, case="XX2026-0042")["edges"]
    assert entries(app, operator="clerk-007")["edges"] == [edge]
    assert entries(app, operator="clerk-00")["totalCount"] == 0
    node = edge["node"]
    assert node["requestId"] == "trail-1" and node["caller"] == "portal"
    assert node["operator"] == "clerk-007" and node["purpose"] == "SCHOOL_ENROLMENT"
    assert node["consentIds"] == [consent] and node["legalBasis"] == "CONSENT"
    assert node["outcome"] == "PARTIAL"
    assert node["released"] == ["person.householdRegistration"]
    assert node["denied"] == ["person.creditReport: FORBIDDEN"]
    assert [s["source"] for s in node["sources"]] == ["ga_household"]
    assert node["sources"][0]["keys"] == 1 and node["sources"][0]["status"] == "OK"
    assert subject not in str(node) and all(s.startswith("v1:") for s in node["subjects"])
    assert len(node["entryHash"]) == 64


def test_auditor_filters_and_pages(app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    subject = school_person(clean_sandbox)
    uscc = clean_sandbox.enterprise("findings:tax")
    consent = grant(app, subject)
    app.post(PERSON, {"id": subject}, caller="portal", purpose="SCHOOL_ENROLMENT",
             headers={"X-Hub-Consent": consent})
    for _ in range(3):
        app.post(CHECK, {"kind": "IPO_COMPLIANCE", "uscc": uscc}, caller="fgw")
    by_subject = entries(app, subject=subject)
    assert by_subject["totalCount"] >= 2  # the grant and the read
    assert all(e["node"]["caller"] == "portal" for e in by_subject["edges"])
    assert entries(app, consentId=consent)["totalCount"] == 2
    by_uscc = entries(app, subject=uscc, caller="fgw")
    assert by_uscc["totalCount"] == 3
    assert {e["node"]["outcome"] for e in by_uscc["edges"]} == {"ALLOWED"}
    assert entries(app, purpose="SCHOOL_ENROLMENT", outcome="PARTIAL")["totalCount"] >= 1
    app.post(PERSON, {"id": subject}, caller="fgw", purpose="SCHOOL_ENROLMENT")  # refused
    denied = entries(app, outcome="DENIED")
    assert denied["totalCount"] >= 1
    assert {e["node"]["outcome"] for e in denied["edges"]} == {"DENIED"}
    first = app.post(ENTRIES, {"f": {"caller": "fgw"}, "first": 2}, caller="auditor",
                     purpose=None).json()["data"]["auditEntries"]
    assert len(first["edges"]) == 2 and first["pageInfo"]["hasNextPage"]
    seqs = [e["node"]["seq"] for e in first["edges"]]
    assert seqs == sorted(seqs, reverse=True)
    second = app.post(ENTRIES, {"f": {"caller": "fgw"}, "first": 2,
                                "after": first["pageInfo"]["endCursor"]}, caller="auditor",
                      purpose=None).json()["data"]["auditEntries"]
    assert second["edges"][0]["node"]["seq"] < seqs[-1]
    times = [e["node"]["time"] for e in first["edges"]]
    window = entries(app, caller="fgw", since=times[-1], until=times[0])
    assert {e["node"]["seq"] for e in window["edges"]} >= set(seqs)


@pytest.mark.parametrize(("filter_", "says"), [({"subject": "nobody"}, "neither a USCC"),
                                                ({}, "not a cursor")])
def test_auditor_bad_input(app: HubHarness, filter_: dict[str, Any], says: str) -> None:
    variables: dict[str, Any] = {"f": filter_}
    if not filter_:
        variables["after"] = "garbage"
    r = app.post(ENTRIES, variables, caller="auditor", purpose=None)
    assert r.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert says in r.json()["errors"][0]["message"]


@pytest.mark.parametrize("caller", ["fgw", "portal", "court"])
def test_only_auditors_read_the_log(app: HubHarness, caller: str) -> None:
    for query in (ENTRIES, "{ auditVerification { ok } }"):
        r = app.post(query, caller=caller, purpose=None)
        assert r.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_reading_the_log_is_audited_and_it_verifies(app: HubHarness) -> None:
    r = app.post("{ auditVerification { ok size headHash firstBadSeq checkpoint { size } } }",
                 caller="auditor", purpose=None, headers={"X-Hub-Case": "AUDIT-1"})
    verification = r.json()["data"]["auditVerification"]
    assert verification["ok"] and verification["firstBadSeq"] is None
    assert verification["checkpoint"]["size"] >= 5
    (edge,) = entries(app, case="AUDIT-1")["edges"]
    assert edge["node"]["caller"] == "auditor"
    assert edge["node"]["released"] == ["auditVerification"]  # the path that was read


ACCESS = """query($s: ResidentId!) { myAccessLog(subject: $s) { totalCount
  edges { node { caller operator case purpose released consentIds subjects sources { source } } } } }"""


def test_the_citizen_sees_who_used_their_data(app: HubHarness,
                                              clean_sandbox: SandboxProcess) -> None:
    subject = school_person(clean_sandbox)
    other = next(p["id"] for p in clean_sandbox.samples["persons"] if p["id"] != subject)
    consent = grant(app, subject)
    both = """query($a: ResidentId!, $b: ResidentId!) {
      a: person(id: $a) { householdRegistration { name } }
      b: person(id: $b) { householdRegistration { name } } }"""
    app.post(both, {"a": subject, "b": other}, caller="portal", purpose="SCHOOL_ENROLMENT",
             headers={"X-Hub-Consent": consent, "X-Hub-Operator": "clerk-secret"})
    r = app.post(ACCESS, {"s": subject}, caller="portal", purpose="SUBJECT_ACCESS")
    log = r.json()["data"]["myAccessLog"]
    nodes = [e["node"] for e in log["edges"]]
    read = next(n for n in nodes if n["released"] == ["household"])
    assert read["caller"] == "一体化政务服务平台" and read["purpose"] == "SCHOOL_ENROLMENT"
    assert all(n["operator"] is None and n["case"] is None and n["subjects"] == []
               and n["consentIds"] == [] and n["sources"] == [] for n in nodes)
    assert "clerk-secret" not in r.text and other not in r.text
    r = app.post(ACCESS, {"s": other}, caller="portal", purpose="SUBJECT_ACCESS")
    other_nodes = [e["node"] for e in r.json()["data"]["myAccessLog"]["edges"]]
    assert all(n["released"] == [] for n in other_nodes)  # b was refused: nothing released


@pytest.mark.parametrize(("caller", "purpose", "code"), [
    ("portal", None, "PURPOSE_REQUIRED"), ("portal", "SCHOOL_ENROLMENT", "FORBIDDEN"),
    ("fgw", "SUBJECT_ACCESS", "FORBIDDEN"), ("auditor", "SUBJECT_ACCESS", "FORBIDDEN")])
def test_access_log_needs_the_portal_and_subject_access(app: HubHarness,
                                                        clean_sandbox: SandboxProcess,
                                                        caller: str, purpose: str | None,
                                                        code: str) -> None:
    r = app.post(ACCESS, {"s": school_person(clean_sandbox)}, caller=caller, purpose=purpose)
    assert r.json()["errors"][0]["extensions"]["code"] == code


def test_an_unwritable_audit_store_releases_nothing(app: HubHarness,
                                                    clean_sandbox: SandboxProcess) -> None:
    uscc = clean_sandbox.enterprise("findings:tax")
    subject = school_person(clean_sandbox)
    consent = grant(app, subject)
    before = size(app)
    with app.audit_unwritable():
        for r in (app.post(CHECK, {"kind": "IPO_COMPLIANCE", "uscc": uscc}),
                  app.post(PERSON, {"id": subject}, caller="portal", purpose="SCHOOL_ENROLMENT",
                           headers={"X-Hub-Consent": consent}),
                  app.post("{ sources { name } }", purpose=None)):
            assert r.status_code == 503
            body = r.json()
            assert body == {"data": None, "errors": [body["errors"][0]]}
            assert body["errors"][0]["extensions"]["code"] == "AUDIT_UNAVAILABLE"
            assert "新税稽罚" not in r.text and "decision" not in r.text
    assert size(app) == before
    r = app.post(CHECK, {"kind": "IPO_COMPLIANCE", "uscc": uscc})
    assert r.json()["data"]["complianceCheck"]["verdict"] == "FINDINGS"
    verification = app.post("{ auditVerification { ok } }", caller="auditor", purpose=None)
    assert verification.json()["data"]["auditVerification"]["ok"]


def stored_consent(app: HubHarness, consent_id: str) -> Consent | None:
    async def read() -> Consent | None:
        store = await open_store(app.settings.store_url)
        try:
            return await store.consents.get(consent_id)
        finally:
            await store.close()

    return asyncio.run(read())


def test_a_consent_change_commits_with_its_audit_entry_or_not_at_all(
        app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    """grantConsent and revokeConsent: with the audit store unwritable, the answer is
    AUDIT_UNAVAILABLE and the consent store is unchanged; once it is writable, both land."""
    subject = school_person(clean_sandbox)
    kept = grant(app, subject)
    before = asyncio.run(_count_consents(app.settings.store_url))
    with app.audit_unwritable():
        r = app.post(GRANT, {"input": {"subject": subject, "purpose": "SCHOOL_ENROLMENT",
                                       "grantee": "portal", "categories": ["household"]}},
                     caller="portal", purpose=None)
        assert r.json()["errors"][0]["extensions"]["code"] == "AUDIT_UNAVAILABLE"
        assert r.json()["data"] is None
        revoke = app.post('mutation($id: ID!) { revokeConsent(id: $id) { status } }',
                          {"id": kept}, caller="portal", purpose=None)
        assert revoke.json()["errors"][0]["extensions"]["code"] == "AUDIT_UNAVAILABLE"
    consent = stored_consent(app, kept)
    assert consent is not None and consent.revoked_at is None  # the revocation did not land
    assert asyncio.run(_count_consents(app.settings.store_url)) == before  # nor the grant
    granted = grant(app, subject)
    assert asyncio.run(_count_consents(app.settings.store_url)) == before + 1
    assert stored_consent(app, granted) is not None
    revoke = app.post('mutation($id: ID!) { revokeConsent(id: $id) { status } }',
                      {"id": kept}, caller="portal", purpose=None)
    assert revoke.json()["data"]["revokeConsent"]["status"] == "REVOKED"
    revoked = stored_consent(app, kept)
    assert revoked is not None and revoked.revoked_at is not None


async def _count_consents(url: str) -> int:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(text("SELECT count(*) FROM consents"))).scalar_one())
    finally:
        await engine.dispose()


def hub_cmd(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hub", *args], capture_output=True, text=True,
                          timeout=120, env=dict(os.environ))


def test_audit_commands_verify_export_and_detect_tampering(app: HubHarness, home: Path,
                                                          clean_sandbox: SandboxProcess,
                                                          tmp_path: Path) -> None:
    app.post(CHECK, {"kind": "IPO_COMPLIANCE", "uscc": clean_sandbox.enterprise("clean")})
    ok = hub_cmd("audit", "verify", "--home", str(home))
    assert ok.returncode == 0 and ok.stdout.startswith("ok:"), ok.stderr
    out = tmp_path / "audit.jsonl"
    exported = hub_cmd("audit", "export", "--since", "2000-01-01T00:00:00+00:00", "--out",
                       str(out), "--home", str(home))
    assert exported.returncode == 0, exported.stderr
    offline = hub_cmd("audit", "verify-export", str(out), "--keys",
                      str(home / "keys" / "hub-keys.json"))
    assert offline.returncode == 0 and offline.stdout.startswith("valid:"), offline.stderr
    lines = out.read_text().splitlines()
    assert json.loads(lines[0])["type"] == "export"  # the signed header comes first
    second = json.loads(lines[2])
    assert second["seq"] == 2
    second["body"]["outcome"] = "DENIED" if second["body"]["outcome"] != "DENIED" else "ALLOWED"
    lines[2] = json.dumps(second, ensure_ascii=False)
    forged = tmp_path / "forged.jsonl"
    forged.write_text("\n".join(lines) + "\n")
    bad = hub_cmd("audit", "verify-export", str(forged), "--keys",
                  str(home / "keys" / "hub-keys.json"))
    assert bad.returncode == 1 and "entry 2 was changed" in bad.stderr

    async def tamper() -> None:
        log = await AuditLog.open(app.settings.store_url, None)
        try:
            async with log.writer.begin() as conn:
                await conn.execute(update(log.tables.entries)
                                   .where(log.tables.entries.c.seq == 3)
                                   .values(caller="someone-else"))
        finally:
            await log.close()

    asyncio.run(tamper())
    tampered = hub_cmd("audit", "verify", "--home", str(home))
    assert tampered.returncode == 1 and "first bad seq 3" in tampered.stderr
    assert out.exists()


def test_no_clear_resident_id_in_the_store_or_an_export(app: HubHarness, home: Path,
                                                        clean_sandbox: SandboxProcess,
                                                        tmp_path: Path) -> None:
    ids = [p["id"] for p in clean_sandbox.samples["persons"]]
    for subject in ids[:5]:
        consent = grant(app, subject)
        app.post(PERSON, {"id": subject}, caller="portal", purpose="SCHOOL_ENROLMENT",
                 headers={"X-Hub-Consent": consent})
        app.post(ACCESS, {"s": subject}, caller="portal", purpose="SUBJECT_ACCESS")
        app.post(ENTRIES, {"f": {"subject": subject}}, caller="auditor", purpose=None)
    out = tmp_path / "export.jsonl"
    hub_cmd("audit", "export", "--out", str(out), "--home", str(home))
    blobs = [p.read_bytes() for p in home.glob("hub.sqlite*")] + [out.read_bytes()]
    assert b"v1:" in blobs[0] or any(b"v1:" in b for b in blobs)
    for rid in ids:
        for blob in blobs:
            assert rid.encode() not in blob and rid.lower().encode() not in blob


async def _rename(url: str, old: str, new: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))
    finally:
        await engine.dispose()


def test_a_failing_consent_store_is_a_coded_internal_error(app: HubHarness,
                                                           clean_sandbox: SandboxProcess) -> None:
    """The store fails while consents are read: 500 INTERNAL, audited, nothing released."""
    subject = school_person(clean_sandbox)
    consent = grant(app, subject)
    before = size(app)
    asyncio.run(_rename(app.settings.store_url, "consents", "consents_away"))
    try:
        r = app.post(PERSON, {"id": subject}, caller="portal", purpose="SCHOOL_ENROLMENT",
                     headers={"X-Hub-Consent": consent, "X-Request-Id": "store-down-1"})
    finally:
        asyncio.run(_rename(app.settings.store_url, "consents_away", "consents"))
    assert r.status_code == 500
    (error,) = r.json()["errors"]
    assert error["extensions"]["code"] == "INTERNAL" and "store-down-1" in error["message"]
    assert "data" not in r.json() and clean_sandbox.total_calls() == 0
    assert size(app) == before + 1
