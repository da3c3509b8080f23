"""The hub's record types: what a department's answer becomes once it is understood.

Departments name and format their fields as they please; a connector maps each answer onto one
of these record types (a fixed set of fields, each of a fixed kind) and refuses anything that
does not fit. Money is held in fen (分, integer hundredths of a yuan) so that sums are exact.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args

from connectors.civic_records import CIVIC_RECORDS

__all__ = ["RECORD_TYPES", "REGISTRATION_STATUSES", "FieldKind", "FieldSpec", "FieldValue", "Record"]

FieldKind = Literal["str", "int", "float", "money", "date", "bool", "month"]
FieldValue = str | int | float | bool | dt.date | None
# The statuses a market-regulation registry gives an enterprise (企业登记状态).
REGISTRATION_STATUSES = ("存续", "在业", "吊销", "注销", "迁出")


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    kind: FieldKind
    required: bool = True


@dataclass(frozen=True, slots=True)
class Record:
    """One understood record: its type and its values, keyed by the hub's field names."""

    type: str
    values: Mapping[str, FieldValue]

    def get(self, name: str) -> FieldValue:
        return self.values.get(name)


def _f(spec: str) -> tuple[FieldSpec, ...]:
    """Parse 'name:kind name:kind? ...' (a trailing ? marks an optional field)."""
    out = []
    for item in spec.split():
        name, kind = item.split(":")
        required = not kind.endswith("?")
        out.append(FieldSpec(name, next(k for k in get_args(FieldKind) if k == kind.rstrip("?")),
                             required))
    return tuple(out)


RECORD_TYPES: Mapping[str, tuple[FieldSpec, ...]] = {
    # Enterprise checks. Optional fields (?) may be null when a department does not hold them:
    # null means "not said", never "no".
    "violation": _f(
        "decision_no:str authority:str decided_on:date summary:str amount:money? rectified:bool "
        # 违法行为类型, 处罚种类, 重大违法, 罚款已缴纳, 整改完成日期
        "violation_type:str? penalty_kind:str? major_violation:bool? fine_paid:bool? rectified_on:date?"
    ),
    "vehicle": _f(
        "plate:str vehicle_type:str brand:str registered_on:date status:str "
        # 车辆识别代号 (VIN), 查封, 查封机关, 抵押权人
        "vin:str? seized:bool? seized_by:str? mortgagee:str?"
    ),
    "property": _f(
        "certificate_no:str address:str area_m2:float usage:str encumbrance:str share:str? "
        # 不动产单元号 (28 characters), 抵押权人, 被担保债权数额, 查封机关
        "unit_no:str? mortgagee:str? mortgage_amount:money? seized_by:str?"
    ),
    "contribution": _f(
        "scheme:str insured_count:int paid_through:month paid_amount:money arrears_amount:money "
        # 缴费状态, arrears: months, first and last month owed, 滞纳金, the part owed to the
        # employees' individual accounts, and the liability reference both collectors share
        "status:str? arrears_months:int? arrears_from:month? arrears_to:month? late_fee:money? "
        "personal_part:money? liability_ref:str?"
    ),
    "tax_account": _f(
        "paid_last_year:money arrears_amount:money credit_grade:str last_filed_on:date "
        "arrears_months:int? arrears_since:month? late_fee:money?"
    ),
    "customs_account": _f(
        "duties_paid:money arrears_amount:money declarations:int last_cleared_on:date? "
        "arrears_months:int? arrears_since:month? late_fee:money?"
    ),
    # One liability owed (欠税/欠费): a tax or fee unpaid for a run of months, with 滞纳金.
    "arrears": _f(
        "item:str period_from:month period_to:month months:int arrears_amount:money "
        "late_fee:money liability_ref:str? assessed_on:date?"
    ),
    "registration": _f(
        "name:str legal_representative:str registered_capital:money established_on:date "
        # 存续 / 在业 / 吊销 / 注销 / 迁出, the date of the last change of status, 登记机关
        "status:str address:str business_scope:str status_on:date? registration_authority:str?"
    ),
    # Person data (certificate-free matters).
    "household": _f(
        "name:str gender:str birth_date:date address:str household_head:str relation:str "
        "registered_on:date"
    ),
    "residence_permit": _f("permit_no:str address:str issued_on:date valid_until:date"),
    "social_insurance": _f(
        "employer_name:str employer_uscc:str insured_since:date months_paid:int status:str "
        "last_paid_month:month"
    ),
    "marriage": _f("status:str registered_on:date? spouse_name:str?"),
    "low_income": _f("category:str since:date monthly_amount:money"),
    "education": _f("degree:str major:str school:str graduated_on:date certificate_no:str"),
    "birth_certificate": _f(
        "certificate_no:str born_on:date hospital:str mother_name:str father_name:str"
    ),
    "disability": _f("certificate_no:str category:str grade:str issued_on:date"),
    "credit_report": _f(
        "report_no:str grade:str overdue_accounts:int outstanding_loans:money reported_on:date"
    ),
    **{name: _f(spec) for name, spec in CIVIC_RECORDS.items()},
}
