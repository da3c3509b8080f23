"""Helpers for the prefill tests: sample applications, consents per subject, the query."""

from __future__ import annotations

from typing import Any

from connectors.catalogue import ENTERPRISE_CATEGORIES, PERSON_CATEGORIES
from consent.catalogue import DEFAULT_MATTERS
from tests.hub_harness import HubHarness
from tests.sandbox_process import SandboxProcess

GRANT = """mutation($i: GrantConsentInput!) { grantConsent(input: $i) {
  id subjectKind grantorRole channel operator paperForm } }"""
PREFILL = """query($m: String!, $s: [SubjectInput!]) { prefill(matter: $m, subjects: $s) {
  matter title check filledShare filled total
  subjects { role label given required }
  fields { name label role type required value unit source department asOf verified category
           filledBy code reason }
  materialsWaived { name reason waivedBy } materialsRequired { name reason waivedBy }
  gaps { role category label code reason detail fields } } }"""


def applications(sandbox: SandboxProcess, matter: str) -> list[list[dict[str, str]]]:
    """The subjects of every sample application of `matter` (holders tagged applicant:…)."""
    out = []
    for kind in ("persons", "enterprises"):
        for entry in sandbox.samples[kind]:
            if f"applicant:{matter}" not in entry["tags"]:
                continue
            out += [a["subjects"] for a in entry["applications"] if a["matter"] == matter]
    return out


def some_adult(sandbox: SandboxProcess) -> str:
    return next(p["id"] for p in sandbox.samples["persons"] if "marriage" in p["tags"])


def grant(app: HubHarness, matter: str, role: str, subject: str,
          subjects: dict[str, str], *, caller: str = "portal", **extra: Any) -> dict[str, Any]:
    """The consent of one subject of an application, as the portal records it."""
    m = DEFAULT_MATTERS[matter]
    spec = m.role(role)
    assert spec is not None
    representative = extra.pop("representative", None)
    enterprise = spec.kind == "enterprise"
    cats = [c for c in m.categories
            if (c in ENTERPRISE_CATEGORIES if enterprise else c in PERSON_CATEGORIES)]
    inp: dict[str, Any] = {"purpose": matter, "grantee": caller, "categories": cats}
    if enterprise:
        inp.update(enterprise=subject, legalRepresentative=representative)
    else:
        inp["subject"] = subject
        if role == "child":
            inp["guardian"] = subjects["guardian"]
    inp.update(extra)
    body = app.post(GRANT, {"i": inp}, caller=caller, purpose=None).json()
    assert "errors" not in body, body
    return body["data"]["grantConsent"]  # type: ignore[no-any-return]


def consents(app: HubHarness, sandbox: SandboxProcess, matter: str,
             subjects: list[dict[str, str]], skip: tuple[str, ...] = ()) -> list[str]:
    """One consent per subject of the application (a newborn has none of its own)."""
    by_role = {s["role"].lower(): s["id"] for s in subjects}
    out = []
    for role, sid in by_role.items():
        if role == "newborn" or role in skip:
            continue
        out.append(grant(app, matter, role, sid, by_role,
                         representative=some_adult(sandbox))["id"])
    return out


def prefill(app: HubHarness, matter: str, subjects: list[dict[str, str]],
            consent_ids: list[str], *, caller: str = "portal",
            case: str | None = None) -> dict[str, Any]:
    headers = {"X-Hub-Consent": ",".join(consent_ids)} if consent_ids else {}
    if case:
        headers["X-Hub-Case"] = case
    r = app.post(PREFILL, {"m": matter, "s": subjects}, caller=caller, purpose=matter,
                 headers=headers)
    return r.json()  # type: ignore[no-any-return]


def filled(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body["errors"]
    return body["data"]["prefill"]  # type: ignore[no-any-return]
