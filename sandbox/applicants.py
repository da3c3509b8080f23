"""Sample applicants of the 21 matters, added to `/_sandbox/samples`.

Every planned application (`sandbox.civic_plan`) tags its holder `applicant:<MATTER_CODE>` —
the person or enterprise it is filed under — and lists its subjects by role under
`applications`, so that a user or a test can prefill the matter with the whole family (guardian
and child; mother, father and the newborn's birth medical certificate number) or the enterprise
and its new legal representative. Person samples' tags also name the matters' categories they
hold (vaccination, pension, …), and a few more persons are added until every one of those
categories has two holders among the samples.
"""

from __future__ import annotations

from typing import Any

from sandbox.civic import CivicWorld
from sandbox.data import World

__all__ = ["CIVIC_PERSON_CATEGORIES", "with_applicants"]

CIVIC_PERSON_CATEGORIES = ("vaccination", "medical_insurance", "housing_fund", "exit_entry",
                           "veteran", "overseas_degree", "ss_card", "pension", "one_child",
                           "disability_subsidy", "subsidised_housing", "contract_filing",
                           "newborn_birth", "newborn_vaccination")
_PER_CATEGORY = 2


def with_applicants(samples: dict[str, Any], world: World) -> dict[str, Any]:
    """`samples` with the matters' applicants tagged (a plain `World` has none)."""
    if not isinstance(world, CivicWorld):
        return samples
    persons = {p["id"]: p for p in samples["persons"]}
    enterprises = {e["uscc"]: e for e in samples["enterprises"]}
    for app in world.applications:
        if app.kind == "person":
            entry = persons.get(app.holder)
            if entry is None:
                profile = world.person(app.holder)
                if profile is None:
                    continue
                entry = persons[app.holder] = {"id": profile.id, "name": profile.name,
                                               "tags": profile.tags()}
        else:
            entry = enterprises.get(app.holder)
            if entry is None:
                ent = world.enterprise(app.holder)
                if ent is None:
                    continue
                entry = enterprises[app.holder] = {"uscc": ent.uscc, "name": ent.name,
                                                   "tags": ent.tags()}
        entry["tags"] = [*entry["tags"], f"applicant:{app.matter}"]
        entry.setdefault("applications", []).append({
            "matter": app.matter,
            "subjects": [{"role": role.upper(), "id": sid} for role, sid in app.subjects]})
    for entry in persons.values():
        extra = [c for c in world.person_categories(entry["id"]) if c not in entry["tags"]]
        plain = sorted({*(t for t in entry["tags"] if ":" not in t), *extra})
        entry["tags"] = plain + [t for t in entry["tags"] if ":" in t]
    _cover(world, persons)
    return {**samples, "enterprises": list(enterprises.values()),
            "persons": list(persons.values())}


def _cover(world: CivicWorld, persons: dict[str, dict[str, Any]]) -> None:
    """Add persons, in world order, until every matter category has its sample holders."""
    held = {c: sum(c in p["tags"] for p in persons.values()) for c in CIVIC_PERSON_CATEGORIES}
    for index in range(world.person_count):
        wanting = {c for c, n in held.items() if n < _PER_CATEGORY}
        if not wanting:
            return
        profile = world.person_at(index)
        if profile.id in persons:
            continue
        extra = world.person_categories(profile.id)
        if wanting & set(extra):
            persons[profile.id] = {"id": profile.id, "name": profile.name,
                                   "tags": sorted({*profile.tags(), *extra})}
            for c in extra:
                held[c] = held.get(c, 0) + 1
