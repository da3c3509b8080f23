"""GraphQL record types: one per hub record type, built straight from a connector `Record`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry

from connectors.records import Record
from schema.scalars import Money

__all__ = [
    "ENTERPRISE_RECORD_TYPES",
    "Arrears",
    "Contribution",
    "CustomsAccount",
    "Disputable",
    "PropertyRecord",
    "RecordType",
    "Registration",
    "TaxAccount",
    "Vehicle",
    "Violation",
    "to_graphql",
]


@strawberry.type(description="Person data that an objection may dispute.")
class Disputable:
    disputed: bool = strawberry.field(
        default=False, description="an objection to this record is open (数据异议处理中): show "
                                   "it as disputed, not as settled fact")
    objection_ids: list[str] = strawberry.field(default_factory=list,
                                                description="the open objections")


@strawberry.type(description="An administrative penalty (行政处罚) on record. Optional facts are "
                             "null when the department does not say them, never 'no'.")
class Violation:
    decision_no: str = strawberry.field(description="处罚决定书文号 decision number")
    authority: str
    decided_on: dt.date
    summary: str
    amount: Money | None = strawberry.field(description="罚款 the fine")
    rectified: bool
    violation_type: str | None = strawberry.field(default=None, description="违法行为类型")
    penalty_kind: str | None = strawberry.field(default=None, description="处罚种类")
    major_violation: bool | None = strawberry.field(default=None,
                                                    description="重大违法 major violation")
    fine_paid: bool | None = strawberry.field(default=None, description="罚款已缴纳")
    rectified_on: dt.date | None = strawberry.field(default=None, description="整改完成日期")


@strawberry.type
class Vehicle(Disputable):
    plate: str
    vehicle_type: str
    brand: str
    registered_on: dt.date
    status: str
    vin: str | None = strawberry.field(default=None, description="车辆识别代号 VIN")
    seized: bool | None = strawberry.field(default=None, description="查封")
    seized_by: str | None = strawberry.field(default=None, description="查封机关")
    mortgagee: str | None = strawberry.field(default=None, description="抵押权人")


@strawberry.type(description="A real-estate right (不动产权) or building.")
class PropertyRecord(Disputable):
    certificate_no: str
    address: str
    area_m2: float
    usage: str
    encumbrance: str
    share: str | None
    unit_no: str | None = strawberry.field(default=None, description="不动产单元号")
    mortgagee: str | None = strawberry.field(default=None, description="抵押权人")
    mortgage_amount: Money | None = strawberry.field(default=None,
                                                     description="被担保债权数额")
    seized_by: str | None = strawberry.field(default=None, description="查封机关")


@strawberry.type(description="Contributions to social insurance, medical insurance or the "
                             "housing fund, with arrears. The assessing department and the "
                             "collecting tax bureau report the same liability under the same "
                             "liabilityRef (and period).")
class Contribution:
    scheme: str
    insured_count: int
    paid_through: str
    paid_amount: Money
    arrears_amount: Money
    status: str | None = strawberry.field(default=None, description="缴费状态")
    arrears_months: int | None = None
    arrears_from: str | None = strawberry.field(default=None, description="first month owed")
    arrears_to: str | None = strawberry.field(default=None, description="last month owed")
    late_fee: Money | None = strawberry.field(default=None, description="滞纳金")
    personal_part: Money | None = strawberry.field(
        default=None, description="of the arrears, the part owed to employees' individual "
                                  "accounts (划入职工个人账户部分)")
    liability_ref: str | None = strawberry.field(default=None, description="欠费核定编号")


@strawberry.type
class TaxAccount:
    paid_last_year: Money
    arrears_amount: Money
    credit_grade: str
    last_filed_on: dt.date
    arrears_months: int | None = None
    arrears_since: str | None = None
    late_fee: Money | None = strawberry.field(default=None, description="滞纳金")


@strawberry.type
class CustomsAccount:
    duties_paid: Money
    arrears_amount: Money
    declarations: int
    last_cleared_on: dt.date | None
    arrears_months: int | None = None
    arrears_since: str | None = None
    late_fee: Money | None = strawberry.field(default=None, description="滞纳金")


@strawberry.type(description="One liability owed (欠税/欠费): a tax or fee unpaid for a run of "
                             "months, with late fees.")
class Arrears:
    item: str = strawberry.field(description="税种/费种")
    period_from: str
    period_to: str
    months: int
    arrears_amount: Money
    late_fee: Money = strawberry.field(description="滞纳金")
    liability_ref: str | None = strawberry.field(default=None,
                                                 description="税务事项通知书文号 or other reference")
    assessed_on: dt.date | None = None


@strawberry.type(description="注册登记基本信息 registration basics.")
class Registration:
    name: str
    legal_representative: str
    registered_capital: Money
    established_on: dt.date
    status: str = strawberry.field(description="存续 / 在业 / 吊销 / 注销 / 迁出")
    address: str
    business_scope: str
    status_on: dt.date | None = strawberry.field(default=None,
                                                 description="date of the last change of status")
    registration_authority: str | None = strawberry.field(default=None, description="登记机关")


ENTERPRISE_RECORD_TYPES: dict[str, type] = {
    "violation": Violation, "vehicle": Vehicle, "property": PropertyRecord,
    "contribution": Contribution, "tax_account": TaxAccount,
    "customs_account": CustomsAccount, "arrears": Arrears, "registration": Registration,
}

RecordType = Annotated[
    Violation | Vehicle | PropertyRecord | Contribution | TaxAccount | CustomsAccount
    | Arrears | Registration,
    strawberry.union("Record", description="What a source says about the subject."),
]


def to_graphql(record: Record, types: dict[str, type] = ENTERPRISE_RECORD_TYPES) -> Any:
    return types[record.type](**record.values)
