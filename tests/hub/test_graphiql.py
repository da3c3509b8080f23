"""GraphiQL works on a closed network: the page and its assets come from the hub itself, the
page names no external host, and in Chromium it runs a query with nothing but loopback."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import orjson
import pytest

from tests.hub.procs import free_port
from tests.hub_harness import HubHarness
from tests.sandbox_process import SandboxProcess

STATIC = Path(__file__).resolve().parents[2] / "hub" / "static" / "graphiql"
CHROMIUM = "/usr/bin/chromium"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []  # (tag, url)
        self.assets: list[str] = []  # what the browser loads: script src, link href

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "action", "data-endpoint") and value is not None:
                self.urls.append((tag, value))
                if (tag, name) in (("script", "src"), ("link", "href")) \
                        and not value.startswith("data:"):
                    self.assets.append(value)


@pytest.fixture(scope="module")
def demo_app(sandbox: SandboxProcess, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[HubHarness]:
    harness = HubHarness(sandbox, tmp_path_factory.mktemp("graphiql"), demo=True)
    yield harness
    harness.close()


def page(app: HubHarness) -> str:
    r = app.client.get("/graphql", headers={"Accept": "text/html"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    return r.text


def test_the_page_names_no_external_host(demo_app: HubHarness) -> None:
    html = page(demo_app)
    links = _Links()
    links.feed(html)
    assert {tag for tag, _ in links.urls} >= {"script", "link"}
    for _, url in links.urls:
        parts = urlsplit(url)
        assert parts.scheme in ("", "data") and not parts.netloc, url
    assert "//" not in html.replace("http://127.0.0.1", "")  # no scheme-relative or absolute URL
    for text in ("Authorization: Bearer", "X-Hub-Purpose", "X-Hub-Consent", "X-Hub-Operator",
                 "X-Hub-Case", "hub demo", "demo.json"):
        assert text in html


def test_every_asset_the_page_names_is_served_by_the_hub(demo_app: HubHarness) -> None:
    links = _Links()
    links.feed(page(demo_app))
    assert len(links.assets) == 6
    for url in links.assets:
        r = demo_app.client.get(url)
        assert r.status_code == 200 and len(r.content) > 100, url
        kind = "javascript" if url.endswith(".js") else "css"
        assert kind in r.headers["content-type"], (url, r.headers["content-type"])


def test_the_hubs_own_script_and_style_name_no_host() -> None:
    for name in ("hub-graphiql.js", "hub-graphiql.css"):
        text = (STATIC / name).read_text()
        assert "http:" not in text and "https:" not in text and "//cdn" not in text


def test_vendored_files_are_the_published_ones() -> None:
    """The digests recorded when the files were taken from the npm registry still hold."""
    manifest = json.loads((STATIC / "vendor.json").read_text())
    assert set(manifest) == {"graphiql.min.js", "graphiql.min.css", "react.production.min.js",
                             "react-dom.production.min.js"}
    for name, entry in manifest.items():
        assert hashlib.sha256((STATIC / name).read_bytes()).hexdigest() == entry["sha256"], name
    assert "MIT License" in (STATIC / "THIRD-PARTY-LICENSES.txt").read_text()


def test_no_graphiql_outside_demo_mode(hub: HubHarness) -> None:
    assert hub.client.get("/graphiql/graphiql.min.js").status_code == 404
    r = hub.client.get("/graphql", headers={"Accept": "text/html"})
    assert "graphiql" not in r.text.lower()


@pytest.fixture(scope="module")
def demo_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """`hub demo` as a user starts it: the GraphQL URL and the callers' API keys."""
    home = tmp_path_factory.mktemp("graphiql-demo") / ".hub"
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "hub", "demo", "--port", str(port),
                             "--home", str(home), "--no-latency"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while not (home / "demo.json").exists():
            assert proc.poll() is None and time.monotonic() < deadline, "hub demo did not start"
            time.sleep(0.1)
        info = orjson.loads((home / "demo.json").read_bytes())
        yield info["graphql_url"], info["callers"]
    finally:
        proc.terminate()
        proc.wait(30)


@pytest.mark.skipif(not Path(CHROMIUM).exists() or shutil.which("chromium") is None,
                    reason="Debian's chromium is not installed (.ci/run installs it)")
def test_graphiql_runs_a_query_in_chromium_with_only_loopback(
        demo_process: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    from playwright.sync_api import Route, sync_playwright

    url, callers = demo_process
    elsewhere: list[str] = []

    def only_loopback(route: Route) -> None:
        target = route.request.url
        if target.startswith("data:") or urlsplit(target).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            elsewhere.append(target)
            route.abort()

    headers = json.dumps({"Authorization": f"Bearer {callers['xzsp']}"})
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            tab = browser.new_page(viewport={"width": 1280, "height": 800})
            tab.route("**/*", only_loopback)
            tab.goto(url)
            tab.wait_for_selector(".graphiql-container", timeout=20_000)
            assert "Required. The caller's API key" not in tab.inner_text("#hub-help")
            tab.click("#hub-lang")
            assert "Required. The caller's API key" in tab.inner_text("#hub-help")
            tab.evaluate("""h => document.querySelector('.graphiql-editor-tool .CodeMirror')
                              ? [...document.querySelectorAll('.graphiql-editor-tool .CodeMirror')]
                                  .at(-1).CodeMirror.setValue(h) : null""", headers)
            tab.click(".graphiql-execute-button")
            tab.wait_for_function("""() => document.querySelector('.result-window')
                                        ?.innerText.includes('cgj_penalties')""",
                                  timeout=20_000)
            tab.screenshot(path=str(tmp_path / "graphiql.png"))
            result = tab.inner_text(".result-window")
        finally:
            browser.close()
    assert elsewhere == []
    assert '"sources"' in result and "UNAUTHENTICATED" not in result
