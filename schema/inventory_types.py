"""GraphQL types of a bankruptcy check's inventory: assets, liabilities by creditor class, and
the liabilities two departments reported that were counted once (`schema.inventory`)."""

from __future__ import annotations

import datetime as dt

import strawberry

from schema.inventory import Inventory
from schema.scalars import Money

__all__ = ["AssetGroupType", "CreditorClassType", "InventoryType", "LiabilityType",
           "ReconciliationType"]


@strawberry.type(name="Liability", description="One amount owed, as a department reported it.")
class LiabilityType:
    domain: str
    department: str
    source: str
    item: str = strawberry.field(description="what is owed, e.g. 欠缴社会保险费（应划入职工个人账户部分）")
    amount: Money
    months: int | None
    period_from: str | None
    period_to: str | None
    liability_ref: str | None
    note: str | None


@strawberry.type(name="CreditorClass", description="Claims of one class, in the order of "
                                                   "《企业破产法》: SECURED (第一百零九条), then "
                                                   "第一百一十三条 EMPLOYEE, SOCIAL_AND_TAX, "
                                                   "ORDINARY.")
class CreditorClassType:
    code: str
    order: int | None = strawberry.field(description="the order in 第一百一十三条 (null: secured)")
    title: str
    basis: str
    total: Money
    items: list[LiabilityType]


@strawberry.type(name="AssetGroup")
class AssetGroupType:
    domain: str
    title: str
    department: str
    count: int
    seized: int = strawberry.field(description="of them under seizure (查封)")
    mortgaged: int
    area_m2: float | None


@strawberry.type(name="Reconciliation", description="A liability two departments reported, "
                                                    "counted once.")
class ReconciliationType:
    domain: str
    scheme: str
    liability_ref: str | None
    kept_source: str
    kept_department: str
    other_source: str
    other_department: str
    kept_amount: Money
    other_amount: Money
    disputed: bool
    reason: str


@strawberry.type(name="Inventory", description="What a bankruptcy check found: assets, and "
                                               "liabilities in fen by creditor class.")
class InventoryType:
    base_date: dt.date | None
    total: Money = strawberry.field(description="every class but the secured claims")
    secured: Money
    classes: list[CreditorClassType]
    assets: list[AssetGroupType]
    reconciliations: list[ReconciliationType]
    notes: list[str]

    @classmethod
    def of(cls, inv: Inventory) -> InventoryType:
        return cls(
            base_date=inv.base_date, total=Money(inv.total), secured=Money(inv.secured),
            classes=[CreditorClassType(
                code=g.code, order=g.order, title=g.title, basis=g.basis, total=Money(g.total),
                items=[LiabilityType(
                    domain=i.domain, department=i.department, source=i.source, item=i.item,
                    amount=Money(i.amount), months=i.months, period_from=i.period_from,
                    period_to=i.period_to, liability_ref=i.liability_ref, note=i.note)
                    for i in g.items]) for g in inv.classes],
            assets=[AssetGroupType(domain=a.domain, title=a.title, department=a.department,
                                   count=a.count, seized=a.seized, mortgaged=a.mortgaged,
                                   area_m2=a.area_m2) for a in inv.assets],
            reconciliations=[ReconciliationType(
                domain=r.domain, scheme=r.scheme, liability_ref=r.liability_ref,
                kept_source=r.kept_source, kept_department=r.kept_department,
                other_source=r.other_source, other_department=r.other_department,
                kept_amount=Money(r.kept_amount), other_amount=Money(r.other_amount),
                disputed=r.disputed, reason=r.reason) for r in inv.reconciliations],
            notes=list(inv.notes))
