"""The sandbox departments: synthetic data, samples, credentials, control API."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

import httpx2
import pytest
from stdnum.cn import uscc as stdnum_uscc

from connectors.catalogue import PERSON_CATEGORIES, domains_of
from connectors.identifiers import verify_resident_id
from sandbox.data import IPO_RATES, World
from sandbox.departments import SOURCES
from sandbox.enterprises import STATUS_TAGS
from tests.connectors.helpers import open_connectors
from tests.identifier_oracle import oracle_org, oracle_ric, oracle_uscc
from tests.sandbox_process import SandboxProcess


@pytest.fixture(scope="module")
def world() -> World:
    return World()


def test_every_generated_identifier_passes_its_check_character(world: World) -> None:
    """10,000 USCCs and 50,000 resident IDs, all valid and all distinct."""
    assert len(world.usccs) == 10_000 and len(set(world.usccs)) == 10_000
    assert len(world.person_ids) == 50_000 and len(set(world.person_ids)) == 50_000
    for code in world.usccs:
        assert oracle_uscc(code[:17]) == code and oracle_org(code[8:16]) == code[8:17]
        assert stdnum_uscc.is_valid(code)
    today = dt.date(2026, 11, 28)
    for rid in world.person_ids:
        assert oracle_ric(rid[:17]) == rid
        assert verify_resident_id(rid, today=today) == rid


def test_generation_is_deterministic() -> None:
    a, b = World(seed=7, enterprises=50, persons=50), World(seed=7, enterprises=50, persons=50)
    assert a.usccs == b.usccs and a.person_ids == b.person_ids
    assert a.enterprise_at(3) == b.enterprise_at(3)
    assert a.person_at(9) == b.person_at(9)
    assert World(seed=8, enterprises=50, persons=50).usccs != a.usccs


def test_findings_rates_are_realistic(world: World) -> None:
    """Most enterprises are clean; each domain has a few percent; some have several."""
    profiles = [world.enterprise_at(i) for i in range(world.enterprise_count)]
    clean = sum(not p.violations for p in profiles) / len(profiles)
    assert 0.55 < clean < 0.8
    several = sum(len(p.violations) >= 2 for p in profiles)
    assert several > 100
    for slot, rate in IPO_RATES.items():
        share = sum(slot in p.violations for p in profiles) / len(profiles)
        assert rate / 2 < share < rate * 2, slot


def test_person_data_agrees_across_departments(world: World) -> None:
    """Household and property addresses match for most owners; employers are real enterprises."""
    owners = matched = 0
    for i in range(5000):
        person = world.person_at(i)
        records = person.records
        for si in records["social_insurance"]:
            employer = world.enterprise(si["employer_uscc"])
            assert employer is not None and employer.name == si["employer_name"]
        if records["household"] and records["property"]:
            owners += 1
            matched += records["household"][0]["address"] in {
                p["address"] for p in records["property"]}
        for hh in records["household"]:
            assert hh["birth_date"].strftime("%Y%m%d") == person.id[6:14]
    assert owners > 500 and matched / owners > 0.75


def test_sources_cover_the_domain(world: World) -> None:
    assert len(SOURCES) >= 25 and len({s.department for s in SOURCES}) >= 20
    for kind in ("IPO_COMPLIANCE", "BANKRUPTCY"):
        served = {s.domain for s in SOURCES if s.check == kind}
        assert served == {d.code for d in domains_of(kind)}
    assert {s.domain for s in SOURCES if s.subject == "person"} == set(PERSON_CATEGORIES)
    assert sum(s.transport == "rest-single" for s in SOURCES) >= 2
    assert sum(s.transport == "sql" for s in SOURCES) >= 2
    assert len([s for s in SOURCES if s.check == "IPO_COMPLIANCE"]) == 19
    assert len([s for s in SOURCES if s.check == "BANKRUPTCY"]) == 11
    housing_fund = [s for s in SOURCES if s.check == "IPO_COMPLIANCE" and s.domain == "housing_fund"]
    assert [(s.department, s.record) for s in housing_fund] == [("市住房公积金管理中心", "contribution")]
    tax = {s.record for s in SOURCES if s.check == "IPO_COMPLIANCE" and s.domain == "tax"}
    assert tax == {"violation", "arrears"}


def test_samples_cover_every_domain_item_and_category(sandbox: SandboxProcess) -> None:
    ents, persons = sandbox.samples["enterprises"], sandbox.samples["persons"]
    assert len(ents) >= 20 and len(persons) >= 20
    tags = {t for e in ents for t in e["tags"]}
    assert "clean" in tags and "unknown" in tags
    assert {f"findings:{slot}" for slot in IPO_RATES} | {"findings:housing_fund"} <= tags
    for status in ("active", "operating", "revoked", "deregistered", "moved_out"):
        assert f"status:{status}" in tags
    for item in ("vehicles", "real_estate", "buildings", "seized", "mortgaged"):
        assert f"assets:{item}" in tags
    for item in ("social_insurance", "medical_insurance", "housing_fund", "tax", "customs"):
        assert f"arrears:{item}" in tags
    assert {"arrears-differ:social_insurance", "arrears-differ:medical_insurance"} <= tags
    assert set(PERSON_CATEGORIES) <= {t for p in persons for t in p["tags"]}
    assert all(p["name"] and p["id"] for p in persons)


async def test_samples_agree_with_the_departments(clean_sandbox: SandboxProcess) -> None:
    """A sample's tags are what the departments answer, over their real interfaces."""
    ipo = [s.name for s in SOURCES if s.check == "IPO_COMPLIANCE"]
    connectors = await open_connectors(clean_sandbox, *ipo, "rsj_si_contrib", "sw_si_contrib",
                                       "scjg_registration", "gjj_contrib")
    ents = [e for e in clean_sandbox.samples["enterprises"] if "unknown" not in e["tags"]][:40]
    keys = [e["uscc"] for e in ents]
    try:
        results = {n: (await connectors[n].fetch(keys)).answers for n in connectors}
    finally:
        await connectors.aclose()
    slot_of = {s.name: ("housing_construction.realestate" if s.name == "bdc_penalties"
                        else s.domain) for s in SOURCES
               if s.check == "IPO_COMPLIANCE" and s.record == "violation"}
    for ent in ents:
        key, tags = ent["uscc"], ent["tags"]
        for name, slot in slot_of.items():
            assert results[name][key].status == "OK", (key, name)
            has = bool(results[name][key].records)
            assert has == (f"findings:{slot}" in tags), (key, name)
        owed = sum(int(r.get("arrears_amount") or 0) for r in results["sw_tax_arrears"][key].records)
        assert (owed > 0) == ("arrears:tax" in tags)
        (deposit,) = results["gjj_deposit"][key].records
        (contrib,) = results["gjj_contrib"][key].records
        assert deposit.values == contrib.values  # one fund centre, two published views
        assert (int(deposit.get("arrears_amount") or 0) > 0) == ("findings:housing_fund" in tags)
        rsj, sw = results["rsj_si_contrib"][key].records[0], results["sw_si_contrib"][key].records[0]
        if "arrears-differ:social_insurance" in tags:
            assert rsj.get("liability_ref") == sw.get("liability_ref") is not None
            assert int(sw.get("arrears_amount") or 0) < int(rsj.get("arrears_amount") or 0)
        else:
            assert rsj.values == sw.values
        (registration,) = results["scjg_registration"][key].records
        assert registration.get("name") == ent["name"]
        status = registration.get("status")
        assert f"status:{STATUS_TAGS[str(status)]}" in tags
        assert (registration.get("status_on") is None) == (status in ("存续", "在业"))


async def test_unknown_enterprises_are_not_found_everywhere(clean_sandbox: SandboxProcess
                                                            ) -> None:
    """A valid code no registry holds: every enterprise source, REST and SQL, says NOT_FOUND."""
    unknown = [e["uscc"] for e in clean_sandbox.samples["enterprises"] if "unknown" in e["tags"]]
    assert unknown and all(oracle_uscc(u[:17]) == u for u in unknown)
    names = [s.name for s in SOURCES if s.subject == "enterprise"]
    connectors = await open_connectors(clean_sandbox, *names)
    try:
        for name in names:
            answers = (await connectors[name].fetch(unknown)).answers
            assert {a.status for a in answers.values()} == {"NOT_FOUND"}, name
    finally:
        await connectors.aclose()


async def test_known_enterprise_without_records_is_ok_and_empty(clean_sandbox: SandboxProcess
                                                                ) -> None:
    """The SQL roster tells "held, no record" (OK, empty) from "not ours" (NOT_FOUND)."""
    clean = clean_sandbox.enterprise("clean")
    connectors = await open_connectors(clean_sandbox, "slj_penalties", "hg_customs")
    try:
        water = (await connectors["slj_penalties"].fetch([clean])).answers[clean]
        assert water.status == "OK" and water.records == ()
        assert water.as_of is not None
        customs = clean_sandbox.enterprise("customs")
        answer = (await connectors["hg_customs"].fetch([customs])).answers[customs]
        assert answer.status == "OK" and len(answer.records) == 1
    finally:
        await connectors.aclose()


def test_registration_statuses_have_realistic_shares(world: World) -> None:
    counts = Counter(world.enterprise_at(i).status for i in range(world.enterprise_count))
    shares = {status: n / world.enterprise_count for status, n in counts.items()}
    assert set(shares) == {"存续", "在业", "吊销", "注销", "迁出"}
    assert shares["存续"] + shares["在业"] > 0.8
    assert 0.02 < shares["吊销"] < 0.1 and 0.03 < shares["注销"] < 0.12
    assert 0.005 < shares["迁出"] < 0.05


def test_liabilities_are_consistent(world: World) -> None:
    """Arrears months, periods and late fees agree; deregistered enterprises owe nothing."""
    for i in range(2000):
        ent = world.enterprise_at(i)
        for c in ent.contributions.values():
            if c["arrears_amount"]:
                assert c["arrears_months"] == months(c["arrears_from"], c["arrears_to"])
                assert c["liability_ref"] and c["personal_part"] <= c["arrears_amount"]
                assert c["late_fee"] > 0 or c["scheme"] == "housing_fund"
            else:
                assert c["arrears_months"] == 0 and c["liability_ref"] is None
        lines = ent.tax_arrears
        assert ent.tax["arrears_amount"] == sum(x["arrears_amount"] for x in lines)
        for line in lines:
            assert line["months"] == months(line["period_from"], line["period_to"])
        if ent.status == "注销":
            assert not ent.owes() and not ent.vehicles and not ent.land and not ent.buildings


def test_vins_carry_their_check_digit(world: World) -> None:
    """GB 16735 (ISO 3779) check digit in position 9, from the published table."""
    values = dict(zip("0123456789ABCDEFGHJKLMNPRSTUVWXYZ",
                      [*range(10), 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9,
                       2, 3, 4, 5, 6, 7, 8, 9], strict=True))
    weights = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]
    seen = 0
    for i in range(500):
        for v in world.enterprise_at(i).vehicles:
            vin = v["vin"]
            total = sum(values[c] * w for c, w in zip(vin, weights, strict=True))
            assert vin[8] == ("X" if total % 11 == 10 else str(total % 11))
            assert (v["seized_by"] is not None) == v["seized"] == (v["status"] == "查封")
            seen += 1
    assert seen > 100


def months(first: str, last: str) -> int:
    return (int(last[:4]) - int(first[:4])) * 12 + int(last[5:]) - int(first[5:]) + 1


def test_control_api_rejects_bad_faults(sandbox: SandboxProcess) -> None:
    cases = [
        ({"source": "nope", "mode": "down"}, "no source named 'nope'"),
        ({"source": "cgj_penalties", "mode": "explode"}, "unknown fault mode"),
        ({"source": "cgj_penalties", "mode": "slow:abc"}, "needs a number"),
        ({"source": "cgj_penalties", "mode": "flaky:2"}, "between 0 and 1"),
        ({"source": "cgj_penalties"}, "send JSON"),
    ]
    for payload, says in cases:
        r = sandbox.client.post("/_sandbox/faults", json=payload)
        assert r.status_code == 400 and says in r.json()["error"], payload
    r = sandbox.client.post("/_sandbox/faults", content=b"{not json")
    assert r.status_code == 400


def test_stats_count_and_reset(clean_sandbox: SandboxProcess) -> None:
    table = clean_sandbox.config["sources"]["scjg_penalties"]
    uscc = clean_sandbox.enterprise("clean")
    r = httpx2.post(table["url"], json={"codes": [uscc, uscc]},
                   headers={"X-App-Key": table["credential"].removeprefix("value:")})
    assert r.status_code == 200 and r.json()["code"] == 0
    stats = clean_sandbox.stats()["scjg_penalties"]
    assert stats["calls"] == 1 and stats["keys"] == 2
    clean_sandbox.client.post("/_sandbox/stats/reset")
    assert clean_sandbox.total_calls() == 0


def test_departments_refuse_oversized_batches_and_missing_keys(
        clean_sandbox: SandboxProcess) -> None:
    table = clean_sandbox.config["sources"]["tgb_penalties"]  # map envelope, batch of 50
    secret = table["credential"].removeprefix("value:")
    r = httpx2.get(table["url"], params={"q": ",".join(["X"] * 51), "appkey": secret},
                  headers={"X-App-Key": secret})
    assert r.status_code == 400 and "at most 50" in r.json()["msg"]
    r = httpx2.get(table["url"], headers={"X-App-Key": secret})
    assert r.status_code == 400 and "no subject keys" in r.json()["msg"]


def test_print_config_is_deterministic(tmp_path: Path) -> None:
    def run() -> str:
        out = subprocess.run(
            [sys.executable, "-m", "hub", "sandbox", "--port", "9350", "--print-config",
             "--data-dir", str(tmp_path)], capture_output=True, text=True, check=True)
        return out.stdout

    first = run()
    assert first == run()
    sources = tomllib.loads(first)["sources"]
    assert len(sources) == len(SOURCES)
    assert sources["cgj_penalties"]["url"].startswith("http://127.0.0.1:9351/")
    assert sources["wlj_penalties"]["enabled"] is False


def test_bad_fault_argument_exits_with_a_message(tmp_path: Path) -> None:
    for fault, says in (("cgj_penalties", "SOURCE=MODE"), ("nobody=down", "names no source"),
                        ("cgj_penalties=melt", "unknown fault mode")):
        out = subprocess.run(
            [sys.executable, "-m", "hub", "sandbox", "--port", "9360", "--print-config",
             "--data-dir", str(tmp_path), "--fault", fault], capture_output=True, text=True)
        assert out.returncode == 2 and says in out.stderr


async def test_latency_and_start_faults(tmp_path: Path) -> None:
    """With latency on, a department takes about its own delay; --fault applies at start."""
    proc = SandboxProcess(tmp_path, "--fault", "cgj_penalties=down", latency=True)
    try:
        uscc = proc.enterprise("clean")
        connectors = await open_connectors(proc, "tgb_penalties", "cgj_penalties")
        try:
            slow = (await connectors["tgb_penalties"].fetch([uscc])).answers[uscc]
            down = (await connectors["cgj_penalties"].fetch([uscc])).answers[uscc]
        finally:
            await connectors.aclose()
        assert slow.status == "OK" and (slow.latency_ms or 0) >= 150  # 220 ms ± 25 %
        assert down.status == "UNAVAILABLE"
    finally:
        proc.stop()


def test_latency_can_be_switched_while_running(clean_sandbox: SandboxProcess) -> None:
    r = clean_sandbox.client.post("/_sandbox/latency", json={"enabled": "yes"})
    assert r.status_code == 400 and "enabled" in r.json()["error"]
    r = clean_sandbox.client.post("/_sandbox/latency", json={"enabled": False})
    assert r.json() == {"latency": False}
