"""`prefill(matter, subjects: [{role, id}])`: a matter's form filled from shared data.

Every subject of the application (an applicant; a guardian and a child; a mother, a father and
a newborn; an enterprise and its new legal representative) is read in its role through the
gateway — decided (purpose, catalogue, that subject's own consent, or the statutory basis of a
check), then loaded — for the categories the form and the materials use, nothing else. Nothing
is awaited before every load has been asked for, so each department is called once. The pure
`matters.fill` then fills the form: a field the data fills, one it cannot (with the code and the
reason in words), the materials waived and still required, and the share of fields filled.
`applicant:` is the matter's first role, as before. A material backed by an electronic licence is
checked in the same round: the gateway fetches the subject's licences of that type and verifies
them, and only a VALID one waives it. A field whose record an open objection disputes says so
(`disputed`, `objectionIds`) and is not locked as verified.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Sequence

from strawberry.types import Info

from connectors.certificate_no import verify_birth_certificate_no
from connectors.identifiers import InvalidIdentifier, verify_resident_id, verify_uscc
from consent.errors import AccessDenied, Forbidden
from licence.catalogue import LICENCE_TYPES
from matters.fill import LicenceCheck, Missing, Obtained, Outcome, fill
from matters.spec import Matter, Role
from objection.model import Objection
from schema.context import RequestContext, path_of
from schema.errors import BadUserInput, SourceFailed
from schema.gateway import Fetched, Gateway
from schema.licence_answers import LicenceFinding
from schema.prefill_types import Prefill, SubjectInput

__all__ = ["resolve_prefill", "subjects_of"]

_PARENTS = ("mother", "father", "guardian")


def _verified(kind: str, value: str, today: dt.date) -> str:
    if kind == "enterprise":
        return verify_uscc(value)
    if kind == "newborn":
        return verify_birth_certificate_no(value)
    return verify_resident_id(value, today=today)


def subjects_of(matter: Matter, applicant: str | None, subjects: Sequence[SubjectInput] | None,
                today: dt.date) -> dict[Role, str]:
    """The application's subjects by role, each identifier verified for its kind."""
    given: dict[Role, str] = {}
    primary = matter.primary
    if primary is None:
        raise BadUserInput(f"matter: {matter.code} has no form to fill")
    if applicant is not None:
        if primary.kind != "person":
            raise BadUserInput(f"applicant: {matter.code} is filed by an enterprise; give "
                               "subjects: [{role: ENTERPRISE, id: <USCC>}]")
        given[primary.role] = applicant
    for i, item in enumerate(subjects or ()):
        role: Role = item.role.value
        spec = matter.role(role)
        if spec is None:
            roles = ", ".join(r.role.upper() for r in matter.roles)
            raise BadUserInput(f"subjects[{i}].role: {item.role.name} is not a role of "
                               f"{matter.code} (its roles: {roles})")
        if role in given:
            raise BadUserInput(f"subjects[{i}].role: {item.role.name} is given twice")
        try:
            subject = _verified(spec.kind, item.id, today)
        except InvalidIdentifier as exc:
            raise BadUserInput(f"subjects[{i}].id: {exc}") from None
        if subject in given.values():
            raise BadUserInput(f"subjects[{i}].id: this subject already has another role in "
                               "the application; each role is a different subject")
        given[role] = subject
    if not given:
        raise BadUserInput(f"subjects: name the subjects of {matter.code} (its roles: "
                           f"{', '.join(r.role.upper() for r in matter.roles)})")
    return given


def _start(gateway: Gateway, path: str, matter: Matter, given: dict[Role, str]
           ) -> tuple[dict[tuple[Role, str], Awaitable[Fetched]], dict[tuple[Role, str], Outcome]]:
    """Ask the gateway for every (role, category) the form uses; refusals come back at once."""
    pending: dict[tuple[Role, str], Awaitable[Fetched]] = {}
    missing: dict[tuple[Role, str], Outcome] = {}
    parents = [given[r] for r in _PARENTS if r in given]
    for spec in matter.roles:
        subject = given.get(spec.role)
        if subject is None:
            continue
        for category in matter.used(spec.role):
            where = f"{path}.{spec.role}.{category}"
            try:
                if spec.kind == "enterprise":
                    load = gateway.enterprise_data(where, subject, category)
                elif spec.kind == "newborn":
                    load = gateway.newborn_data(where, subject, category, parents)
                else:
                    load = gateway.person_data(where, subject, category, role=spec.role)
            except (AccessDenied, SourceFailed) as exc:
                missing[(spec.role, category)] = Missing(
                    exc.code, exc.message,
                    gateway.department_of(category, enterprise=spec.kind == "enterprise"))
                continue
            pending[(spec.role, category)] = load
    return pending, missing


_PREFERENCE = ("VALID", "NOT_YET_VALID", "EXPIRED", "REVOKED", "UNKNOWN_ISSUER",
               "BAD_SIGNATURE")


def _start_licences(gateway: Gateway, path: str, matter: Matter, given: dict[Role, str]
                    ) -> tuple[dict[tuple[Role, str], Awaitable[list[LicenceFinding]]],
                               dict[tuple[Role, str], LicenceCheck]]:
    """Ask for the licences that back materials; refusals come back at once."""
    pending: dict[tuple[Role, str], Awaitable[list[LicenceFinding]]] = {}
    refused: dict[tuple[Role, str], LicenceCheck] = {}
    for material in matter.materials:
        if material.licence is None or material.licence in pending:
            continue
        role, code = material.licence
        subject = given.get(role)
        if subject is None:
            continue
        try:
            pending[(role, code)] = gateway.licences(f"{path}.licences.{role}.{code}",
                                                     [LICENCE_TYPES[code]], subject, role=role)
        except (AccessDenied, SourceFailed) as exc:
            refused[(role, code)] = LicenceCheck(code=exc.code)
    return pending, refused


def _check(found: list[LicenceFinding] | BaseException) -> LicenceCheck:
    if isinstance(found, AccessDenied | SourceFailed):
        return LicenceCheck(code=found.code)
    if isinstance(found, BaseException):
        raise found
    if not found:
        return LicenceCheck()
    best = min(found, key=lambda f: _PREFERENCE.index(f.assessment.verification))
    return LicenceCheck(best.assessment.verification, best.number)


def _disputes(gateway: Gateway, matter: Matter, given: dict[Role, str],
              outcomes: dict[tuple[Role, str], Outcome]
              ) -> dict[tuple[Role, str], Awaitable[list[Objection]]]:
    out: dict[tuple[Role, str], Awaitable[list[Objection]]] = {}
    for (role, category), outcome in outcomes.items():
        spec = matter.role(role)
        if isinstance(outcome, Obtained) and spec is not None and spec.kind != "newborn":
            out[(role, category)] = gateway.disputed(given[role], category,
                                                     enterprise=spec.kind == "enterprise")
    return out


async def resolve_prefill(info: Info[RequestContext, None], matter_code: str,
                          applicant: str | None, subjects: Sequence[SubjectInput] | None
                          ) -> Prefill:
    gateway = info.context.gateway
    matter = gateway.matter_scope()
    if matter.code != matter_code:
        raise BadUserInput(f"matter: {matter_code} differs from X-Hub-Purpose {matter.code}; "
                           "a request serves the one purpose it declares")
    given = subjects_of(matter, applicant, subjects, info.context.now.date())
    pending, outcomes = _start(gateway, path_of(info), matter, given)
    licence_pending, checks = _start_licences(gateway, path_of(info), matter, given)
    answers = await asyncio.gather(*pending.values(), return_exceptions=True)
    found = await asyncio.gather(*licence_pending.values(), return_exceptions=True)
    checks |= {key: _check(f) for key, f in zip(licence_pending, found, strict=True)}
    for (role, category), answer in zip(pending, answers, strict=True):
        enterprise = matter.role(role) is not None and role == "enterprise"
        if isinstance(answer, Fetched):
            outcomes[(role, category)] = Obtained(answer.records, answer.source,
                                                  answer.department, answer.as_of)
        elif isinstance(answer, AccessDenied | SourceFailed):
            mismatch = role == "newborn" and isinstance(answer, Forbidden)
            outcomes[(role, category)] = Missing(
                "SUBJECT_MISMATCH" if mismatch else answer.code, answer.message,
                gateway.department_of(category, enterprise=enterprise))
        else:
            raise answer
    disputes = _disputes(gateway, matter, given, outcomes)
    objections = dict(zip(disputes, await asyncio.gather(*disputes.values()), strict=True))
    return Prefill.of(matter, set(given), fill(matter, given, outcomes, checks), objections,
                      gateway.application_id())
