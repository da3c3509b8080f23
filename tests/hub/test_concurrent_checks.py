"""Many checks at once through the real app: coalesced department calls, separate reports.

200 lead-department checks of 200 distinct enterprises run concurrently in one event loop
against the real ASGI app (lifespan, GraphQL, gateway, audit) and the sandbox departments over
real HTTP. The departments answer many of them in shared calls; each report must still be
about its own subject only. The oracle is the sandbox's own data generator (`World`), not the
hub: the violations each enterprise really has.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections import Counter
from pathlib import Path

import httpx2

from hub.app import create_app
from hub.config.sources import parse_sources
from hub.demo import demo_settings
from sandbox.data import World
from signing.keys import init_keys
from tests.sandbox_process import SandboxProcess
from tests.stores import migrated

# A period that covers every penalty the sandbox generates (they date from 2019 on), so that the
# oracle needs no period rule of its own.
CHECK = """query($u: USCC!, $until: Date!) {
  complianceCheck(kind: IPO_COMPLIANCE, uscc: $u, since: "2017-01-01", until: $until) {
  verdict subject { uscc }
  domains { domain status records { ... on Violation { decisionNo } } } } }"""
DISABLED_SLOTS = {"culture_tourism"}  # wlj_penalties is switched off in the sandbox config


def expected_decisions(world: World, uscc: str) -> Counter[str]:
    profile = world.enterprise(uscc)
    assert profile is not None
    return Counter(v["decision_no"] for slot, found in profile.violations.items()
                   if slot not in DISABLED_SLOTS for v in found)


async def test_200_concurrent_checks_each_report_only_its_own_subject(
        clean_sandbox: SandboxProcess, tmp_path: Path) -> None:
    world = World()
    chosen = [u for u in world.usccs if expected_decisions(world, u)][:150]
    chosen += [u for u in world.usccs if not expected_decisions(world, u)][:50]
    assert len(set(chosen)) == 200
    init_keys(tmp_path / "keys")
    configs = list(parse_sources(clean_sandbox.config["sources"]))
    settings, api_keys = demo_settings(tmp_path, configs, host="127.0.0.1", port=0)
    settings = dataclasses.replace(settings, demo=False, max_in_flight=512)
    await migrated(settings.store_url)
    app = create_app(settings)
    until = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    headers = {"Authorization": f"Bearer {api_keys['xzsp']}", "X-Hub-Purpose": "IPO_COMPLIANCE"}
    async with app.router.lifespan_context(app), httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=app), base_url="http://hub", timeout=120) as client:
        responses = await asyncio.gather(*(
            client.post("/graphql", json={"query": CHECK, "variables": {"u": u, "until": until}},
                        headers=headers) for u in chosen))
    for uscc, response in zip(chosen, responses, strict=True):
        assert response.status_code == 200, response.text
        report = response.json()["data"]["complianceCheck"]
        assert report["subject"]["uscc"] == uscc
        statuses = {d["domain"]: d["status"] for d in report["domains"]}
        assert set(statuses.values()) <= {"OK", "DISABLED"}, statuses
        found = Counter(r["decisionNo"] for d in report["domains"] for r in d["records"]
                        if "decisionNo" in r)
        assert found == expected_decisions(world, uscc), uscc
        if found:
            assert report["verdict"] == "FINDINGS"
    stats = clean_sandbox.stats()
    batch = [c.name for c in configs
             if c.check == "IPO_COMPLIANCE" and c.enabled and c.transport == "rest-batch"]
    assert all(stats[name]["keys"] == 200 for name in batch)
    # The departments answered the 200 checks in fewer calls than checks: they were shared.
    assert sum(stats[name]["calls"] for name in batch) < 200 * len(batch)
