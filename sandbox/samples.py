"""Sample subjects with their profiles, so that users and tests can pick meaningful subjects.

Enterprises: a few of every tag — `clean`, each registration status (`status:active`,
`status:operating`, `status:revoked`, `status:deregistered`, `status:moved_out`), penalties per
IPO domain (`findings:<domain>`, `findings:major`), assets (`assets:vehicles`, `assets:seized`,
…), arrears per item (`arrears:<item>`), arrears on which the assessing department and the
collecting tax bureau differ today (`arrears-differ:<item>`), `customs` — and, last, valid codes
of enterprises that exist in no registry (`unknown`, no name). Persons: a few of every data
category, and some with household, property and social insurance together (school enrolment).

The scan stops as soon as every tag has its samples, so building them costs a few hundred
profiles, not the whole world.
"""

from __future__ import annotations

from typing import Any

from sandbox.data import World
from sandbox.enterprises import IPO_RATES, STATUS_TAGS

__all__ = ["ENTERPRISE_TAGS", "PERSON_CATEGORIES", "samples"]

PERSON_CATEGORIES = ("household", "residence_permit", "property", "social_insurance", "marriage",
                     "low_income", "education", "birth_certificate", "disability", "credit",
                     "vehicles")
_ITEMS = ("social_insurance", "medical_insurance", "housing_fund", "tax", "customs")
ENTERPRISE_TAGS = (
    "clean", *(f"status:{t}" for t in STATUS_TAGS.values()),
    *(f"findings:{slot}" for slot in IPO_RATES), "findings:housing_fund", "findings:major",
    "assets:vehicles", "assets:real_estate", "assets:buildings", "assets:seized",
    "assets:mortgaged", *(f"arrears:{item}" for item in _ITEMS),
    "arrears-differ:social_insurance", "arrears-differ:medical_insurance", "customs",
)
_UNKNOWN_SAMPLES = 3
_SEVERAL = 3  # enterprises with findings in two domains or more
_SCHOOL = 5  # persons with household, property and social insurance


def samples(world: World, per_tag: int = 2) -> dict[str, Any]:
    """Deterministic samples: the first subjects, in world order, that carry each tag."""
    return {"enterprises": _enterprises(world, per_tag), "persons": _persons(world, per_tag * 2)}


def _enterprises(world: World, per_tag: int) -> list[dict[str, Any]]:
    chosen: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    several = 0
    for i in range(world.enterprise_count):
        if several >= _SEVERAL and all(counts.get(t, 0) >= per_tag for t in ENTERPRISE_TAGS):
            break
        ent = world.enterprise_at(i)
        tags = ent.tags()
        wanted = any(counts.get(t, 0) < per_tag for t in tags)
        multi = sum(t.startswith("findings:") and t != "findings:major" for t in tags) >= 2
        if wanted or (multi and several < _SEVERAL):
            several += multi
            for t in tags:
                counts[t] = counts.get(t, 0) + 1
            chosen.append({"uscc": ent.uscc, "name": ent.name, "tags": tags})
    chosen += [{"uscc": code, "name": None, "tags": ["unknown"]}
               for code in world.unknown_usccs[:_UNKNOWN_SAMPLES]]
    return chosen


def _persons(world: World, per_tag: int) -> list[dict[str, Any]]:
    chosen: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    school = 0
    for i in range(world.person_count):
        if school >= _SCHOOL and all(counts.get(t, 0) >= per_tag for t in PERSON_CATEGORIES):
            break
        person = world.person_at(i)
        tags = person.tags()
        enrols = {"household", "property", "social_insurance"} <= set(tags)
        if any(counts.get(t, 0) < per_tag for t in tags) or (enrols and school < _SCHOOL):
            school += enrols
            for t in tags:
                counts[t] = counts.get(t, 0) + 1
            chosen.append({"id": person.id, "name": person.name, "tags": tags})
    return chosen
