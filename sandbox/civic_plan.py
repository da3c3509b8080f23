"""Who applies for what: the sandbox's typical applicants of the 21 matters, chosen from the world.

For every matter the plan picks six applicants whose data make the matter's typical case — a
man or woman who reaches retirement age within six months, a newly discharged soldier, a
logistics company about to get its road transport permit, an enterprise with penalties to
repair — and for the matters of several subjects whole families: parents with a child of school
age, parents of a newborn (found by its birth medical certificate number), a couple applying for
a housing-fund mortgage. The choice reads only identifiers and base profiles, so it is cheap and
the same for the same seed; `sandbox.civic` then makes each chosen subject's data fit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from sandbox.civic_gen import TODAY, age_of, birth_of, female, local, stream, years_after

__all__ = [
    "ENTERPRISE_MATTERS",
    "FAMILY_MATTERS",
    "PERSON_MATTERS",
    "PER_MATTER",
    "Application",
    "Family",
    "Plan",
    "make_plan",
]

PER_MATTER = 6
PERSON_MATTERS = ("RETIREMENT", "DISABILITY_SERVICES", "STUDY_ABROAD", "SOCIAL_SECURITY_CARD",
                  "MEDICAL_REIMBURSEMENT", "VETERAN_SERVICES", "PUBLIC_RENTAL_HOUSING")
FAMILY_MATTERS = ("SCHOOL_ENROLMENT", "NEWBORN", "HOUSING_FUND_LOAN")
ENTERPRISE_MATTERS = ("ENTERPRISE_CHANGE", "OPEN_TRANSPORT_COMPANY", "OPEN_RESTAURANT",
                      "UTILITY_CONNECTION", "CREDIT_REPAIR", "IPO_COMPLIANCE", "BANKRUPTCY",
                      "ENTERPRISE_DEREGISTRATION", "ENTERPRISE_MIGRATION", "ANNUAL_REPORT",
                      "OVERSIZE_TRANSPORT")
_ACTIVE = ("存续", "在业")


@dataclass(frozen=True, slots=True)
class Family:
    matter: str
    father: int
    mother: int
    child: int | None = None  # a school child (a newborn has no index: it has no ID yet)
    newborn: str | None = None  # the newborn's birth medical certificate number


@dataclass(frozen=True, slots=True)
class Application:
    """One sample application: the matter, its subjects by role, and who it is filed under."""

    matter: str
    subjects: tuple[tuple[str, str], ...]  # (role, identifier)
    holder: str  # the resident ID or USCC tagged applicant:<MATTER>
    kind: Literal["person", "enterprise"]


@dataclass(slots=True)
class Plan:
    person_matters: dict[int, list[str]] = field(default_factory=dict)
    family_of: dict[int, Family] = field(default_factory=dict)
    enterprise_matters: dict[int, list[str]] = field(default_factory=dict)
    newborns: dict[str, Family] = field(default_factory=dict)
    applications: list[Application] = field(default_factory=list)


def _reaches(resident_id: str, years: int, within_days: int = 183) -> bool:
    day = years_after(birth_of(resident_id), years)
    return TODAY < day <= TODAY + dt.timedelta(days=within_days)


_PERSON_RULES: dict[str, Callable[[str], bool]] = {
    "RETIREMENT": lambda r: _reaches(r, 55 if female(r) else 60),
    "DISABILITY_SERVICES": lambda r: age_of(r) >= 18,
    "STUDY_ABROAD": lambda r: 24 <= age_of(r) <= 32,
    "SOCIAL_SECURITY_CARD": lambda r: 20 <= age_of(r) <= 55,
    "MEDICAL_REIMBURSEMENT": lambda r: 30 <= age_of(r) <= 75,
    "VETERAN_SERVICES": lambda r: not female(r) and 20 <= age_of(r) <= 28,
    "PUBLIC_RENTAL_HOUSING": lambda r: 22 <= age_of(r) <= 40,
}


def make_plan(seed: int, person_ids: list[str], usccs: list[str],
              base_person: Callable[[int], Any], base_enterprise: Callable[[int], Any]) -> Plan:
    """The typical applicants of every matter; `base_*` give profiles before any enrichment."""
    plan = Plan()
    used: set[int] = set()

    def scan(matter: str, ok: Callable[[int], bool]) -> Iterator[int]:
        start = stream(seed, "plan", matter).randrange(len(person_ids))
        for step in range(len(person_ids)):
            i = (start + step) % len(person_ids)
            if i not in used and local(person_ids[i]) and ok(i):
                yield i

    for matter in PERSON_MATTERS:
        rule = _PERSON_RULES[matter]
        needs_disability = matter == "DISABILITY_SERVICES"

        def fits(i: int, rule: Callable[[str], bool] = rule, nd: bool = needs_disability
                 ) -> bool:
            return rule(person_ids[i]) and (not nd or bool(base_person(i).records.get(
                "disability")))

        for i in _take(scan(matter, fits)):
            used.add(i)
            plan.person_matters.setdefault(i, []).append(matter)
            plan.applications.append(Application(matter, (("applicant", person_ids[i]),),
                                                 person_ids[i], "person"))
    for matter in FAMILY_MATTERS:
        for family in _families(seed, matter, person_ids, scan, used):
            _add_family(plan, family, person_ids, seed)
    for matter in ENTERPRISE_MATTERS:
        _enterprises(seed, matter, usccs, base_enterprise, plan, person_ids, scan, used)
    return plan


def _take(candidates: Iterator[int], count: int = PER_MATTER) -> list[int]:
    out: list[int] = []
    for i in candidates:
        out.append(i)
        if len(out) == count:
            break
    return out


def _families(seed: int, matter: str, ids: list[str],
              scan: Callable[[str, Callable[[int], bool]], Iterator[int]],
              used: set[int]) -> list[Family]:
    """Fathers first, then a mother and (for school) a child of fitting ages for each."""
    families: list[Family] = []
    child_ages = {"SCHOOL_ENROLMENT": (6, 12)}.get(matter)
    low, high = (24, 36) if matter == "NEWBORN" else (25, 42)

    def pick(ok: Callable[[int], bool]) -> int | None:
        return next(scan(f"{matter}/{len(families)}", ok), None)

    for father in scan(matter, lambda i: not female(ids[i]) and 28 <= age_of(ids[i]) <= 42):
        if len(families) == PER_MATTER:
            break
        used.add(father)
        fage = age_of(ids[father])
        child = None
        if child_ages is not None:
            def school_child(i: int, fa: int = fage, ages: tuple[int, ...] = child_ages
                             ) -> bool:
                return age_of(ids[i]) in ages and 24 <= fa - age_of(ids[i]) <= 34

            child = pick(school_child)
            if child is None:
                used.discard(father)
                continue
            used.add(child)
        def fits_mother(i: int, fa: int = fage, c: int | None = child) -> bool:
            age = age_of(ids[i])
            return (female(ids[i]) and low <= age <= high and abs(age - fa) <= 6
                    and (c is None or age - age_of(ids[c]) >= 22))

        mother = pick(fits_mother)
        if mother is None:
            used.discard(father)
            if child is not None:
                used.discard(child)
            continue
        used.add(mother)
        newborn = None
        if matter == "NEWBORN":
            rng = stream(seed, "newborn", father)
            newborn = f"{rng.choice('PQRS')}41{rng.randrange(10**7):07d}"
        families.append(Family(matter, father, mother, child, newborn))
    return families


def _add_family(plan: Plan, family: Family, ids: list[str], seed: int) -> None:
    for member in (family.father, family.mother, family.child):
        if member is not None:
            plan.family_of[member] = family
    father, mother = ids[family.father], ids[family.mother]
    subjects: tuple[tuple[str, str], ...]
    if family.matter == "SCHOOL_ENROLMENT" and family.child is not None:
        subjects = (("guardian", father), ("child", ids[family.child]))
    elif family.matter == "NEWBORN" and family.newborn is not None:
        plan.newborns[family.newborn] = family
        subjects = (("mother", mother), ("father", father), ("newborn", family.newborn))
    else:
        subjects = (("applicant", father), ("spouse", mother))
    holder = mother if family.matter == "NEWBORN" else father
    plan.person_matters.setdefault(family.father, []).append(family.matter)
    plan.person_matters.setdefault(family.mother, []).append(family.matter)
    plan.applications.append(Application(family.matter, subjects, holder, "person"))


_ENTERPRISE_RULES: dict[str, Callable[[Any], bool]] = {
    "ENTERPRISE_CHANGE": lambda e: True,
    "OPEN_TRANSPORT_COMPANY": lambda e: (not e.violations
                                         and e.registration["established_on"].year >= 2021),
    "OPEN_RESTAURANT": lambda e: (not e.violations
                                  and e.registration["established_on"].year >= 2021),
    "UTILITY_CONNECTION": lambda e: bool(e.land),
    "CREDIT_REPAIR": lambda e: any(v["decided_on"] >= TODAY - dt.timedelta(days=300)
                                   for penalties in e.violations.values() for v in penalties),
    "IPO_COMPLIANCE": lambda e: (not e.violations
                                 and e.registration["established_on"].year < 2022),
    "BANKRUPTCY": lambda e: bool(e.vehicles or e.land or e.buildings),
    "ENTERPRISE_DEREGISTRATION": lambda e: (
        e.tax["arrears_amount"] == 0
        and all(c["arrears_amount"] == 0 for c in e.contributions.values())),
    "ENTERPRISE_MIGRATION": lambda e: e.tax["arrears_amount"] == 0,
    "ANNUAL_REPORT": lambda e: e.registration["established_on"].year < 2025,
    "OVERSIZE_TRANSPORT": lambda e: (not e.violations
                                     and e.registration["established_on"].year < 2024),
}


def _enterprises(seed: int, matter: str, usccs: list[str], base: Callable[[int], Any],
                 plan: Plan, ids: list[str],
                 scan: Callable[[str, Callable[[int], bool]], Iterator[int]],
                 used: set[int]) -> None:
    rule = _ENTERPRISE_RULES[matter]
    start = stream(seed, "plan", matter).randrange(len(usccs))
    count = 0
    for step in range(len(usccs)):
        if count == PER_MATTER:
            break
        i = (start + step) % len(usccs)
        ent = base(i)
        if i in plan.enterprise_matters or ent.registration["status"] not in _ACTIVE \
                or not rule(ent):
            continue
        count += 1
        plan.enterprise_matters[i] = [matter]
        subjects: tuple[tuple[str, str], ...] = (("enterprise", usccs[i]),)
        if matter == "ENTERPRISE_CHANGE":
            rep = next(scan(f"{matter}/rep/{count}", lambda j: 30 <= age_of(ids[j]) <= 60))
            used.add(rep)
            subjects += (("legal_representative", ids[rep]),)
        plan.applications.append(Application(matter, subjects, usccs[i], "enterprise"))
