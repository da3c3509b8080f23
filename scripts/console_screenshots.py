"""Screenshots of the auditor's console for the README: `python scripts/console_screenshots.py`.

Starts the sandbox departments and a hub on loopback, writes a week of synthetic entries
straight into a fresh audit log (so the pictures have a history to show; they are labelled so
in the README), makes live requests through the hub (checks, a consented person read, a window
clerk's fishing burst), signs in as the auditor in Debian's Chromium and saves
docs/console-dashboard.png, docs/console-search.png and docs/console-entry.png.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from audit.entry import AuditRecord, CallRecord, Denial  # noqa: E402
from audit.log import AuditLog  # noqa: E402
from hub.migrate import upgrade_store  # noqa: E402
from signing.keys import KeyRing  # noqa: E402
from tests.console.live import LiveHub, hub_settings  # noqa: E402
from tests.sandbox_process import SandboxProcess  # noqa: E402

__all__ = ["main"]

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
DOCS = ROOT / "docs"


def _history(sources: dict[str, str], now: dt.datetime, rng: random.Random) -> list[AuditRecord]:
    """A week of ordinary traffic, most of it in office hours."""
    ipo = [n for n, c in sources.items() if c == "IPO_COMPLIANCE"]
    bankruptcy = [n for n, c in sources.items() if c == "BANKRUPTCY"]
    out: list[AuditRecord] = []
    for day in range(7, 0, -1):
        date = (now - dt.timedelta(days=day)).date()
        weekend = date.weekday() >= 5
        for _ in range(rng.randint(4, 9) if weekend else rng.randint(30, 60)):
            hour = rng.choice([9, 10, 10, 11, 14, 15, 15, 16, 17]) if rng.random() > 0.04 \
                else rng.choice([21, 22, 23])
            moment = dt.datetime.combine(date, dt.time(hour, rng.randint(0, 59)),
                                         dt.timezone(dt.timedelta(hours=8)))
            kind = rng.random()
            if kind < 0.45:
                caller, purpose, names = rng.choice(["fgw", "xzsp"]), "IPO_COMPLIANCE", ipo
            elif kind < 0.6:
                caller, purpose, names = rng.choice(["court", "xzsp"]), "BANKRUPTCY", bankruptcy
            else:
                caller = rng.choice(["portal", "portal", "window"])
                purpose = rng.choice(["SCHOOL_ENROLMENT", "SCHOOL_ENROLMENT", "RETIREMENT",
                                      "HOUSING_FUND_LOAN", "NEWBORN"])
                names = []
            calls = [CallRecord(n, "UNAVAILABLE" if (n.startswith("wjw") and day == 3)
                                or rng.random() < 0.01 else "OK",
                                rng.lognormvariate(3.6, 0.6) * (4 if n.startswith("kjj") else 1),
                                1) for n in names]
            denied = [Denial("person.propertyCertificates", "CONSENT_REQUIRED")] \
                if not names and rng.random() < 0.15 else []
            subject = f"v1:{rng.getrandbits(256):064x}" if not names else \
                f"91410700{rng.randint(10**9, 10**10 - 1)}"
            out.append(AuditRecord(
                time=moment, request_id=f"seed-{len(out)}", caller=caller,
                operator=f"{caller}-op{rng.randint(1, 4)}",
                case=f"{caller.upper()}-2026-{rng.randint(100, 999)}" if rng.random() < 0.9
                else None, purpose=purpose,
                legal_basis="STATUTORY" if names else "CONSENT", subjects=[subject],
                released=["complianceCheck"] if names else ["person.householdRegistration"],
                denied=denied, sources=calls,
                outcome="PARTIAL" if denied else "ALLOWED"))
    return sorted(out, key=lambda r: r.time)


async def _seed(url: str, keys: Path, records: list[AuditRecord]) -> None:
    await upgrade_store(url)  # a fresh store: its tables come from the migrations
    log = await AuditLog.open(url, KeyRing.load(keys))
    try:
        for record in records:
            await log.append(record)
        await log.checkpoint()
    finally:
        await log.close()


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="console-shots-"))
    sandbox = SandboxProcess(work)
    try:
        settings, keys = hub_settings(sandbox, work / "hub", checkpoint_every=1)
        sources = {c.name: c.check or "" for c in settings.sources}
        now = dt.datetime.now(dt.UTC)
        asyncio.run(_seed(settings.store_url, settings.keys_dir,
                          _history(sources, now, random.Random(17))))
        hub = LiveHub(settings, keys)
        persons = [p["id"] for p in sandbox.samples["persons"]]
        enterprises = [e["uscc"] for e in sandbox.samples["enterprises"]]
        for uscc in enterprises[:4]:
            hub.graphql('{ complianceCheck(kind: IPO_COMPLIANCE, uscc: "%s") { verdict } }'
                        % uscc, caller="fgw", purpose="IPO_COMPLIANCE",
                        headers={"X-Hub-Operator": "fgw-op1", "X-Hub-Case": "FGW-2026-118"})
        applicant = persons[2]
        grant = hub.graphql(
            'mutation { grantConsent(input: {subject: "%s", purpose: "SCHOOL_ENROLMENT", '
            'grantee: "portal", categories: ["household", "property"], fetchType: REUSABLE, '
            'maxUses: 3}) { id } }' % applicant, caller="portal")
        consent = grant["data"]["grantConsent"]["id"]
        for _ in range(2):
            hub.graphql('{ person(id: "%s") { householdRegistration { address } '
                        'propertyCertificates { certificateNo } } }' % applicant,
                        caller="portal", purpose="SCHOOL_ENROLMENT",
                        headers={"X-Hub-Consent": consent, "X-Hub-Operator": "clerk-12",
                                 "X-Hub-Case": "RX-2026-0917"})
        for pid in persons[3:27]:
            hub.graphql('{ person(id: "%s") { householdRegistration { address } } }' % pid,
                        caller="window", purpose="SCHOOL_ENROLMENT",
                        headers={"X-Hub-Operator": "clerk-fish"})
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
            page.goto(hub.url + "/console/")
            page.fill("#api-key", keys["auditor"])
            page.fill("#operator", "audit-007")
            page.fill("#case", "JJ-2026-031")
            page.click("#signin")
            page.wait_for_url("**/console/dashboard")
            page.screenshot(path=str(DOCS / "console-dashboard.png"), full_page=True)
            page.goto(hub.url + "/console/search")
            page.fill("#f-subject", applicant)
            page.click("#search")
            page.wait_for_url("**/console/search")
            page.screenshot(path=str(DOCS / "console-search.png"), full_page=True)
            page.locator("a.seq").first.click()
            page.wait_for_selector("#proof-browser[data-state=verified]")
            page.screenshot(path=str(DOCS / "console-entry.png"), full_page=True)
            browser.close()
        hub.close()
    finally:
        sandbox.stop()
    print("wrote", ", ".join(f"docs/console-{n}.png" for n in ("dashboard", "search", "entry")))


if __name__ == "__main__":
    main()
