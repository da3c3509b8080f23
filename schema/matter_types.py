"""The purpose catalogue on the GraphQL surface: `matters` — each "one thing" with its roles,
form and materials, as its file declares them."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from matters.spec import Matter
from schema.context import RequestContext

__all__ = ["MatterFieldType", "MatterMaterialType", "MatterRoleType", "MatterType",
           "matters_of"]


@strawberry.type(name="MatterRole", description="A subject role of a matter and the data "
                                                "categories it releases.")
class MatterRoleType:
    role: str
    label: str
    kind: str = strawberry.field(description="person | enterprise | newborn")
    categories: list[str]
    required: bool


@strawberry.type(name="MatterField", description="A field of a matter's form.")
class MatterFieldType:
    name: str
    label: str
    type: str
    required: bool
    source: str | None = strawberry.field(description="role:category.field, role:category or "
                                                      "role:@id; null: the applicant fills it")
    transform: str
    unit: str | None


@strawberry.type(name="MatterMaterial", description="A material of a matter's list.")
class MatterMaterialType:
    name: str
    waived_by: list[str]
    waived_when: str
    by_check: bool


@strawberry.type(name="Matter", description="A registered purpose: a 'one thing' or a check.")
class MatterType:
    code: str
    number: int | None
    title: str
    english: str
    legal_basis: str
    callers: list[str]
    categories: list[str]
    max_validity_days: int
    fetch_types: list[str]
    max_uses: int
    lead: str
    departments: list[str]
    check: str | None
    roles: list[MatterRoleType]
    form: list[MatterFieldType]
    materials: list[MatterMaterialType]

    @classmethod
    def of(cls, m: Matter) -> MatterType:
        return cls(
            code=m.code, number=m.number, title=m.title, english=m.english,
            legal_basis=m.legal_basis, callers=sorted(m.callers), categories=list(m.categories),
            max_validity_days=m.max_validity_days, fetch_types=list(m.fetch_types),
            max_uses=m.max_uses, lead=m.lead, departments=list(m.departments), check=m.check,
            roles=[MatterRoleType(role=r.role, label=r.label, kind=r.kind,
                                  categories=list(r.categories), required=r.required)
                   for r in m.roles],
            form=[MatterFieldType(name=f.name, label=f.label, type=f.type, required=f.required,
                                  source=f.source.text() if f.source else None,
                                  transform=f.transform, unit=f.unit) for f in m.form],
            materials=[MatterMaterialType(name=x.name,
                                          waived_by=[f"{r}:{c}" for r, c in x.waived_by],
                                          waived_when=x.waived_when, by_check=x.by_check)
                       for x in m.materials])


def matters_of(info: Info[RequestContext, None]) -> list[MatterType]:
    return [MatterType.of(m) for m in info.context.matters.values()]
