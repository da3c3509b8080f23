"""Key rotation as an operator does it: `hub keys rotate` between two runs of the hub keeps
old reports verifiable and old audit entries findable by subject."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Any

import orjson

from tests.hub.procs import hub_cmd
from tests.hub_harness import CHECK, HubHarness
from tests.sandbox_process import SandboxProcess

GRANT = """mutation($input: GrantConsentInput!) { grantConsent(input: $input) { id } }"""
PERSON = "query($id: ResidentId!) { person(id: $id) { householdRegistration { name } } }"
ENTRIES = """query($f: AuditFilter) { auditEntries(filter: $f, first: 100) {
  totalCount edges { node { seq caller purpose released subjects } } } }"""
ACCESS = """query($s: ResidentId!) { myAccessLog(subject: $s) { totalCount
  edges { node { purpose released } } } }"""


def expected_pseudonyms(keys: Path, resident_id: str) -> dict[str, str]:
    """Version -> pseudonym, computed here from the key file (HMAC-SHA256, hex)."""
    out = {}
    for line in (keys / "pseudonym.key").read_text().split():
        version, hexkey = line.split(":", 1)
        mac = hmac.new(bytes.fromhex(hexkey), resident_id.encode(), hashlib.sha256).hexdigest()
        out[version] = f"{version}:{mac}"
    return out


def read_person(app: HubHarness, subject: str) -> None:
    consent = app.post(GRANT, {"input": {"subject": subject, "purpose": "SCHOOL_ENROLMENT",
                                         "grantee": "portal", "categories": ["household"]}},
                       caller="portal", purpose=None).json()["data"]["grantConsent"]["id"]
    body = app.post(PERSON, {"id": subject}, caller="portal", purpose="SCHOOL_ENROLMENT",
                    headers={"X-Hub-Consent": consent}).json()
    assert body["data"]["person"]["householdRegistration"]["name"], body


def signed_report(app: HubHarness, uscc: str, path: Path) -> dict[str, Any]:
    report = app.post(CHECK, {"kind": "IPO_COMPLIANCE", "uscc": uscc}).json()["data"][
        "complianceCheck"]
    path.write_bytes(orjson.dumps({"report": orjson.loads(report["document"]),
                                   "signature": report["signature"], "keyId": report["keyId"]}))
    return report  # type: ignore[no-any-return]


def test_rotation_keeps_old_reports_verifiable_and_old_entries_searchable(
        clean_sandbox: SandboxProcess, tmp_path: Path) -> None:
    home = tmp_path / "home"
    subject = clean_sandbox.person("household")
    uscc = clean_sandbox.enterprise("clean")

    before = HubHarness(clean_sandbox, home)
    try:
        old_report = signed_report(before, uscc, tmp_path / "old-report.json")
        read_person(before, subject)
    finally:
        before.close()

    for which in ("signing", "pseudonym"):
        run = hub_cmd("keys", "rotate", which, "--dir", str(home / "keys"))
        assert run.returncode == 0, run.stderr
    assert "v1 -> v2" in run.stdout

    after = HubHarness(clean_sandbox, home)
    try:
        published = after.client.get("/.well-known/hub-keys").json()
        (tmp_path / "published.json").write_bytes(orjson.dumps(published))
        new_report = signed_report(after, uscc, tmp_path / "new-report.json")
        read_person(after, subject)
        found = after.post(ENTRIES, {"f": {"subject": subject}}, caller="auditor",
                           purpose=None).json()["data"]["auditEntries"]
        access = after.post(ACCESS, {"s": subject}, caller="portal",
                            purpose="SUBJECT_ACCESS").json()["data"]["myAccessLog"]
    finally:
        after.close()

    assert new_report["keyId"] != old_report["keyId"]
    assert {k["kid"] for k in published["keys"]} == {old_report["keyId"], new_report["keyId"]}
    for name in ("old-report.json", "new-report.json"):
        run = hub_cmd("report", "verify", str(tmp_path / name), "--keys",
                      str(tmp_path / "published.json"))
        assert run.returncode == 0 and run.stdout.startswith("valid:"), run.stderr

    pseudonym = expected_pseudonyms(home / "keys", subject)
    assert set(pseudonym) == {"v1", "v2"}
    nodes = [e["node"] for e in found["edges"]]
    assert found["totalCount"] == 4  # a grant and a read before the rotation, two after
    reads = [n for n in nodes if n["released"] == ["person.householdRegistration"]]
    assert sorted(n["subjects"] for n in reads) == [[pseudonym["v1"]], [pseudonym["v2"]]]
    grants = [n for n in nodes if n not in reads]
    assert sorted(n["subjects"] for n in grants) == [[pseudonym["v1"]], [pseudonym["v2"]]]
    assert sum(1 for e in access["edges"] if e["node"]["released"] == ["household"]) == 2


def test_rotate_from_the_command_line_names_what_it_did(tmp_path: Path) -> None:
    home = tmp_path / ".hub"
    assert hub_cmd("keys", "init", str(home / "keys")).returncode == 0
    run = hub_cmd("keys", "rotate", "pseudonym", "--home", str(home))
    assert run.returncode == 0 and "pseudonym key rotated" in run.stdout
    assert "v1 -> v2" in run.stdout and "Restart every hub worker" in run.stdout
    missing = hub_cmd("keys", "rotate", "signing", "--dir", str(tmp_path / "nowhere"))
    assert missing.returncode == 1
    assert f"no keys directory at {tmp_path / 'nowhere'}" in missing.stderr
    forced = hub_cmd("keys", "init", str(home / "keys"), "--force")
    assert forced.returncode == 0 and "pseudonym version v3" in forced.stdout
    assert (home / "keys" / "pseudonym.key").read_text().split()[0].startswith("v1:")


def test_a_consent_given_before_a_pseudonym_rotation_still_counts(
        clean_sandbox: SandboxProcess, tmp_path: Path) -> None:
    """The consent names the subject under v1; after rotating to v2 the gateway matches it by
    the person's earlier pseudonym, and a consent about someone else still does not."""
    home = tmp_path / "home"
    subject = clean_sandbox.person("household")
    other = next(p["id"] for p in clean_sandbox.samples["persons"]
                 if "household" in p["tags"] and p["id"] != subject)
    before = HubHarness(clean_sandbox, home)
    try:
        consent = before.post(GRANT, {"input": {
            "subject": subject, "purpose": "SCHOOL_ENROLMENT", "grantee": "portal",
            "categories": ["household"], "fetchType": "REUSABLE", "maxUses": 3}},
            caller="portal", purpose=None).json()["data"]["grantConsent"]["id"]
    finally:
        before.close()
    run = hub_cmd("keys", "rotate", "pseudonym", "--dir", str(home / "keys"))
    assert run.returncode == 0, run.stderr
    after = HubHarness(clean_sandbox, home)
    try:
        mine = after.post(PERSON, {"id": subject}, caller="portal", purpose="SCHOOL_ENROLMENT",
                          headers={"X-Hub-Consent": consent}).json()
        theirs = after.post(PERSON, {"id": other}, caller="portal", purpose="SCHOOL_ENROLMENT",
                            headers={"X-Hub-Consent": consent}).json()
    finally:
        after.close()
    assert mine["data"]["person"]["householdRegistration"]["name"], mine
    assert theirs["errors"][0]["extensions"]["code"] == "CONSENT_REQUIRED"
