"""GraphQL record types: one per hub record type, built straight from a connector `Record`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry

from connectors.records import Record
from schema.scalars import Money

__all__ = [
    "ENTERPRISE_RECORD_TYPES",
    "Contribution",
    "CustomsAccount",
    "PropertyRecord",
    "RecordType",
    "Registration",
    "TaxAccount",
    "Vehicle",
    "Violation",
    "to_graphql",
]


@strawberry.type(description="An administrative penalty (行政处罚) on record.")
class Violation:
    decision_no: str = strawberry.field(description="处罚决定书文号 decision number")
    authority: str
    decided_on: dt.date
    summary: str
    amount: Money | None
    rectified: bool


@strawberry.type
class Vehicle:
    plate: str
    vehicle_type: str
    brand: str
    registered_on: dt.date
    status: str


@strawberry.type(description="A real-estate right (不动产权) or building.")
class PropertyRecord:
    certificate_no: str
    address: str
    area_m2: float
    usage: str
    encumbrance: str
    share: str | None


@strawberry.type(description="Contributions to social insurance, medical insurance or the "
                             "housing fund, with arrears.")
class Contribution:
    scheme: str
    insured_count: int
    paid_through: str
    paid_amount: Money
    arrears_amount: Money


@strawberry.type
class TaxAccount:
    paid_last_year: Money
    arrears_amount: Money
    credit_grade: str
    last_filed_on: dt.date


@strawberry.type
class CustomsAccount:
    duties_paid: Money
    arrears_amount: Money
    declarations: int
    last_cleared_on: dt.date | None


@strawberry.type(description="注册登记基本信息 registration basics.")
class Registration:
    name: str
    legal_representative: str
    registered_capital: Money
    established_on: dt.date
    status: str
    address: str
    business_scope: str


ENTERPRISE_RECORD_TYPES: dict[str, type] = {
    "violation": Violation, "vehicle": Vehicle, "property": PropertyRecord,
    "contribution": Contribution, "tax_account": TaxAccount,
    "customs_account": CustomsAccount, "registration": Registration,
}

RecordType = Annotated[
    Violation | Vehicle | PropertyRecord | Contribution | TaxAccount | CustomsAccount
    | Registration,
    strawberry.union("Record", description="What a source says about the subject."),
]


def to_graphql(record: Record, types: dict[str, type] = ENTERPRISE_RECORD_TYPES) -> Any:
    return types[record.type](**record.values)
