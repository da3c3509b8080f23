"""Driving the console over HTTP as a browser would (forms, cookies), and reading the audit
log it leaves straight from the store with sqlite3, independently of the hub's code."""

from __future__ import annotations

import re
import sqlite3
from typing import Any

import httpx2
import orjson

from tests.hub_harness import HubHarness

_CSRF = re.compile(r'name="csrf" value="([^"]*)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def sign_in(hub: HubHarness, caller: str = "auditor", operator: str = "aud-7",
            case: str = "") -> httpx2.Response:
    page = hub.client.get("/console/signin")
    return hub.client.post("/console/signin", data={
        "csrf": csrf_of(page.text), "api_key": hub.api_keys[caller], "operator": operator,
        "case": case}, follow_redirects=False)


def sign_out(hub: HubHarness) -> None:
    page = hub.client.get("/console/dashboard")
    if page.status_code == 200:
        hub.client.post("/console/signout", data={"csrf": csrf_of(page.text)})
    hub.client.cookies.clear()


def audit_bodies(hub: HubHarness, after: int = 0) -> list[dict[str, Any]]:
    path = hub.settings.store_url.removeprefix("sqlite+aiosqlite:///")
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT body FROM audit_entries WHERE seq > ? ORDER BY seq",
                          (after,)).fetchall()
    return [orjson.loads(r[0]) for r in rows]


def log_size(hub: HubHarness) -> int:
    path = hub.settings.store_url.removeprefix("sqlite+aiosqlite:///")
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT count(*) FROM audit_entries").fetchone()[0])
