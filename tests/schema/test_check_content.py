"""What a check reports, field by field, against the sandbox departments' own data (the test's
data, made by `sandbox/`, not by the hub): IPO fidelity (contributions and arrears of the fund
centre, tax arrears as well as penalties, every fact of a violation, the period), the bankruptcy
inventory recomputed here from the published rule, and STALE data."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from sandbox.data import World
from sandbox.enterprises import EnterpriseProfile
from tests.hub_harness import CHECK, HubHarness
from tests.sandbox_process import SandboxProcess

CALLER = {"IPO_COMPLIANCE": "xzsp", "BANKRUPTCY": "court"}


@pytest.fixture(scope="module")
def world() -> World:
    return World()


def yuan(fen: int | None) -> str | None:
    """Money as the hub's `Money` scalar writes it: yuan with two decimals, from fen."""
    return None if fen is None else f"{'-' if fen < 0 else ''}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def run(app: HubHarness, kind: str, uscc: str, **arguments: str) -> dict[str, Any]:
    r = app.post(CHECK, {"kind": kind, "uscc": uscc, **arguments}, caller=CALLER[kind],
                 purpose=kind)
    body = r.json()
    assert "errors" not in body, body
    return body["data"]["complianceCheck"]  # type: ignore[no-any-return]


def held(world: World, uscc: str) -> EnterpriseProfile:
    ent = world.enterprise(uscc)
    assert ent is not None
    return ent


def test_housing_fund_reads_contributions_and_arrears(hub: HubHarness,
                                                      clean_sandbox: SandboxProcess,
                                                      world: World) -> None:
    uscc = clean_sandbox.enterprise("findings:housing_fund")
    owed = held(world, uscc).contributions["housing_fund"]
    report = run(hub, "IPO_COMPLIANCE", uscc)
    assert report["verdict"] == "FINDINGS"
    fund = next(d for d in report["domains"] if d["domain"] == "housing_fund")
    assert fund["source"] == "gjj_deposit" and fund["status"] == "OK" and fund["asOf"]
    (record,) = fund["records"]
    assert record["__typename"] == "Contribution"
    assert (record["status"], record["arrearsMonths"], record["arrearsFrom"],
            record["arrearsTo"], record["arrearsAmount"], record["paidThrough"]) == (
        owed["status"], owed["arrears_months"], owed["arrears_from"], owed["arrears_to"],
        yuan(owed["arrears_amount"]), owed["paid_through"])
    assert owed["arrears_amount"] > 0 and owed["status"] == "欠缴"


def test_lawful_tax_payment_shows_arrears_as_well_as_penalties(hub: HubHarness,
                                                               clean_sandbox: SandboxProcess,
                                                               world: World) -> None:
    uscc = clean_sandbox.enterprise("arrears:tax")
    lines = held(world, uscc).tax_arrears
    report = run(hub, "IPO_COMPLIANCE", uscc)
    assert report["verdict"] == "FINDINGS"
    tax = {d["source"]: d for d in report["domains"] if d["domain"] == "tax"}
    assert set(tax) == {"sw_penalties", "sw_tax_arrears"}
    got = [(r["item"], r["periodFrom"], r["periodTo"], r["months"], r["arrearsAmount"],
            r["lineLateFee"], r["liabilityRef"]) for r in tax["sw_tax_arrears"]["records"]]
    assert got == [(a["item"], a["period_from"], a["period_to"], a["months"],
                    yuan(a["arrears_amount"]), yuan(a["late_fee"]), a["liability_ref"])
                   for a in lines]
    assert lines


def test_every_fact_of_a_violation_is_reported(hub: HubHarness, clean_sandbox: SandboxProcess,
                                               world: World) -> None:
    uscc = clean_sandbox.enterprise("findings:major")
    ent = held(world, uscc)
    report = run(hub, "IPO_COMPLIANCE", uscc, since="2019-01-01")
    got = {r["decisionNo"]: r for d in report["domains"] for r in d["records"]
           if r["__typename"] == "Violation"}
    expected = [v for slot, vs in ent.violations.items() if slot != "culture_tourism"
                for v in vs]
    assert len(got) == len(expected) and any(v["major_violation"] for v in expected)
    for v in expected:
        r = got[v["decision_no"]]
        assert (r["violationType"], r["penaltyKind"], r["majorViolation"], r["amount"],
                r["finePaid"], r["rectified"]) == (
            v["violation_type"], v["penalty_kind"], v["major_violation"], yuan(v["amount"]),
            v["fine_paid"], v["rectified"])
        assert r["rectifiedOn"] == (v["rectified_on"].isoformat() if v["rectified_on"] else None)
        assert r["decidedOn"] == v["decided_on"].isoformat()


def test_the_period_keeps_the_penalties_decided_within_it(hub: HubHarness,
                                                          clean_sandbox: SandboxProcess,
                                                          world: World) -> None:
    """An enterprise with one penalty older than 36 months and one within them (chosen here)."""
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()  # the hub's day: China's
    # 36 months back: the same day three years earlier, or that month's last day.
    cut = dt.date(today.year - 3, today.month,
                  min(today.day, calendar.monthrange(today.year - 3, today.month)[1]))
    ent = next(e for e in (world.enterprise_at(i) for i in range(3000))
               if e.status in ("存续", "在业")
               and any(v["decided_on"] < cut for s, vs in e.violations.items()
                       if s != "culture_tourism" for v in vs)
               and any(v["decided_on"] > cut for s, vs in e.violations.items()
                       if s != "culture_tourism" for v in vs))
    old = {v["decision_no"] for s, vs in ent.violations.items() if s != "culture_tourism"
           for v in vs if v["decided_on"] < cut}
    default = run(hub, "IPO_COMPLIANCE", ent.uscc)
    shown = {r["decisionNo"] for d in default["domains"] for r in d["records"]
             if r["__typename"] == "Violation"}
    assert shown and not shown & old
    assert any("核查期间之外" in (d["detail"] or "") for d in default["domains"])
    assert default["period"]["since"] <= cut.isoformat()
    wider = run(hub, "IPO_COMPLIANCE", ent.uscc, since=(cut - dt.timedelta(days=2000)
                                                        ).isoformat())
    assert old <= {r["decisionNo"] for d in wider["domains"] for r in d["records"]
                   if r["__typename"] == "Violation"}


def _kept(ent: EnterpriseProfile, scheme: str) -> dict[str, Any]:
    """Of the assessor's and the collector's answer, the one with the later paid-through."""
    assessed, collected = ent.contributions[scheme], ent.collected[scheme]
    return collected if collected["paid_through"] > assessed["paid_through"] else assessed


def expected_classes(ent: EnterpriseProfile) -> dict[str, int]:
    """企业破产法 §109/§113 applied to the enterprise's debts, as this test reads the rule."""
    employee = social_and_tax = ordinary = 0
    for scheme in ("social_insurance", "medical_insurance"):
        c = _kept(ent, scheme)
        if c["arrears_amount"] > 0:
            part = min(c["personal_part"], c["arrears_amount"])
            employee += part
            social_and_tax += c["arrears_amount"] - part
            ordinary += c["late_fee"]
    fund = ent.contributions["housing_fund"]
    if fund["arrears_amount"] > 0:
        employee += fund["arrears_amount"]
        ordinary += fund["late_fee"]
    for account in (ent.tax, ent.customs or {}):
        social_and_tax += account.get("arrears_amount", 0)
        ordinary += account.get("late_fee", 0)
    secured = sum(p["mortgage_amount"] or 0 for p in ent.land + ent.buildings if p["mortgagee"])
    return {"SECURED": secured, "EMPLOYEE": employee, "SOCIAL_AND_TAX": social_and_tax,
            "ORDINARY": ordinary}


@pytest.mark.parametrize("tag", ["arrears-differ:social_insurance",
                                 "arrears-differ:medical_insurance", "assets:mortgaged",
                                 "arrears:customs"])
def test_the_inventory_totals_by_creditor_class(hub: HubHarness, clean_sandbox: SandboxProcess,
                                                world: World, tag: str) -> None:
    uscc = clean_sandbox.enterprise(tag)
    ent = held(world, uscc)
    report = run(hub, "BANKRUPTCY", uscc, baseDate=dt.date.today().isoformat())
    inventory = report["inventory"]
    assert [c["code"] for c in inventory["classes"]] == ["SECURED", "EMPLOYEE",
                                                         "SOCIAL_AND_TAX", "ORDINARY"]
    totals = {c["code"]: c["total"] for c in inventory["classes"]}
    expected = expected_classes(ent)
    assert totals == {k: yuan(v) for k, v in expected.items()}
    assert inventory["total"] == yuan(sum(v for k, v in expected.items() if k != "SECURED"))
    assets = {a["domain"]: a for a in inventory["assets"]}
    for domain, held_assets in (("vehicles", ent.vehicles), ("real_estate", ent.land),
                                ("buildings", ent.buildings)):
        assert assets[domain]["count"] == len(held_assets)
        assert assets[domain]["mortgaged"] == sum(1 for a in held_assets if a["mortgagee"])
        assert assets[domain]["seized"] == sum(1 for a in held_assets
                                               if a.get("seized") or a.get("seized_by"))
    assert report["baseDate"] == dt.date.today().isoformat()


def test_a_liability_both_departments_report_is_kept_once_and_marked(
        hub: HubHarness, clean_sandbox: SandboxProcess, world: World) -> None:
    uscc = clean_sandbox.enterprise("arrears-differ:social_insurance")
    ent = held(world, uscc)
    assessed, collected = ent.contributions["social_insurance"], ent.collected["social_insurance"]
    assert assessed != collected and assessed["liability_ref"] == collected["liability_ref"]
    report = run(hub, "BANKRUPTCY", uscc)
    rows = [d for d in report["domains"] if d["domain"] == "social_insurance"]
    assert {d["source"] for d in rows} == {"rsj_si_contrib", "sw_si_contrib"}
    assert all(d["disputed"] and d["disagreement"] for d in rows)
    assert all("采用市税务局的答复" in d["detail"] for d in rows)
    (r,) = [x for x in report["inventory"]["reconciliations"] if x["domain"] == "social_insurance"]
    assert (r["keptSource"], r["otherSource"], r["disputed"]) == ("sw_si_contrib",
                                                                  "rsj_si_contrib", True)
    assert (r["keptAmount"], r["otherAmount"]) == (yuan(collected["arrears_amount"]),
                                                   yuan(assessed["arrears_amount"]))
    assert r["liabilityRef"] == assessed["liability_ref"]
    items = [i for c in report["inventory"]["classes"] for i in c["items"]
             if i["domain"] == "social_insurance"]
    assert items and {i["source"] for i in items} == {"sw_si_contrib"}


@pytest.fixture(scope="module")
def stale_hub(sandbox: SandboxProcess, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[HubHarness]:
    """Two daily exchanges (an SQL 前置库 and a REST API) that may be only a second behind."""
    harness = HubHarness(sandbox, tmp_path_factory.mktemp("stale"),
                         sources={"gjj_deposit": {"max_age_s": 1.0},
                                  "ga_ent_vehicles": {"max_age_s": 1.0}})
    yield harness
    harness.close()


@pytest.mark.parametrize(("kind", "source"), [("IPO_COMPLIANCE", "gjj_deposit"),
                                              ("BANKRUPTCY", "ga_ent_vehicles")])
def test_data_older_than_max_age_read_stale(stale_hub: HubHarness, clean_sandbox: SandboxProcess,
                                            kind: str, source: str) -> None:
    report = run(stale_hub, kind, clean_sandbox.enterprise("clean"))
    (row,) = [d for d in report["domains"] if d["source"] == source]
    assert row["status"] == "STALE" and row["asOf"]
    assert "数据过期" in row["detail"] and "约定时效 1 秒" in row["detail"]
    assert report["verdict"] == "INCOMPLETE"
