"""The sandbox world with the data the 21 matters need: `CivicWorld`.

It is the base `World` (same seed, same subjects, same base profiles) plus, for every subject,
the categories the matters read (`person_records`, `enterprise_records`), and a plan of typical
applicants (`sandbox.civic_plan`) whose data make each matter's typical case: families whose
household, marriage and birth records agree across departments, newborns known by their birth
medical certificate numbers, applicants prepared for their matter. Everything is built on first
use, under a lock (the sandbox builds its samples and its exchange databases in two threads).
"""

from __future__ import annotations

import random
import threading
from typing import Any

from sandbox.civic_enterprises import adjust_enterprise, enterprise_extras
from sandbox.civic_persons import adjust_designee, family_records, newborn_records, person_extras
from sandbox.civic_plan import Application, Plan, make_plan
from sandbox.data import EnterpriseProfile, PersonProfile, World

__all__ = ["CivicWorld", "civic"]

Records = list[dict[str, Any]]


class CivicWorld(World):
    """All synthetic subjects of one seed, with the matters' data."""

    def __init__(self, seed: int = 20240601, enterprises: int = 10_000,
                 persons: int = 50_000) -> None:
        super().__init__(seed, enterprises, persons)
        self._lock = threading.RLock()
        self._adjusted_persons: set[int] = set()
        self._adjusted_enterprises: set[int] = set()
        self._person_extras: dict[int, dict[str, Records]] = {}
        self._enterprise_extras: dict[int, dict[str, Records]] = {}
        self._newborns: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
        self._plan: Plan | None = None  # while planning, profiles are read unadjusted
        self._plan = make_plan(seed, self.person_ids, self.usccs,
                               lambda i: World.person_at(self, i),
                               lambda i: World.enterprise_at(self, i))

    @property
    def plan(self) -> Plan:
        if self._plan is None:
            raise RuntimeError("the plan is being made")
        return self._plan

    @property
    def applications(self) -> list[Application]:
        return self.plan.applications

    # -- base profiles, adjusted for the plan ------------------------------------------------

    def person_at(self, index: int) -> PersonProfile:
        profile = super().person_at(index)
        if index in self._adjusted_persons or self._plan is None:
            return profile
        with self._lock:
            if index not in self._adjusted_persons:
                self._adjust_person(index, profile)
                self._adjusted_persons.add(index)
        return profile

    def _adjust_person(self, index: int, profile: PersonProfile) -> None:
        family = self.plan.family_of.get(index)
        if family is not None:
            family_records(self.seed, index, profile.id, profile.name, profile.records, family,
                           self.person_ids, self._name, self._employer)
        matters = self.plan.person_matters.get(index)
        if matters and family is None:
            adjust_designee(self.seed, index, profile.id, profile.records, matters,
                            self._employer)

    def enterprise_at(self, index: int) -> EnterpriseProfile:
        profile = super().enterprise_at(index)
        if index in self._adjusted_enterprises or self._plan is None:
            return profile
        with self._lock:
            if index not in self._adjusted_enterprises:
                matters = self.plan.enterprise_matters.get(index)
                if matters:
                    adjust_enterprise(self.seed, profile, matters)
                self._adjusted_enterprises.add(index)
        return profile

    def _name(self, index: int) -> str:
        return World.person_at(self, index).name

    def _employer(self, rng: random.Random) -> tuple[str, str]:
        ent = self.enterprise_at(rng.randrange(self.enterprise_count))
        return ent.name, ent.uscc

    # -- the matters' categories --------------------------------------------------------------

    def person_records(self, resident_id: str, category: str) -> Records | None:
        """A person's records of a matter category (None: the department does not know them)."""
        index = self.person_index.get(resident_id)
        if index is None:
            return None
        extras = self._person_extras.get(index)
        if extras is None:
            profile = self.person_at(index)
            with self._lock:
                family = self.plan.family_of.get(index)
                buyer = family is not None and family.matter == "HOUSING_FUND_LOAN" \
                    and family.father == index
                extras = person_extras(self.seed, index, profile.id, profile.records,
                                       self.plan.person_matters.get(index, []), buyer=buyer)
                if family is not None and family.newborn is not None \
                        and index in (family.father, family.mother):
                    birth, card = self.newborn(family.newborn) or ({}, {})
                    extras["newborn_birth"], extras["newborn_vaccination"] = [birth], [card]
                self._person_extras[index] = extras
        return extras.get(category) or None

    def person_categories(self, resident_id: str) -> list[str]:
        """The matter categories a person has records of (for the samples' tags)."""
        return sorted(c for c in ("vaccination", "medical_insurance", "housing_fund",
                                  "exit_entry", "veteran", "overseas_degree", "ss_card",
                                  "pension", "one_child", "disability_subsidy",
                                  "subsidised_housing", "contract_filing", "newborn_birth",
                                  "newborn_vaccination")
                      if self.person_records(resident_id, c))

    def newborn(self, certificate_no: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """A newborn's birth medical certificate and vaccination card, by certificate number."""
        family = self.plan.newborns.get(certificate_no)
        if family is None:
            return None
        found = self._newborns.get(certificate_no)
        if found is None:
            with self._lock:
                found = self._newborns[certificate_no] = newborn_records(
                    self.seed, family, self.person_ids, self._name)
        return found

    def enterprise_records(self, uscc: str, category: str) -> Records | None:
        """An enterprise's records of a matter category (None: the department does not know
        it); `enterprise_property` is its land and buildings."""
        index = self.uscc_index.get(uscc)
        if index is None:
            return None
        profile = self.enterprise_at(index)
        if category == "enterprise_property":
            return [*profile.land, *profile.buildings]
        extras = self._enterprise_extras.get(index)
        if extras is None:
            with self._lock:
                extras = self._enterprise_extras[index] = enterprise_extras(
                    self.seed, profile, self.plan.enterprise_matters.get(index, []))
        return extras.get(category)


def civic(world: World) -> CivicWorld:
    """The world as a `CivicWorld`; the matters' departments need one."""
    if not isinstance(world, CivicWorld):
        raise TypeError("the matters' departments serve a CivicWorld; start the sandbox with one")
    return world
