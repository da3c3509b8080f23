"""GraphQL types of `prefill`: the form of a matter, field by field, with its materials.

`Prefill.of` turns the pure `matters.fill.FilledForm` into these types; nothing here decides or
fetches.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from enum import Enum

import strawberry

from connectors.catalogue import CheckKind
from matters.fill import FilledField, FilledForm, Gap, MaterialState, category_label
from matters.spec import Matter, Role
from objection.model import Objection

__all__ = ["FieldType", "FilledBy", "Prefill", "PrefillField", "PrefillGap", "PrefillMaterial",
           "PrefillSubject", "SubjectInput", "SubjectRole"]


@strawberry.enum(description="The role a subject plays in an application.")
class SubjectRole(Enum):
    APPLICANT = "applicant"
    CHILD = "child"
    SPOUSE = "spouse"
    GUARDIAN = "guardian"
    LEGAL_REPRESENTATIVE = "legal_representative"
    ENTERPRISE = "enterprise"
    MOTHER = "mother"
    FATHER = "father"
    NEWBORN = "newborn"


@strawberry.enum(description="The kind of a form field's value.")
class FieldType(Enum):
    TEXT = "text"
    ID = "id"
    DATE = "date"
    MONTH = "month"
    MONEY = "money"
    NUMBER = "number"
    BOOLEAN = "boolean"


@strawberry.enum(description="Who fills a form field.")
class FilledBy(Enum):
    SHARED_DATA = "SHARED_DATA"
    APPLICANT = "APPLICANT"


@strawberry.input(description="One subject of an application: a person by resident ID, an "
                              "enterprise by USCC, a newborn by its birth medical certificate "
                              "number.")
class SubjectInput:
    role: SubjectRole
    id: str


@strawberry.type(description="A subject the matter names, and whether the application gave it.")
class PrefillSubject:
    role: SubjectRole
    label: str
    given: bool
    required: bool


@strawberry.type(description="One form field: its value from shared data, or why it is empty.")
class PrefillField:
    name: str
    label: str
    role: SubjectRole
    type: FieldType
    required: bool
    value: str | None = strawberry.field(description="money: yuan with two decimals; dates: "
                                                     "ISO 8601; booleans: true | false")
    unit: str | None = strawberry.field(description="CNY for money; 月, ㎡, kg, … otherwise")
    source: str | None = strawberry.field(description="the connector that gave the value")
    department: str | None
    as_of: dt.datetime | None = strawberry.field(description="when the department's data "
                                                           "was current")
    verified: bool = strawberry.field(description="from the issuing department: the portal "
                                                  "locks the field")
    category: str | None
    filled_by: FilledBy
    code: str | None = strawberry.field(description="why it is empty (NOT_FOUND, "
                                                    "CONSENT_REQUIRED, SOURCE_UNAVAILABLE, …)")
    reason: str | None = strawberry.field(description="the same in words (Chinese)")
    disputed: bool = strawberry.field(default=False, description="an open objection disputes "
                                      "this value (数据异议处理中): do not lock it as verified")
    objection_ids: list[str] = strawberry.field(default_factory=list)

    @classmethod
    def of(cls, f: FilledField, objections: Sequence[Objection] = ()) -> PrefillField:
        src = f.field.source
        ids = [o.id for o in objections if f.value is not None
               and o.target.field in (None, src.field if src else None)]
        return cls(name=f.field.name, label=f.field.label, role=SubjectRole(f.role),
                   type=FieldType(f.field.type), required=f.field.required, value=f.value,
                   unit=f.unit,
                   source=f.source, department=f.department, as_of=f.as_of,
                   verified=f.verified and not ids, category=src.category if src else None,
                   filled_by=FilledBy.SHARED_DATA if src else FilledBy.APPLICANT, code=f.code,
                   reason=f.reason, disputed=bool(ids), objection_ids=ids)


@strawberry.type(description="A material of the matter: waived (免提交) or still to bring.")
class PrefillMaterial:
    name: str
    reason: str
    waived_by: list[str] = strawberry.field(description="role:category that replace it")
    licence: str | None = strawberry.field(
        default=None, description="role:LICENCE_TYPE whose electronic licence, verified VALID "
                                  "at the hub, replaces it")

    @classmethod
    def of(cls, m: MaterialState) -> PrefillMaterial:
        lic = m.material.licence
        return cls(name=m.material.name, reason=m.reason,
                   waived_by=[f"{r}:{c}" for r, c in m.material.waived_by],
                   licence=f"{lic[0]}:{lic[1]}" if lic else None)


@strawberry.type(description="Data that could not be used, and why.")
class PrefillGap:
    role: SubjectRole
    category: str
    label: str
    code: str
    reason: str = strawberry.field(description="why, in words a window clerk reads (Chinese)")
    detail: str = strawberry.field(description="the same for an integrator (English)")
    fields: list[str]

    @classmethod
    def of(cls, g: Gap) -> PrefillGap:
        return cls(role=SubjectRole(g.role), category=g.category,
                   label=category_label(g.category), code=g.code, reason=g.reason,
                   detail=g.detail, fields=list(g.fields))


@strawberry.type
class Prefill:
    matter: str
    title: str
    check: CheckKind | None = strawberry.field(description="the check whose report replaces "
                                                           "the departments' certificates")
    subjects: list[PrefillSubject]
    fields: list[PrefillField]
    materials_waived: list[PrefillMaterial]
    materials_required: list[PrefillMaterial]
    gaps: list[PrefillGap]
    filled: int
    total: int
    filled_share: float = strawberry.field(description="form fields filled from shared data ÷ "
                                                       "form fields")
    application: str | None = strawberry.field(
        default=None, description="the application (X-Hub-Application) it was made for")

    @classmethod
    def of(cls, matter: Matter, given: set[str], form: FilledForm,
           disputes: Mapping[tuple[Role, str], Sequence[Objection]] | None = None,
           application: str | None = None) -> Prefill:
        disputes = disputes or {}
        return cls(
            matter=matter.code, title=matter.title,
            check=CheckKind(matter.check) if matter.check else None,
            subjects=[PrefillSubject(role=SubjectRole(r.role), label=r.label,
                                     given=r.role in given, required=r.required)
                      for r in matter.roles],
            fields=[PrefillField.of(f, disputes.get((f.role, f.field.source.category or ""), ())
                                    if f.field.source else ()) for f in form.fields],
            materials_waived=[PrefillMaterial.of(m) for m in form.waived],
            materials_required=[PrefillMaterial.of(m) for m in form.required],
            gaps=[PrefillGap.of(g) for g in form.gaps], filled=form.filled, total=form.total,
            filled_share=form.share, application=application)
