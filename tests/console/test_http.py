"""The console over HTTP: who may sign in, sessions, CSRF, security headers, and the audit
entry every page view, form and export leaves. The browser's view is tests/console/
test_browser.py."""

from __future__ import annotations

import dataclasses
import os
import re
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from audit.entry import AuditRecord
from audit.errors import AuditUnavailable
from audit.verify import verify_export
from hub.app import create_app
from hub.config.console import ConsoleSettings
from signing.keys import load_public_keys
from tests.console.client import audit_bodies, csrf_of, log_size, sign_in, sign_out
from tests.hub_harness import HubHarness
from tests.sandbox_process import SandboxProcess

PAGES = ["/console/dashboard", "/console/search", "/console/flags", "/console/integrity"]


@pytest.fixture(scope="module")
def hub(sandbox: SandboxProcess, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[HubHarness]:
    harness = HubHarness(sandbox, tmp_path_factory.mktemp("console"), checkpoint_every=1)
    persons = [p["id"] for p in sandbox.samples["persons"][:3]]
    for pid in persons:
        harness.post('{ person(id: "%s") { householdRegistration { address } } }' % pid,
                     caller="portal", purpose="SCHOOL_ENROLMENT",
                     headers={"X-Hub-Operator": "clerk-1"})
    yield harness
    harness.close()


@pytest.fixture
def signed_in(hub: HubHarness) -> Iterator[HubHarness]:
    assert sign_in(hub).status_code == 303
    yield hub
    sign_out(hub)


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and not names.get("src"):
            self.problems.append("an inline script")
        if tag == "style":
            self.problems.append("a style element")
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.problems.append(f"{tag} {name}")
            if name in ("src", "href", "action") and value and "//" in value:
                self.problems.append(f"{tag} {name}={value}")


# -- who may sign in -----------------------------------------------------------------------

def test_an_auditor_signs_in_with_a_short_strict_httponly_session(hub: HubHarness) -> None:
    before = log_size(hub)
    r = sign_in(hub, case="JJ-2026-7")
    assert r.status_code == 303 and r.headers["location"] == "/console/dashboard"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("hub_console="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
    assert "Max-Age=1800" in cookie and hub.api_keys["auditor"] not in cookie
    (entry,) = audit_bodies(hub, before + 1)  # the sign-in form's view, then the sign-in
    assert (entry["caller"], entry["operator"], entry["case"], entry["outcome"]) == (
        "auditor", "aud-7", "JJ-2026-7", "ALLOWED")
    sign_out(hub)


@pytest.mark.parametrize("caller", ["portal", "fgw", "court"])
def test_a_non_auditor_key_cannot_sign_in(hub: HubHarness, caller: str) -> None:
    before = log_size(hub)
    r = sign_in(hub, caller=caller)
    assert r.status_code == 403 and "不是审计机构" in r.text
    assert not any(c.startswith("hub_console=") for c in r.headers.get_list("set-cookie"))
    assert hub.client.get("/console/search", follow_redirects=False).status_code == 303
    denied = audit_bodies(hub, before)[1]
    assert (denied["caller"], denied["outcome"], denied["denied"]) == (
        caller, "DENIED", [{"path": "console.signin", "code": "FORBIDDEN"}])


def test_an_unknown_key_or_a_sign_in_without_its_form_token_is_refused(hub: HubHarness) -> None:
    page = hub.client.get("/console/signin")
    r = hub.client.post("/console/signin", data={"csrf": csrf_of(page.text),
                                                 "api_key": "hub_not-a-key", "operator": "x"})
    assert r.status_code == 401 and audit_bodies(hub)[-1]["denied"][0]["code"] == \
        "UNAUTHENTICATED"
    hub.client.cookies.clear()  # the sign-in form's token cookie is gone: login CSRF
    r = hub.client.post("/console/signin", data={"csrf": csrf_of(page.text), "operator": "x",
                                                 "api_key": hub.api_keys["auditor"]})
    assert r.status_code == 403 and "hub_console=" not in r.headers.get("set-cookie", "")


@pytest.mark.parametrize(("operator", "case"), [("", ""), ("a b", ""), ("aud-7", "x" * 65),
                                                ("aud-7", "a\x07b")])
def test_sign_in_wants_a_staff_id_and_a_sane_case(hub: HubHarness, operator: str,
                                                  case: str) -> None:
    r = sign_in(hub, operator=operator, case=case)
    assert r.status_code == 400 and "hub_console=" not in r.headers.get("set-cookie", "")


# -- sessions and CSRF ---------------------------------------------------------------------

@pytest.mark.parametrize("page", [*PAGES, "/console/entries/1", "/console/flags/abc"])
def test_without_a_session_a_page_sends_you_to_sign_in_and_shows_nothing(
        hub: HubHarness, page: str) -> None:
    hub.client.cookies.clear()
    before = log_size(hub)
    r = hub.client.get(page, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/signin"
    (entry,) = audit_bodies(hub, before)
    assert (entry["caller"], entry["outcome"], entry["released"]) == (None, "DENIED", [])


@pytest.mark.parametrize("path", ["/console/search", "/console/export.csv",
                                  "/console/export.jsonl", "/console/integrity/verify",
                                  "/console/flags/abc/review"])
def test_a_post_without_the_session_cookie_is_refused(signed_in: HubHarness, path: str) -> None:
    hub = signed_in
    csrf = csrf_of(hub.client.get("/console/search").text)
    cookies = dict(hub.client.cookies)
    hub.client.cookies.clear()
    r = hub.client.post(path, data={"csrf": csrf, "caller": "fgw", "note": "x"})
    assert r.status_code == 401 and "audit-" not in r.headers.get("content-disposition", "")
    assert audit_bodies(hub)[-1]["denied"][0]["code"] == "UNAUTHENTICATED"
    hub.client.cookies.update(cookies)


@pytest.mark.parametrize("forged", ["", "not-the-token", "FORGED" * 8])
def test_a_forged_csrf_token_is_refused_and_changes_nothing(signed_in: HubHarness,
                                                            forged: str) -> None:
    hub = signed_in
    r = hub.client.post("/console/search", data={"csrf": forged, "caller": "fgw"})
    assert r.status_code == 403
    last = audit_bodies(hub)[-1]
    assert (last["caller"], last["outcome"], last["denied"]) == (
        "auditor", "DENIED", [{"path": "console.search", "code": "FORBIDDEN"}])
    page = hub.client.get("/console/search").text
    assert 'value="fgw" selected' not in page  # the search was not changed
    r = hub.client.post("/console/export.csv", data={"csrf": forged})
    assert r.status_code == 403 and not r.headers.get("content-disposition")


def test_a_cross_site_post_is_refused_even_with_the_token(signed_in: HubHarness) -> None:
    hub = signed_in
    csrf = csrf_of(hub.client.get("/console/search").text)
    for origin in ("https://evil.example", "null"):
        r = hub.client.post("/console/search", data={"csrf": csrf, "caller": "fgw"},
                            headers={"Origin": origin})
        assert r.status_code == 403
    r = hub.client.post("/console/search", data={"csrf": csrf, "caller": "fgw"},
                        headers={"Origin": "http://testserver"}, follow_redirects=False)
    assert r.status_code == 303


def test_signing_out_ends_the_session_for_good(hub: HubHarness) -> None:
    r = sign_in(hub)
    token = hub.client.cookies["hub_console"]
    page = hub.client.get("/console/dashboard")
    hub.client.post("/console/signout", data={"csrf": csrf_of(page.text)})
    hub.client.cookies.set("hub_console", token, path="/console")
    assert r.status_code == 303
    assert hub.client.get("/console/dashboard", follow_redirects=False).status_code == 303
    hub.client.cookies.clear()


# -- headers and markup --------------------------------------------------------------------

@pytest.mark.parametrize("page", [*PAGES, "/console/entries/1", "/console/signin"])
def test_pages_have_a_strict_csp_and_no_inline_script_or_style(signed_in: HubHarness,
                                                                page: str) -> None:
    r = signed_in.client.get(page)
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "style-src 'self';" in csp
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "no-store" and r.headers["x-frame-options"] == "DENY"
    markup = _Markup()
    markup.feed(r.text)
    assert markup.problems == []


def test_assets_are_served_by_the_hub(hub: HubHarness) -> None:
    for path, kind in (("/console/static/console.js", "javascript"),
                       ("/console/static/console.css", "css"),
                       ("/console/static/charts.css", "css")):
        r = hub.client.get(path)
        assert r.status_code == 200 and kind in r.headers["content-type"]
        assert "http://" not in r.text and "https://" not in r.text


# -- every view is audited -----------------------------------------------------------------

@pytest.mark.parametrize(("page", "reads"), [
    ("/console/dashboard", {"console.window", "console.status"}),
    ("/console/search", {"console.search"}),
    ("/console/flags", {"console.window"}),
    ("/console/integrity", {"console.status"}),
    ("/console/entries/2", {"console.entry"}),
])
def test_each_page_view_leaves_exactly_one_entry(signed_in: HubHarness, page: str,
                                                 reads: set[str]) -> None:
    hub = signed_in
    before = log_size(hub)
    assert hub.client.get(page).status_code == 200
    (entry,) = audit_bodies(hub, before)
    assert (entry["caller"], entry["operator"], entry["outcome"]) == ("auditor", "aud-7",
                                                                      "ALLOWED")
    assert reads <= set(entry["released"]) and entry["queryHash"]
    assert entry["subjects"] == []  # the console reads the log, never subject data


def test_a_bad_filter_is_shown_named_and_audited(signed_in: HubHarness) -> None:
    hub = signed_in
    csrf = csrf_of(hub.client.get("/console/search").text)
    r = hub.client.post("/console/search", data={"csrf": csrf, "subject": "12345",
                                                 "operator": "a b"})
    assert r.status_code == 400 and "主体：既不是统一社会信用代码，也不是居民身份证号" in r.text
    assert audit_bodies(hub)[-1]["denied"] == [{"path": "console.search",
                                                "code": "BAD_USER_INPUT"}]


def test_searching_by_subject_finds_its_entries_and_never_shows_the_clear_id(
        signed_in: HubHarness, sandbox: SandboxProcess) -> None:
    hub = signed_in
    pid = sandbox.samples["persons"][1]["id"]
    csrf = csrf_of(hub.client.get("/console/search").text)
    r = hub.client.post("/console/search", data={"csrf": csrf, "subject": pid})
    assert r.status_code == 200 and str(r.url).endswith("/console/search")
    assert "共 1 条" in r.text and 'href="/console/entries/2"' in r.text
    assert pid not in r.text and pid[:6] + "********" + pid[-4:] in r.text
    for body in audit_bodies(hub, log_size(hub) - 2):
        assert pid not in str(body)


BY_SUBJECT = """query($s: String) { auditEntries(filter: {subject: $s}) { edges { node {
  seq caller released subjects } } } }"""


def test_the_log_answers_who_looked_a_person_up(signed_in: HubHarness,
                                                sandbox: SandboxProcess) -> None:
    """A search of the log by subject names that subject on the auditor's entry (its
    pseudonyms, never the clear ID), in the console and in auditEntries alike: searching the
    log for X finds the auditors' searches for X."""
    hub = signed_in
    pid = sandbox.samples["persons"][2]["id"]
    other = sandbox.samples["persons"][0]["id"]
    before = log_size(hub)
    hub.post(BY_SUBJECT, {"s": pid}, caller="auditor", purpose=None)
    csrf = csrf_of(hub.client.get("/console/search").text)
    assert hub.client.post("/console/search", data={"csrf": csrf, "subject": pid}
                           ).status_code == 200  # the form, then the results page
    graphql, _, submitted, results = audit_bodies(hub, before)
    assert graphql["released"] == ["auditEntries"] and results["released"] == ["console.search"]
    (clerk_read,) = [b for b in audit_bodies(hub) if b["caller"] == "portal"
                     and b["subjects"] and b["subjects"] == results["subjects"]]
    assert graphql["subjects"] == results["subjects"] == clerk_read["subjects"]
    assert submitted["subjects"] == []  # the form only remembers the filter
    for body in audit_bodies(hub, before):
        assert pid not in str(body)
    found = hub.post(BY_SUBJECT, {"s": pid}, caller="auditor", purpose=None).json()
    nodes = [e["node"] for e in found["data"]["auditEntries"]["edges"]]
    assert [(n["seq"], n["caller"], n["released"]) for n in nodes if n["caller"] == "auditor"
            ] == [(before + 4, "auditor", ["console.search"]),
                  (before + 1, "auditor", ["auditEntries"])]
    page = hub.client.get("/console/search")
    assert f'href="/console/entries/{before + 4}"' in page.text
    elsewhere = hub.post(BY_SUBJECT, {"s": other}, caller="auditor", purpose=None).json()
    assert all(e["node"]["caller"] != "auditor"
               for e in elsewhere["data"]["auditEntries"]["edges"])


def test_english_is_one_click_away(signed_in: HubHarness) -> None:
    hub = signed_in
    page = hub.client.get("/console/flags")
    r = hub.client.post("/console/lang", data={"csrf": csrf_of(page.text), "lang": "en",
                                               "back": "/console/flags"})
    assert r.status_code == 200 and "What looks wrong" in r.text and "Fishing expedition" in r.text
    assert str(r.url).endswith("/console/flags")
    r = hub.client.post("/console/lang", data={"csrf": csrf_of(r.text), "lang": "zh",
                                               "back": "https://evil.example/"})
    assert (r.url.host, r.url.path) == ("testserver", "/console/dashboard") and "总览" in r.text


# -- exports -------------------------------------------------------------------------------

def test_the_signed_export_verifies_offline_and_holds_the_filtered_entries(
        signed_in: HubHarness, tmp_path: Path) -> None:
    hub = signed_in
    csrf = csrf_of(hub.client.get("/console/search").text)
    hub.client.post("/console/search", data={"csrf": csrf, "caller": "portal",
                                             "operator": "clerk-1"})
    before = log_size(hub)
    r = hub.client.post("/console/export.jsonl", data={"csrf": csrf})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/jsonl")
    assert "attachment" in r.headers["content-disposition"]
    lines = r.content.splitlines()
    public = load_public_keys(hub.settings.keys_dir / "hub-keys.json")
    summary = verify_export(lines, public)
    assert summary.entries == 3 and summary.selection == {"caller": "portal",
                                                          "operator": "clerk-1"}
    (entry,) = audit_bodies(hub, before)
    assert "console.export.signed" in entry["released"]
    with pytest.raises(Exception, match="removed, added or reordered"):
        verify_export(lines[:1] + lines[2:], public)
    r = hub.client.post("/console/export.csv", data={"csrf": csrf})
    assert r.status_code == 200 and r.text.count("\r\n") == 4  # header and three rows
    # The export checks out offline with the CLI, as its recipient would check it.
    export = tmp_path / "evidence.jsonl"
    export.write_bytes(b"\n".join(lines) + b"\n")
    done = subprocess.run([sys.executable, "-m", "hub", "audit", "verify-export", str(export),
                           "--keys", str(hub.settings.keys_dir / "hub-keys.json")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("valid: 3 entries") and '"operator":"clerk-1"' in done.stdout
    export.write_bytes(b"\n".join(lines[:1] + lines[2:]) + b"\n")
    done = subprocess.run([sys.executable, "-m", "hub", "audit", "verify-export", str(export),
                           "--keys", str(hub.settings.keys_dir / "hub-keys.json")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and done.stderr.startswith("INVALID")


def test_an_export_too_big_is_refused_not_cut_short(sandbox: SandboxProcess,
                                                    tmp_path: Path) -> None:
    harness = HubHarness(sandbox, tmp_path, console=dataclasses.replace(ConsoleSettings(),
                                                                        export_max=2))
    try:
        for _ in range(3):
            harness.post("{ sources { name } }", caller="fgw", purpose=None)
        sign_in(harness)
        csrf = csrf_of(harness.client.get("/console/search").text)
        r = harness.client.post("/console/export.csv", data={"csrf": csrf})
        assert r.status_code == 400 and "超过单次导出上限 2 条" in r.text
        assert not r.headers.get("content-disposition")
    finally:
        harness.close()


class _Unwritable:
    async def append(self, record: AuditRecord) -> tuple[int, str]:
        raise AuditUnavailable("the audit store cannot be written")


def test_when_the_log_cannot_be_written_nothing_is_shown(hub: HubHarness) -> None:
    app = create_app(hub.settings, audit_sink=_Unwritable())
    with TestClient(app) as client:
        page = client.get("/console/signin")
        assert page.status_code == 503 and "审计日志暂时无法写入" in page.text
        assert 'name="api_key"' not in page.text
        r = client.post("/console/signin", data={"api_key": hub.api_keys["auditor"],
                                                 "operator": "aud-7"})
        assert r.status_code == 503 and "hub_console=" not in r.headers.get("set-cookie", "")


# -- integrity -----------------------------------------------------------------------------

def verified_by(html: str) -> tuple[str, str]:
    """The integrity page's "verified by, and where": the worker it names, and the words."""
    found = re.search(r'<dd id="verified-by" data-worker="([^"]+)">([^<]+)</dd>', html)
    assert found, "the page says who verified the log, when and where"
    return found.group(1), found.group(2)


def test_the_verify_button_names_the_first_bad_seq(sandbox: SandboxProcess,
                                                   tmp_path: Path) -> None:
    """The verify button names the first bad seq; the page says when each result was found,
    for whom, how (on first view or by the button) and in which hub worker."""
    harness = HubHarness(sandbox, tmp_path, checkpoint_every=1)
    try:
        for _ in range(4):
            harness.post("{ sources { name } }", caller="fgw", purpose=None)
        sign_in(harness)
        page = harness.client.get("/console/integrity")
        assert 'data-state="ok"' in page.text
        worker, run = verified_by(page.text)
        assert worker == f"{socket.gethostname()} pid {os.getpid()}"  # this process: in-process
        assert "监督审计 · aud-7，打开总览或本页时自动运行（本工作进程此前未核验），于 " in run
        assert worker in run
        assert verified_by(harness.client.get("/console/integrity").text)[1] == run  # kept
        path = harness.settings.store_url.removeprefix("sqlite+aiosqlite:///")
        with sqlite3.connect(path) as db:
            db.execute("UPDATE audit_entries SET body = replace(body, '\"fgw\"', '\"xzsp\"'), "
                       "caller = 'xzsp' WHERE seq = 3")
        r = harness.client.post("/console/integrity/verify", data={"csrf": csrf_of(page.text)})
        assert r.status_code == 200
        found = re.search(r'data-state="tampered" data-first-bad-seq="(\d+)"', r.text)
        assert found and found.group(1) == "3"
        assert "监督审计 · aud-7，按下核验按钮，于 " in verified_by(r.text)[1]
    finally:
        harness.close()


def test_a_form_with_too_many_fields_is_refused_plainly(signed_in: HubHarness) -> None:
    hub = signed_in
    csrf = csrf_of(hub.client.get("/console/search").text)
    fields = {f"f{i}": "x" for i in range(150)} | {"csrf": csrf}
    r = hub.client.post("/console/search", data=fields)
    assert r.status_code == 413 and "more than 100 fields" in r.text
    assert audit_bodies(hub)[-1]["denied"] == [{"path": "console.search",
                                                "code": "BAD_USER_INPUT"}]


def test_signing_out_and_switching_language_are_audited_under_the_auditor(hub: HubHarness
                                                                          ) -> None:
    sign_in(hub)
    page = hub.client.get("/console/search")
    before = log_size(hub)
    hub.client.post("/console/lang", data={"csrf": csrf_of(page.text), "lang": "en",
                                           "back": "/console/search"}, follow_redirects=False)
    page = hub.client.get("/console/search")
    hub.client.post("/console/signout", data={"csrf": csrf_of(page.text)},
                    follow_redirects=False)
    lang, view, out = audit_bodies(hub, before)
    for entry in (lang, view, out):
        assert (entry["caller"], entry["operator"], entry["outcome"]) == (
            "auditor", "aud-7", "ALLOWED")
    assert hub.client.get("/console/search", follow_redirects=False).status_code == 303
    hub.client.cookies.clear()


@pytest.mark.parametrize("seq", ["0", "999999", "2147483648", "99999999999999999999999"])
def test_an_entry_that_is_not_there_is_a_plain_404(signed_in: HubHarness, seq: str) -> None:
    r = signed_in.client.get(f"/console/entries/{seq}")
    assert r.status_code == 404 and "没有这条记录" in r.text
    assert audit_bodies(signed_in)[-1]["denied"] == [{"path": "console.entry",
                                                      "code": "BAD_USER_INPUT"}]


def test_a_flag_is_reviewed_with_a_note_stored_with_its_audit_entry(signed_in: HubHarness
                                                                   ) -> None:
    hub = signed_in
    flags = hub.client.get("/console/flags")
    found = re.search(r'data-rule="no_case" data-flag="([0-9a-f]{16})"', flags.text)
    assert found, "three person reads without a case number make a no_case flag"
    flag = found.group(1)
    page = hub.client.get(f"/console/flags/{flag}")
    assert page.status_code == 200 and 'data-state="open"' in page.text
    r = hub.client.post(f"/console/flags/{flag}/review", data={"csrf": csrf_of(page.text),
                                                               "note": "   "})
    assert r.status_code == 400 and "复核意见须填写" in r.text
    before = log_size(hub)
    r = hub.client.post(f"/console/flags/{flag}/review", data={
        "csrf": csrf_of(page.text), "note": "已核实：窗口测试数据"}, follow_redirects=False)
    assert r.status_code == 303
    (entry,) = audit_bodies(hub, before)
    assert "console.review" in entry["released"] and entry["outcome"] == "ALLOWED"
    page = hub.client.get(r.headers["location"])
    assert 'data-state="reviewed"' in page.text and "已核实：窗口测试数据" in page.text
    path = hub.settings.store_url.removeprefix("sqlite+aiosqlite:///")
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT rule, reviewer, operator, note FROM audit_reviews "
                          "WHERE flag_id = ?", (flag,)).fetchall()
    assert rows == [("no_case", "auditor", "aud-7", "已核实：窗口测试数据")]
    r = hub.client.post("/console/flags/0000000000000000/review", data={
        "csrf": csrf_of(page.text), "note": "x"})
    assert r.status_code == 404


def test_a_reviewed_burst_stays_reviewed_whichever_window_and_whenever_it_is_seen(
        sandbox: SandboxProcess, tmp_path: Path) -> None:
    """A burst's flag is anchored on its bucket, not on the window's start: the page the
    review sends you back to, later views and other windows all show the same, reviewed flag."""
    harness = HubHarness(sandbox, tmp_path)
    try:
        for _ in range(70):  # at least 30 of them in one ten-minute bucket
            harness.post("{ sources { name } }", caller="fgw", purpose=None)
        sign_in(harness)
        listed = harness.client.get("/console/flags?days=7").text
        flag = re.findall(r'data-rule="burst" data-flag="([0-9a-f]{16})"', listed)[0]
        page = harness.client.get(f"/console/flags/{flag}?days=7")
        r = harness.client.post(f"/console/flags/{flag}/review?days=7", data={
            "csrf": csrf_of(page.text), "note": "fgw 的批量核验，已确认"}, follow_redirects=False)
        assert r.status_code == 303
        assert 'data-state="reviewed"' in harness.client.get(r.headers["location"]).text
        for days in (1, 7, 30, 7):
            listed = harness.client.get(f"/console/flags?days={days}").text
            assert f'data-flag="{flag}" data-state="reviewed"' in listed, days
            one = harness.client.get(f"/console/flags/{flag}?days={days}")
            assert one.status_code == 200 and 'data-state="reviewed"' in one.text
    finally:
        harness.close()


def test_a_review_lands_with_its_audit_entry_or_not_at_all(signed_in: HubHarness) -> None:
    """With the audit store unwritable, a review answers 503 and stores nothing; once it is
    writable, the same review is stored."""
    hub = signed_in
    found = re.search(r'data-rule="no_case" data-flag="([0-9a-f]{16})"',
                      hub.client.get("/console/flags").text)
    assert found
    flag = found.group(1)
    page = hub.client.get(f"/console/flags/{flag}")
    path = hub.settings.store_url.removeprefix("sqlite+aiosqlite:///")

    def notes() -> list[str]:
        with sqlite3.connect(path) as db:
            return [r[0] for r in db.execute("SELECT note FROM audit_reviews WHERE flag_id = ?",
                                             (flag,)).fetchall()]

    before = notes()
    with hub.audit_unwritable():
        r = hub.client.post(f"/console/flags/{flag}/review", data={
            "csrf": csrf_of(page.text), "note": "无法记录的复核"}, follow_redirects=False)
    assert r.status_code == 503 and "审计日志暂时无法写入" in r.text
    assert notes() == before
    r = hub.client.post(f"/console/flags/{flag}/review", data={
        "csrf": csrf_of(page.text), "note": "记录下来的复核"}, follow_redirects=False)
    assert r.status_code == 303 and notes() == [*before, "记录下来的复核"]


def test_results_page_by_cursor_without_gaps_or_repeats(sandbox: SandboxProcess,
                                                        tmp_path: Path) -> None:
    harness = HubHarness(sandbox, tmp_path)
    try:
        for _ in range(57):
            harness.post("{ sources { name } }", caller="xzsp", purpose=None)
        sign_in(harness)
        csrf = csrf_of(harness.client.get("/console/search").text)
        first = harness.client.post("/console/search", data={"csrf": csrf, "caller": "xzsp"})
        assert "共 57 条" in first.text
        seqs = [int(s) for s in re.findall(r'<tr data-seq="(\d+)"', first.text)]
        assert len(seqs) == 50 and seqs == sorted(seqs, reverse=True)
        after = re.search(r'href="/console/search\?after=([^"]+)" id="next"', first.text)
        assert after is not None
        second = harness.client.get(f"/console/search?after={after.group(1)}")
        more = [int(s) for s in re.findall(r'<tr data-seq="(\d+)"', second.text)]
        assert len(more) == 7 and max(more) < min(seqs) and 'id="next"' not in second.text
        assert harness.client.get("/console/search?after=bogus").status_code == 400
    finally:
        harness.close()
