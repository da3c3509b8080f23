"""What a "one thing" (matter) is, as data: its subjects, its form, its materials, its caps.

A `Matter` is read from one TOML file (`matters.load`) and says who may use it (callers, legal
basis), which subjects an application names and in which role (an applicant, a child and its
guardian, the parents of a newborn, an enterprise), which data categories each role releases,
the form (every field with its label, type, and where its value comes from: a role, a data
category, a field and a transform), the materials list (which ones shared data replaces —
免提交 — and which the applicant must still bring) and the caps on consents given for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "FETCH_TYPES",
    "FIELD_TYPES",
    "LEGAL_BASES",
    "ROLES",
    "ROLE_KINDS",
    "TRANSFORMS",
    "FetchType",
    "FieldType",
    "FormField",
    "LegalBasis",
    "Material",
    "Matter",
    "Role",
    "RoleSpec",
    "SourceRef",
    "SubjectKind",
    "Transform",
    "WaiveWhen",
]

LegalBasis = Literal["CONSENT", "STATUTORY"]
FetchType = Literal["ONE_TIME", "REUSABLE"]
Role = Literal["applicant", "child", "spouse", "guardian", "legal_representative", "enterprise",
               "mother", "father", "newborn"]
SubjectKind = Literal["person", "enterprise", "newborn"]
FieldType = Literal["text", "id", "date", "month", "money", "number", "boolean"]
# value: the field of the first record; count / exists: of the records (no field); join: the
# field of every record; sum: of a number or amount over the records; year: of a date.
Transform = Literal["value", "count", "exists", "join", "sum", "year"]
WaiveWhen = Literal["record", "answer"]  # a record found, or any answer (also "none held")

FETCH_TYPES: tuple[FetchType, ...] = ("ONE_TIME", "REUSABLE")
LEGAL_BASES: tuple[LegalBasis, ...] = ("CONSENT", "STATUTORY")
ROLES: tuple[Role, ...] = ("applicant", "child", "spouse", "guardian", "legal_representative",
                           "enterprise", "mother", "father", "newborn")
ROLE_KINDS: Mapping[Role, SubjectKind] = {
    "applicant": "person", "child": "person", "spouse": "person", "guardian": "person",
    "legal_representative": "person", "mother": "person", "father": "person",
    "enterprise": "enterprise", "newborn": "newborn",
}
FIELD_TYPES: tuple[FieldType, ...] = ("text", "id", "date", "month", "money", "number",
                                      "boolean")
TRANSFORMS: tuple[Transform, ...] = ("value", "count", "exists", "join", "sum", "year")


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where a form field's value comes from: `role:category.field`, `role:category` (count,
    exists) or `role:@id` (the identifier the application gives for that subject)."""

    role: Role
    category: str | None = None  # None: the subject's own identifier
    field: str | None = None

    def text(self) -> str:
        if self.category is None:
            return f"{self.role}:@id"
        return f"{self.role}:{self.category}" + (f".{self.field}" if self.field else "")


@dataclass(frozen=True, slots=True)
class FormField:
    name: str
    label: str
    type: FieldType
    required: bool = True
    source: SourceRef | None = None  # None: the applicant fills it in
    transform: Transform = "value"
    unit: str | None = None  # money is always CNY
    verified: bool = True  # a value from the issuing department locks the field


@dataclass(frozen=True, slots=True)
class Material:
    name: str
    waived_by: tuple[tuple[Role, str], ...] = ()  # (role, category) that replace it
    waived_when: WaiveWhen = "record"
    by_check: bool = False  # replaced by the lead department's compliance check
    # (role, licence type): an electronic licence of that subject replaces it, but only one the
    # hub verified VALID — genuine, current and that subject's (licence.verify)
    licence: tuple[Role, str] | None = None


@dataclass(frozen=True, slots=True)
class RoleSpec:
    role: Role
    label: str
    categories: tuple[str, ...]
    required: bool = True

    @property
    def kind(self) -> SubjectKind:
        return ROLE_KINDS[self.role]


@dataclass(frozen=True, slots=True)
class Matter:
    """A registered purpose. Built without roles (as `[matters.CODE]` tables may), its
    categories belong to one person role, the applicant."""

    code: str
    title: str
    legal_basis: LegalBasis
    callers: frozenset[str]
    categories: tuple[str, ...] = ()
    max_validity_days: int = 30
    fetch_types: tuple[FetchType, ...] = FETCH_TYPES
    max_uses: int = 1
    number: int | None = None  # its number in the policy's list of 21 "one things"
    english: str = ""
    lead: str = ""
    departments: tuple[str, ...] = ()
    roles: tuple[RoleSpec, ...] = ()
    form: tuple[FormField, ...] = ()
    materials: tuple[Material, ...] = ()
    check: str | None = None  # IPO_COMPLIANCE / BANKRUPTCY: the check that answers it

    def __post_init__(self) -> None:
        roles = self.roles
        if not roles and self.categories and self.legal_basis == "CONSENT":
            roles = (RoleSpec("applicant", "申请人", tuple(self.categories)),)
            object.__setattr__(self, "roles", roles)
        union = tuple(dict.fromkeys(c for r in roles for c in r.categories))
        if roles and not self.categories:
            object.__setattr__(self, "categories", union)
        elif roles and set(self.categories) != set(union):
            raise ValueError(f"{self.code}: categories {self.categories} are not those of its "
                             f"roles {union}")

    def releases(self, category: str, role: str | None = None) -> bool:
        """Whether this matter releases `category` (of `role`, when one is named)."""
        if role is None:
            return category in self.categories
        spec = self.role(role)
        return spec is not None and category in spec.categories

    def role(self, role: str) -> RoleSpec | None:
        return next((r for r in self.roles if r.role == role), None)

    @property
    def primary(self) -> RoleSpec | None:
        """The role an `applicant:` argument stands for: the first one."""
        return self.roles[0] if self.roles else None

    def used(self, role: str) -> tuple[str, ...]:
        """The categories of `role` that the form or the materials use (what prefill loads)."""
        used = {f.source.category for f in self.form
                if f.source is not None and f.source.role == role and f.source.category}
        used |= {c for m in self.materials for r, c in m.waived_by if r == role}
        spec = self.role(role)
        return tuple(c for c in (spec.categories if spec else ()) if c in used)
