"""Sample subjects with their profiles, so that users and tests can pick meaningful subjects.

At least 20 enterprises and 20 persons, covering every IPO domain with findings, every
bankruptcy item with assets or arrears, and every person data category.
"""

from __future__ import annotations

from typing import Any

from sandbox.data import World

__all__ = ["samples"]


def samples(world: World, per_tag: int = 2) -> dict[str, Any]:
    """Deterministic samples: clean ones first, then ones carrying each tag."""
    enterprises: dict[str, dict[str, Any]] = {}
    counts: dict[str, int] = {}
    multi = 0
    for i in range(world.enterprise_count):
        ent = world.enterprise_at(i)
        tags = ent.tags()
        wanted = [t for t in tags if counts.get(t, 0) < per_tag]
        several = sum(t.startswith("findings:") for t in tags) >= 2 and multi < 3
        if wanted or several:
            multi += several
            for t in tags:
                counts[t] = counts.get(t, 0) + 1
            enterprises[ent.uscc] = {"uscc": ent.uscc, "name": ent.name, "tags": tags}
    persons: dict[str, dict[str, Any]] = {}
    counts = {}
    for i in range(world.person_count):
        person = world.person_at(i)
        tags = person.tags()
        if any(counts.get(t, 0) < per_tag * 2 for t in tags) or (
                {"household", "property", "social_insurance"} <= set(tags)
                and counts.get("school", 0) < 5):
            if {"household", "property", "social_insurance"} <= set(tags):
                counts["school"] = counts.get("school", 0) + 1
            for t in tags:
                counts[t] = counts.get(t, 0) + 1
            persons[person.id] = {"id": person.id, "name": person.name, "tags": tags}
        if len(persons) >= 30 and all(counts.get(t, 0) >= per_tag * 2 for t in _CATEGORIES):
            break
    return {"enterprises": list(enterprises.values()), "persons": list(persons.values())}


_CATEGORIES = ("household", "residence_permit", "property", "social_insurance", "marriage",
               "low_income", "education", "birth_certificate", "disability", "credit",
               "vehicles")
