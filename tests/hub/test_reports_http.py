"""Filed reports over HTTP, through the real app: numbers, `GET /reports/{reportNo}.pdf|.html`
for the requester and auditors (audited), `GET /verify` for anyone, and the inputs refused
before any department is asked."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import pytest
from sqlalchemy import create_engine, text

from reports.codes import verification_code
from signing.canonical import canonical
from signing.keys import load_public_keys, verify_signature
from tests.hub_harness import CHECK, HubHarness
from tests.sandbox_process import SandboxProcess

CASE = "(2026)豫07破1号"
ENTRIES = """query($case: String) { auditEntries(filter: {case: $case}) { edges { node {
  caller operator case outcome subjects released denied sources { source } } } } }"""
KEYS = {"reportNo", "found", "verdict", "checkedAt", "subjectName", "signatureValid"}


@pytest.fixture(scope="module")
def app(sandbox: SandboxProcess, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[HubHarness]:
    harness = HubHarness(sandbox, tmp_path_factory.mktemp("reports"))
    yield harness
    harness.close()


def check(app: HubHarness, uscc: str, kind: str = "BANKRUPTCY", caller: str = "court",
          headers: dict[str, str] | None = None, **arguments: str) -> dict[str, Any]:
    r = app.post(CHECK, {"kind": kind, "uscc": uscc, **arguments}, caller=caller, purpose=kind,
                 headers=headers)
    body = r.json()
    assert "errors" not in body, body
    return body["data"]["complianceCheck"]  # type: ignore[no-any-return]


def get(app: HubHarness, path: str, caller: str | None = None, **headers: str) -> Any:
    if caller is not None:
        headers["Authorization"] = f"Bearer {app.api_keys[caller]}"
    return app.client.get(path, headers=headers)


def entries(app: HubHarness, case: str) -> list[dict[str, Any]]:
    r = app.post(ENTRIES, {"case": case}, caller="auditor", purpose=None)
    return [e["node"] for e in r.json()["data"]["auditEntries"]["edges"]]


def test_report_numbers_are_unique_sequential_and_in_the_signed_document(
        app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    uscc = clean_sandbox.enterprise("clean")
    first = check(app, uscc)
    second = check(app, uscc, kind="IPO_COMPLIANCE", caller="xzsp")
    numbers = [first["reportNo"], second["reportNo"]]
    assert all(re.fullmatch(r"XXHC-\d{4}-\d{6}", n) for n in numbers)
    assert int(numbers[1][-6:]) == int(numbers[0][-6:]) + 1
    assert numbers[0][5:9] == first["checkedAt"][:4]
    for report in (first, second):
        document = orjson.loads(report["document"])
        assert document["reportNo"] == report["reportNo"]
        assert report["verificationCode"] == verification_code(report["signature"])
    batch = app.post("""query($u: [USCC!]!) { complianceChecks(kind: BANKRUPTCY, usccs: $u) {
                         reportNo } }""", {"u": [uscc] * 5}, caller="court",
                     purpose="BANKRUPTCY").json()["data"]["complianceChecks"]
    got = [int(x["reportNo"][-6:]) for x in batch]
    assert got == list(range(got[0], got[0] + 5)) and got[0] > int(numbers[1][-6:])


def test_the_signed_report_is_complete(app: HubHarness, clean_sandbox: SandboxProcess,
                                       tmp_path: Path) -> None:
    sample = next(e for e in clean_sandbox.samples["enterprises"]
                  if "findings:tax" in e["tags"])
    report = check(app, sample["uscc"], kind="IPO_COMPLIANCE", caller="fgw",
                   headers={"X-Hub-Case": quote(CASE, safe=""),
                            "X-Hub-Operator": quote("张三", safe="")})
    document = orjson.loads(report["document"])
    keys = tmp_path / "hub-keys.json"
    keys.write_bytes(app.client.get("/.well-known/hub-keys").content)
    verify_signature(load_public_keys(keys), report["keyId"], canonical(document),
                     report["signature"])
    assert document["subject"]["name"] == sample["name"] == report["subject"]["name"]
    assert document["requestedBy"] == {"caller": "fgw", "name": "市发改委"}
    assert (document["case"], document["operator"]) == (CASE, "张三")
    assert (report["case"], report["operator"], report["requestedBy"]) == (CASE, "张三", "市发改委")
    assert document["period"]["since"] and document["period"]["until"]
    assert "实施方案" in document["legalBasis"] and document["registry"]["status"] == "OK"
    for d in document["domains"]:
        assert d["legalBasis"] and "disputed" in d
        assert d["asOf"] or d["status"] == "DISABLED"
        assert d["detail"] is None or re.search(r"[\u4e00-\u9fff]", d["detail"])


def test_only_the_requester_and_auditors_may_print_a_report(app: HubHarness,
                                                            clean_sandbox: SandboxProcess
                                                            ) -> None:
    sample = next(e for e in clean_sandbox.samples["enterprises"] if "assets:seized" in e["tags"])
    number = check(app, sample["uscc"])["reportNo"]
    html = get(app, f"/reports/{number}.html", "court", **{"X-Hub-Case": "RPT-OWN"})
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert sample["name"] in html.text and number in html.text
    assert get(app, f"/reports/{number}.html", "auditor").status_code == 200
    for caller in ("xzsp", "portal", "fgw"):
        r = get(app, f"/reports/{number}.pdf", caller, **{"X-Hub-Case": "RPT-OTHER"})
        assert r.status_code == 403
        assert r.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert get(app, f"/reports/{number}.pdf").status_code == 401
    assert get(app, f"/reports/{number}.pdf", Authorization="Bearer nope").status_code == 401
    for path in ("/reports/XXHC-2099-999999.pdf", "/reports/not-a-number.html",
                 f"/reports/{number}.txt", f"/reports/{number}"):
        r = get(app, path, "court")
        assert r.status_code == 404, path
        assert r.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    (read,) = entries(app, "RPT-OWN")
    assert read["outcome"] == "ALLOWED" and read["caller"] == "court"
    assert read["released"] == [f"reports/{number}.html"]
    assert sample["uscc"] in read["subjects"] and read["sources"] == []
    refused = entries(app, "RPT-OTHER")
    assert len(refused) == 3 and {e["outcome"] for e in refused} == {"DENIED"}
    assert all(e["released"] == [] and any("FORBIDDEN" in d for d in e["denied"])
               for e in refused)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")
@pytest.mark.parametrize(("kind", "caller", "tag"), [("BANKRUPTCY", "court", "assets:mortgaged"),
                                                     ("IPO_COMPLIANCE", "xzsp", "findings:tax")])
def test_the_pdf_prints_the_domains_and_the_enterprise(app: HubHarness,
                                                       clean_sandbox: SandboxProcess,
                                                       tmp_path: Path, kind: str, caller: str,
                                                       tag: str) -> None:
    sample = next(e for e in clean_sandbox.samples["enterprises"] if tag in e["tags"])
    report = check(app, sample["uscc"], kind=kind, caller=caller)
    r = get(app, f"/reports/{report['reportNo']}.pdf", caller)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF-")
    path = tmp_path / "report.pdf"
    path.write_bytes(r.content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = re.sub(r"\s+", "", text)
    assert sample["name"] in flat and report["reportNo"] in flat
    assert report["verificationCode"] in flat
    for d in report["domains"]:
        assert d["title"] in flat, d["title"]
    if kind == "BANKRUPTCY":
        assert "财产及债务清单" in flat and "第一顺序" in flat and "有财产担保的债权" in flat


def test_verify_answers_anyone_with_nothing_more(app: HubHarness,
                                                 clean_sandbox: SandboxProcess) -> None:
    sample = next(e for e in clean_sandbox.samples["enterprises"] if "status:revoked" in e["tags"])
    report = check(app, sample["uscc"], kind="IPO_COMPLIANCE", caller="xzsp")
    number, code = report["reportNo"], report["verificationCode"]
    ok = app.client.get("/verify", params={"no": number, "code": code})
    assert ok.status_code == 200 and set(ok.json()) == KEYS
    assert ok.json() == {"reportNo": number, "found": True, "verdict": "FINDINGS",
                         "checkedAt": report["checkedAt"], "subjectName": sample["name"],
                         "signatureValid": True}
    assert app.client.get("/verify", params={"no": number, "code": code.lower()}).json()["found"]
    wrong = app.client.get("/verify", params={"no": number, "code": "AAAAAAAA"})
    unknown = app.client.get("/verify", params={"no": "XXHC-2026-999999", "code": code})
    malformed = app.client.get("/verify", params={"no": "../../etc", "code": code})
    chinese = app.client.get("/verify", params={"no": number, "code": "验证码验证码验证"})
    for r, no in ((wrong, number), (unknown, "XXHC-2026-999999"), (malformed, "../../etc"),
                  (chinese, number)):
        assert r.status_code == 200
        assert r.json() == {"reportNo": no, "found": False, "verdict": None, "checkedAt": None,
                            "subjectName": None, "signatureValid": None}
    page = app.client.get("/verify", params={"no": number, "code": code},
                          headers={"Accept": "text/html"})
    assert page.headers["content-type"].startswith("text/html")
    assert sample["name"] in page.text and "签名有效" in page.text and "发现问题" in page.text
    for params in ({"no": number}, {"code": code}, {}, {"no": number, "code": "x" * 41}):
        bad = app.client.get("/verify", params=params)
        assert bad.status_code == 400
        assert bad.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_a_batch_files_each_report_exactly_as_signed(app: HubHarness,
                                                     clean_sandbox: SandboxProcess,
                                                     tmp_path: Path) -> None:
    """complianceChecks of several enterprises, one of them twice: each report's signature
    holds over its document, the register keeps exactly that document (the batch held them
    deflated until the audit entry filed them), and the repeated enterprise's second report is
    as complete as its first."""
    clean = clean_sandbox.enterprise("clean")
    others = [e["uscc"] for e in clean_sandbox.samples["enterprises"] if e["uscc"] != clean][:3]
    r = app.post("""query($u: [USCC!]!) { complianceChecks(kind: IPO_COMPLIANCE, usccs: $u) {
                     reportNo signature keyId document domains { domain status } } }""",
                 {"u": [clean, *others, clean]}, caller="xzsp", purpose="IPO_COMPLIANCE")
    reports = r.json()["data"]["complianceChecks"]
    keys = tmp_path / "hub-keys.json"
    keys.write_bytes(app.client.get("/.well-known/hub-keys").content)
    public = load_public_keys(keys)
    engine = create_engine(app.settings.store_url.replace("+aiosqlite", ""))
    with engine.connect() as conn:
        filed = dict(conn.execute(text("SELECT report_no, document FROM reports")).all())
    engine.dispose()
    assert len({x["reportNo"] for x in reports}) == 5
    for report in reports:
        signed = report["document"].encode()
        verify_signature(public, report["keyId"], signed, report["signature"])
        assert canonical(orjson.loads(signed)) == signed
        assert filed[report["reportNo"]] == report["document"]
    assert len(reports[0]["domains"]) == 19
    assert reports[-1]["domains"] == reports[0]["domains"]
    assert {d["status"] for d in reports[-1]["domains"]} == {"OK", "DISABLED"}


def test_a_tampered_filed_report_does_not_verify(app: HubHarness,
                                                 clean_sandbox: SandboxProcess) -> None:
    report = check(app, clean_sandbox.enterprise("clean"))
    number = report["reportNo"]
    engine = create_engine(app.settings.store_url.replace("+aiosqlite", ""))
    with engine.begin() as conn:
        conn.execute(text("UPDATE reports SET document = replace(document, '\"CLEAN\"', "
                          "'\"FINDINGS\"') WHERE report_no = :n"), {"n": number})
    engine.dispose()
    r = app.client.get("/verify", params={"no": number, "code": report["verificationCode"]})
    assert r.json()["found"] is True and r.json()["signatureValid"] is False


@pytest.mark.parametrize(("arguments", "says"), [
    ({"since": "2026-05-01", "until": "2026-04-30"}, "since: 2026-05-01 is after until"),
    ({"since": "2010-01-01", "until": "2026-01-01"}, "longer than 10 years"),
    ({"until": "2099-01-01"}, "is after today"),
    ({"baseDate": "2026-01-01"}, "bankruptcy checks only"),
    ({"since": "2026-13-01"}, "Date"),
])
def test_bad_periods_are_refused_before_any_call(app: HubHarness, clean_sandbox: SandboxProcess,
                                                 arguments: dict[str, str], says: str) -> None:
    r = app.post(CHECK, {"kind": "IPO_COMPLIANCE", "uscc": clean_sandbox.enterprise("clean"),
                         **arguments})
    errors = r.json()["errors"]
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT" and says in errors[0]["message"]
    assert clean_sandbox.total_calls() == 0


def test_a_base_date_in_the_future_is_refused_before_any_call(app: HubHarness,
                                                              clean_sandbox: SandboxProcess
                                                              ) -> None:
    r = app.post(CHECK, {"kind": "BANKRUPTCY", "uscc": clean_sandbox.enterprise("clean"),
                         "baseDate": "2099-01-01"}, caller="court", purpose="BANKRUPTCY")
    assert r.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "baseDate" in r.json()["errors"][0]["message"]
    assert clean_sandbox.total_calls() == 0


@pytest.mark.parametrize(("value", "says"), [
    (quote("案" * 65, safe=""), "at most 64 characters"),
    ("case%01", "control and format characters"),
    ("%E2%80%AE", "control and format characters"),
    (b"(2026)\xe8\xb1\xab07", "header values are ASCII"),
    ("50%", "every % must start"),
    ("%FF", "not UTF-8"),
])
def test_bad_case_numbers_are_refused_before_any_call(app: HubHarness,
                                                      clean_sandbox: SandboxProcess,
                                                      value: str | bytes, says: str) -> None:
    r = app.client.post("/graphql", json={"query": CHECK, "variables": {
        "kind": "IPO_COMPLIANCE", "uscc": clean_sandbox.enterprise("clean")}}, headers={
        "Authorization": f"Bearer {app.api_keys['xzsp']}", "X-Hub-Purpose": "IPO_COMPLIANCE",
        "X-Hub-Case": value})  # type: ignore[dict-item]
    assert r.status_code == 400
    error = r.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and says in error["message"]
    assert "X-Hub-Case" in error["message"]
    assert clean_sandbox.total_calls() == 0


def test_a_chinese_case_number_is_kept_and_searchable(app: HubHarness,
                                                      clean_sandbox: SandboxProcess) -> None:
    longest = "（2026）豫07破" + "1" * 53 + "号"
    assert len(longest) == 64
    report = check(app, clean_sandbox.enterprise("clean"),
                   headers={"X-Hub-Case": quote(longest, safe="")})
    assert report["case"] == longest
    (entry,) = entries(app, longest)
    assert entry["case"] == longest and entry["caller"] == "court"


def filed_numbers(app: HubHarness) -> set[str]:
    """The report numbers on file, read straight from the store."""
    engine = create_engine(app.settings.store_url.replace("+aiosqlite", ""))
    try:
        with engine.connect() as conn:
            return {row[0] for row in conn.execute(text("SELECT report_no FROM reports"))}
    finally:
        engine.dispose()


def test_a_report_is_filed_with_its_audit_entry_or_not_at_all(
        app: HubHarness, clean_sandbox: SandboxProcess) -> None:
    """With the audit store unwritable a check answers AUDIT_UNAVAILABLE and files no report;
    the number it took is never issued again; once writable, the next report is on file."""
    uscc = clean_sandbox.enterprise("clean")
    last = check(app, uscc)["reportNo"]
    before = filed_numbers(app)
    with app.audit_unwritable():
        r = app.post(CHECK, {"kind": "BANKRUPTCY", "uscc": uscc}, caller="court",
                     purpose="BANKRUPTCY").json()
    assert r["data"] is None and r["errors"][0]["extensions"]["code"] == "AUDIT_UNAVAILABLE"
    assert filed_numbers(app) == before
    number = check(app, uscc)["reportNo"]
    assert filed_numbers(app) == before | {number} and number not in before
    assert int(number[-6:]) == int(last[-6:]) + 2  # the withheld check's number is a gap


def test_a_report_the_store_refuses_is_not_issued(app: HubHarness,
                                                  clean_sandbox: SandboxProcess) -> None:
    """If the register refuses the report (here a trigger), the check answers
    AUDIT_UNAVAILABLE, its entry says FAILED and nothing is on file."""
    uscc = clean_sandbox.enterprise("clean")
    before = filed_numbers(app)
    engine = create_engine(app.settings.store_url.replace("+aiosqlite", ""))
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TRIGGER no_reports BEFORE INSERT ON reports "
                              "BEGIN SELECT RAISE(ABORT, 'full'); END"))
        r = app.post(CHECK, {"kind": "BANKRUPTCY", "uscc": uscc}, caller="court",
                     purpose="BANKRUPTCY", headers={"X-Hub-Case": "RPT-REFUSED"}).json()
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP TRIGGER no_reports"))
        engine.dispose()
    assert r["data"] is None and r["errors"][0]["extensions"]["code"] == "AUDIT_UNAVAILABLE"
    assert filed_numbers(app) == before
    (entry,) = entries(app, "RPT-REFUSED")
    assert entry["outcome"] == "FAILED" and entry["released"] == []
