"""The console in a real browser (Debian's Chromium, driven by Playwright) against a real hub
on a loopback port: sign in, filter by subject, open an entry and see its proof verified,
see the charts, trigger the fishing-expedition rule with a scripted burst and review the flag,
export CSV; a non-auditor cannot sign in; a request without the session cookie or with a
forged CSRF token is refused."""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.console.live import LiveHub, hub_settings
from tests.sandbox_process import SandboxProcess

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
FISHING_BURST = 22  # distinct persons, one operator, within seconds: over the default 20

if shutil.which(CHROMIUM) is None:
    pytest.skip(f"no Chromium at {CHROMIUM}; .ci/run installs Debian's chromium",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def live(sandbox: SandboxProcess, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[LiveHub]:
    settings, keys = hub_settings(sandbox, tmp_path_factory.mktemp("live"), checkpoint_every=1)
    hub = LiveHub(settings, keys)
    persons = [p["id"] for p in sandbox.samples["persons"]]
    # The scripted burst: one window clerk looks up 22 different people in a few seconds.
    for pid in persons[:FISHING_BURST]:
        hub.graphql('{ person(id: "%s") { householdRegistration { address } } }' % pid,
                    caller="portal", purpose="SCHOOL_ENROLMENT",
                    headers={"X-Hub-Operator": "clerk-fish"})
    for e in sandbox.samples["enterprises"][:3]:
        hub.graphql('{ complianceCheck(kind: IPO_COMPLIANCE, uscc: "%s") { verdict } }'
                    % e["uscc"], caller="fgw", purpose="IPO_COMPLIANCE",
                    headers={"X-Hub-Operator": "op-1", "X-Hub-Case": "FGW-2026-118"})
    yield hub
    hub.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                  accept_downloads=True)
    pg = context.new_page()
    problems: list[str] = []
    pg.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: problems.append(str(e)))
    pg.problems = problems
    yield pg
    context.close()


def sign_in(page: Any, live: LiveHub, caller: str = "auditor") -> None:
    page.goto(live.url + "/console/")
    page.fill("#api-key", live.api_keys[caller])
    page.fill("#operator", "audit-007")
    page.fill("#case", "JJ-2026-031")
    page.click("#signin")


def test_an_auditor_finds_a_subjects_entries_and_sees_the_proof_verified(
        page: Any, live: LiveHub, sandbox: SandboxProcess, tmp_path: Path) -> None:
    sign_in(page, live)
    page.wait_for_url("**/console/dashboard")
    subject = sandbox.samples["persons"][5]["id"]
    page.click("nav >> text=检索日志")
    page.fill("#f-subject", subject)
    page.click("#search")
    page.wait_for_url("**/console/search")
    assert page.inner_text("#total").startswith("共 1 条")
    assert subject not in page.content()  # matched by pseudonym, shown masked
    assert subject[:6] + "********" + subject[-4:] in page.inner_text("#f-subject-current")
    row = page.locator("#entries tbody tr")
    assert row.count() == 1 and "clerk-fish" in row.inner_text()
    page.screenshot(path=str(tmp_path / "search.png"), full_page=True)
    row.locator("a.seq").click()
    page.wait_for_selector("#proof-browser[data-state=verified]", timeout=15_000)
    assert page.get_attribute("#proof-server", "data-state") == "verified"
    assert "CONSENT_REQUIRED" in page.inner_text("#denied")
    assert "household" in page.inner_text("#denied")
    assert page.problems == []


def test_a_tampered_proof_fails_in_the_browser(page: Any, live: LiveHub) -> None:
    """The page's own check is real: one changed hash in the proof and it says so."""
    sign_in(page, live)
    page.wait_for_url("**/console/dashboard")

    def tamper(route: Any) -> None:
        response = route.fetch()
        html = response.text()
        proof = re.search(r'data-proof="([0-9a-f]+)', html)
        assert proof is not None
        flipped = ("0" if proof.group(1)[0] != "0" else "1") + proof.group(1)[1:]
        route.fulfill(response=response, body=html.replace(proof.group(1), flipped, 1))

    page.route("**/console/entries/5", tamper)
    page.goto(live.url + "/console/entries/5")
    page.wait_for_selector("#proof-browser[data-state=failed]", timeout=15_000)
    assert "checkpoint's root" in page.inner_text("#proof-browser")


def test_the_dashboard_draws_svg_charts_with_data_points(page: Any, live: LiveHub,
                                                         tmp_path: Path) -> None:
    sign_in(page, live)
    page.wait_for_url("**/console/dashboard")
    dots = page.locator("#chart-by-caller svg circle.dot")
    assert dots.count() >= 2
    titles = page.locator("#chart-by-caller svg title").all_text_contents()
    assert any(t.startswith("一体化政务服务平台 · ") and t.endswith(f": {FISHING_BURST}")
               for t in titles), titles
    box = page.locator("#chart-by-caller svg").bounding_box()
    assert box["width"] > 400 and box["height"] > 150
    # The charts' CSS came from the hub and was applied (no inline style was needed).
    fill = page.eval_on_selector("#chart-by-caller svg .plot .background",
                                 "e => getComputedStyle(e).fill")
    assert fill == "rgb(255, 255, 255)"
    assert page.locator("#chart-denials svg rect.rect").count() >= 1
    assert page.locator("#chart-matrix svg circle.dot").count() >= 2
    assert page.locator("#chart-latency svg circle.dot").count() >= 1
    assert page.get_attribute("#chain-status", "data-state") == "ok"
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
    assert page.problems == []


def test_the_fishing_burst_is_flagged_and_an_auditor_marks_it_reviewed(page: Any,
                                                                      live: LiveHub) -> None:
    sign_in(page, live)
    page.wait_for_url("**/console/dashboard")
    page.click("nav >> text=异常提示")
    flag = page.locator("tr.flag[data-rule=fishing]")
    assert flag.count() == 1
    assert "portal / clerk-fish" in flag.inner_text()
    assert f"接触了 {FISHING_BURST} 个不同主体" in flag.inner_text()
    assert "待复核" in flag.inner_text()
    flag.locator("a").click()
    page.wait_for_selector("#entries")
    assert page.locator("#entries tbody tr").count() == FISHING_BURST
    assert page.get_attribute("#review-state", "data-state") == "open"
    page.fill("#note", "已与一体化政务服务平台核实：入学报名批量核验，属正常业务。")
    page.click("#mark-reviewed")
    page.wait_for_selector("#review-state[data-state=reviewed]")
    assert "入学报名批量核验" in page.inner_text("#reviews")
    assert "audit-007" in page.inner_text("#reviews")
    page.click("nav >> text=异常提示")
    assert "已复核" in page.locator("tr.flag[data-rule=fishing]").inner_text()
    reviews = [b for b in _bodies(live) if "console.review" in b["released"]]
    assert reviews and reviews[-1]["operator"] == "audit-007"


def test_the_filtered_entries_export_as_csv(page: Any, live: LiveHub) -> None:
    sign_in(page, live)
    page.wait_for_url("**/console/dashboard")
    page.goto(live.url + "/console/search")
    page.select_option("#f-caller", "fgw")
    page.fill("#f-case", "FGW-2026-118")
    page.click("#search")
    page.wait_for_url("**/console/search")
    assert page.inner_text("#total").startswith("共 3 条")
    with page.expect_download() as download:
        page.click("#export-csv")
    path = download.value.path()
    rows = list(csv.DictReader(io.StringIO(Path(path).read_text(encoding="utf-8-sig"))))
    assert len(rows) == 3
    assert {(r["caller"], r["case"], r["operator"], r["purpose"]) for r in rows} == {
        ("fgw", "FGW-2026-118", "op-1", "IPO_COMPLIANCE")}
    assert [int(r["seq"]) for r in rows] == sorted(int(r["seq"]) for r in rows)
    assert download.value.suggested_filename.endswith(".csv")


def test_a_non_auditor_key_cannot_sign_in(page: Any, live: LiveHub) -> None:
    sign_in(page, live, caller="portal")
    page.wait_for_selector("#signin-error")
    assert "不是审计机构" in page.inner_text("#signin-error")
    assert page.url.endswith("/console/signin")
    assert not [c for c in page.context.cookies() if c["name"] == "hub_console"]
    page.goto(live.url + "/console/search")
    assert page.url.endswith("/console/signin")


def test_without_the_session_cookie_or_with_a_forged_token_the_hub_refuses(
        page: Any, live: LiveHub) -> None:
    sign_in(page, live)
    page.wait_for_url("**/console/dashboard")
    page.goto(live.url + "/console/search")
    token = page.get_attribute("meta[name=csrf-token]", "content")
    # The same form posted by a client that has the token but not the cookie.
    bare = page.context.browser.new_context()
    r = bare.request.post(live.url + "/console/export.csv", form={"csrf": token})
    assert r.status == 401 and "attachment" not in r.headers.get("content-disposition", "")
    bare.close()
    # The signed-in browser with a forged token.
    page.eval_on_selector("form[action='/console/export.csv'] input[name=csrf]",
                          "e => { e.value = 'forged-' + e.value.slice(7); }")
    page.click("#export-csv")
    page.wait_for_selector("#error-message")
    assert "表单已过期或不是从本控制台提交的" in page.inner_text("#error-message")


def _bodies(live: LiveHub) -> list[dict[str, Any]]:
    import sqlite3

    import orjson

    path = live.settings.store_url.removeprefix("sqlite+aiosqlite:///")
    with sqlite3.connect(path) as db:
        return [orjson.loads(r[0]) for r in db.execute("SELECT body FROM audit_entries")]
