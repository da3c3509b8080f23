"""The matters' sandbox data: typical applicants for all 21, families and enterprises whose
departments agree with each other and with the checks' data."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from connectors.catalogue import ENTERPRISE_CATEGORIES, PERSON_CATEGORIES
from consent.catalogue import DEFAULT_MATTERS
from sandbox.civic import CivicWorld
from sandbox.civic_plan import Application
from sandbox.data import World
from sandbox.departments import SOURCES
from sandbox.render import envelope_names, field_names

TODAY = dt.date(2026, 11, 1)


@pytest.fixture(scope="module")
def world() -> CivicWorld:
    return CivicWorld()


def apps(world: CivicWorld, matter: str) -> list[Application]:
    return [a for a in world.applications if a.matter == matter]


def roles(app: Application) -> dict[str, str]:
    return dict(app.subjects)


def test_every_matter_has_at_least_five_applicants(world: CivicWorld) -> None:
    counts = Counter(a.matter for a in world.applications)
    numbered = {m.code for m in DEFAULT_MATTERS.values() if m.number is not None}
    assert set(counts) == numbered and min(counts.values()) >= 5
    holders = [a.holder for a in world.applications]
    assert len(holders) == len(set(holders))  # nobody applies for two matters


def test_sources_serve_every_matter_category() -> None:
    matter_sources = [s for s in SOURCES if s.check is None]
    assert {s.domain for s in matter_sources if s.subject == "person"} == set(PERSON_CATEGORIES)
    assert {s.domain for s in matter_sources if s.subject == "enterprise"} == (
        set(ENTERPRISE_CATEGORIES) - {"registration"})  # the registry serves registration
    for spec in SOURCES:  # every department's own names are distinct
        names = field_names(spec)
        assert len(set(names.values())) == len(names), spec.name
        assert envelope_names(spec)["key"] not in names.values(), spec.name
    assert len({s.department for s in SOURCES}) >= 27


def test_parents_are_married_to_each_other_in_one_household(world: CivicWorld) -> None:
    for matter in ("SCHOOL_ENROLMENT", "NEWBORN", "HOUSING_FUND_LOAN"):
        for app in apps(world, matter):
            r = roles(app)
            father = world.person(r.get("father") or r.get("guardian") or r["applicant"])
            mother_id = r.get("mother") or r.get("spouse")
            if mother_id is None:  # school: the guardian's wife is in the family, not the app
                family = world.plan.family_of[world.person_index[father.id]]  # type: ignore[union-attr]
                mother_id = world.person_ids[family.mother]
            mother = world.person(mother_id)
            assert father is not None and mother is not None
            fm, mm = father.records["marriage"][0], mother.records["marriage"][0]
            assert fm["spouse_name"] == mother.name and mm["spouse_name"] == father.name
            assert fm["registered_on"] == mm["registered_on"] and fm["status"] == "已婚"
            fh, mh = father.records["household"][0], mother.records["household"][0]
            assert fh["address"] == mh["address"] and fh["household_head"] == father.name
            assert (fh["relation"], mh["relation"]) == ("户主", "配偶")


def test_a_school_child_lives_with_the_guardian_who_owns_the_home(world: CivicWorld) -> None:
    for app in apps(world, "SCHOOL_ENROLMENT"):
        r = roles(app)
        guardian, child = world.person(r["guardian"]), world.person(r["child"])
        assert guardian is not None and child is not None
        home = guardian.records["household"][0]["address"]
        assert child.records["household"][0]["address"] == home
        assert child.records["household"][0]["relation"] in ("子", "女")
        assert home in {p["address"] for p in guardian.records["property"]}
        cert = child.records["birth_certificate"][0]
        assert cert["father_name"] == guardian.name
        assert guardian.records["social_insurance"][0]["status"] == "正常参保"
        assert 6 <= (TODAY - child.records["household"][0]["birth_date"]).days // 365 <= 12
        assert world.person_records(r["child"], "vaccination")


def test_a_newborn_is_known_by_its_certificate_and_names_its_parents(world: CivicWorld) -> None:
    for app in apps(world, "NEWBORN"):
        r = roles(app)
        found = world.newborn(r["newborn"])
        assert found is not None
        birth, card = found
        assert (birth["mother_id"], birth["father_id"]) == (r["mother"], r["father"])
        assert card["guardian_id"] == r["mother"]
        assert birth["born_on"] <= TODAY and birth["born_on"] >= TODAY - dt.timedelta(days=90)
        assert world.person(r["newborn"]) is None  # no ID yet
    assert world.newborn("Z123456789") is None


def test_person_departments_agree(world: CivicWorld) -> None:
    for i in range(3000):
        rid = world.person_ids[i]
        profile = world.person_at(i)
        si = profile.records["social_insurance"]
        medical = world.person_records(rid, "medical_insurance")
        fund = world.person_records(rid, "housing_fund")
        pension = world.person_records(rid, "pension")
        if medical and si:
            assert medical[0]["employer_name"] == si[0]["employer_name"]
            assert medical[0]["insurance_type"] == "职工基本医疗保险"
        if fund:
            assert si and fund[0]["employer_name"] == si[0]["employer_name"]
        if pension and si:
            assert pension[0]["insured_since"] <= si[0]["insured_since"] or \
                pension[0]["insured_since"] == si[0]["insured_since"]
        if world.person_records(rid, "disability_subsidy"):
            assert profile.records["disability"]


def test_typical_person_applicants(world: CivicWorld) -> None:
    for app in apps(world, "RETIREMENT"):
        (pension,) = world.person_records(app.holder, "pension") or [None]
        assert pension is not None
        assert TODAY < pension["retirement_date"] <= TODAY + dt.timedelta(days=183)
    for app in apps(world, "VETERAN_SERVICES"):
        (veteran,) = world.person_records(app.holder, "veteran") or [None]
        assert veteran is not None and veteran["discharged_on"] >= dt.date(2026, 8, 1)
    for app in apps(world, "PUBLIC_RENTAL_HOUSING"):
        person = world.person(app.holder)
        assert person is not None and not person.records["property"]
    for app in apps(world, "HOUSING_FUND_LOAN"):
        assert world.person_records(roles(app)["applicant"], "contract_filing")
        assert world.person_records(roles(app)["spouse"], "housing_fund")


def test_enterprise_departments_agree_with_the_checks(world: CivicWorld) -> None:
    carriers = 0
    for i in range(1500):
        ent = world.enterprise_at(i)
        if ent.registration["status"] not in ("存续", "在业"):
            assert world.enterprise_records(ent.uscc, "business_licence") is None
            continue
        (si,) = world.enterprise_records(ent.uscc, "si_registration") or [None]
        assert si is not None
        contrib = ent.contributions["social_insurance"]
        assert (si["insured_count"], si["arrears_amount"]) == (
            contrib["insured_count"], contrib["arrears_amount"])
        (tax,) = world.enterprise_records(ent.uscc, "tax_registration") or [None]
        assert tax is not None and tax["arrears_amount"] == ent.tax["arrears_amount"]
        if tax["arrears_amount"]:
            assert tax["clearance"].startswith("存在")
        penalties = {v["decision_no"] for vs in ent.violations.values() for v in vs}
        for record in world.enterprise_records(ent.uscc, "credit_records") or []:
            if record["kind"] == "行政处罚":
                assert record["decision_no"] in penalties
        police = {v["plate"]: v for v in world.enterprise_records(ent.uscc,
                                                                 "enterprise_vehicles") or []}
        assert set(police) == {v["plate"] for v in ent.vehicles}
        for cert in world.enterprise_records(ent.uscc, "transport_vehicles") or []:
            carriers += 1
            assert cert["plate"] in police
            assert cert["total_mass_kg"] == police[cert["plate"]]["total_mass_kg"]
        for permit in world.enterprise_records(ent.uscc, "construction_permit") or []:
            assert permit["site_address"] in {p["address"] for p in ent.land}
        licence = (world.enterprise_records(ent.uscc, "business_licence") or [{}])[0]
        assert licence["licence_no"] == ent.uscc and licence["name"] == ent.name
    assert carriers > 0


def test_typical_enterprise_applicants(world: CivicWorld) -> None:
    for app in apps(world, "OPEN_RESTAURANT"):
        ent = world.enterprise(app.holder)
        assert ent is not None and "餐饮" in ent.name and ent.registration["name"] == ent.name
        assert [p["usage"] for p in ent.buildings] == ["商业"] and not ent.land
    for app in apps(world, "OPEN_TRANSPORT_COMPANY"):
        ent = world.enterprise(app.holder)
        assert ent is not None and "物流" in ent.name and len(ent.vehicles) >= 2
        assert world.enterprise_records(app.holder, "transport_permit") is None  # applying
    for app in apps(world, "OVERSIZE_TRANSPORT"):
        assert world.enterprise_records(app.holder, "oversize_permits")
        assert world.enterprise_records(app.holder, "transport_permit")
    for app in apps(world, "CREDIT_REPAIR"):
        assert world.enterprise_records(app.holder, "credit_records")
    for app in apps(world, "ENTERPRISE_DEREGISTRATION"):
        (tax,) = world.enterprise_records(app.holder, "tax_registration") or [None]
        assert tax is not None and tax["clearance"].startswith("无欠税")
    # The employers persons name carry the renamed enterprises' names too.
    restaurant = world.enterprise(apps(world, "OPEN_RESTAURANT")[0].holder)
    assert restaurant is not None
    assert world.enterprise_records(restaurant.uscc, "business_licence")[0]["name"] == (  # type: ignore[index]
        restaurant.name)


def test_the_same_seed_gives_the_same_world() -> None:
    a, b = CivicWorld(seed=11), CivicWorld(seed=11)
    assert a.applications == b.applications
    for app in a.applications[::7]:
        for role, sid in app.subjects:
            if role == "newborn":
                assert a.newborn(sid) == b.newborn(sid)
            elif app.kind == "enterprise" and role == "enterprise":
                assert a.enterprise_records(sid, "business_licence") == \
                    b.enterprise_records(sid, "business_licence")
            else:
                assert a.person(sid) == b.person(sid)
                assert a.person_records(sid, "ss_card") == b.person_records(sid, "ss_card")
    assert CivicWorld(seed=12).applications != a.applications
    assert World(seed=11).person_ids == a.person_ids  # the base world is unchanged
