"""GraphQL types of the person categories the 21 matters added, one per hub record type.

Built straight from a connector `Record` (`cls(**record.values)`), like the first person types
(`schema.person`); money is `Money` (yuan as a decimal string), never fen.
"""

from __future__ import annotations

import datetime as dt

import strawberry

from schema.records import Disputable
from schema.scalars import Money

__all__ = [
    "CIVIC_PERSON_TYPES",
    "ContractFiling",
    "DisabilitySubsidy",
    "ExitEntryRecord",
    "FundAccount",
    "MedicalInsurance",
    "OneChildCertificate",
    "OverseasDegree",
    "PensionRecord",
    "SocialSecurityCard",
    "SubsidisedHousing",
    "VaccinationRecord",
    "VeteranRecord",
]


@strawberry.type(description="预防接种记录 vaccination record")
class VaccinationRecord(Disputable):
    card_no: str
    doses: int
    schedule_complete: bool
    last_vaccine: str
    last_dose_on: dt.date
    clinic: str


@strawberry.type(description="医保参保信息 medical insurance")
class MedicalInsurance(Disputable):
    insurance_type: str
    insured_since: dt.date
    status: str
    employer_name: str | None
    account_balance: Money
    designated_hospital: str
    remote_filing: str | None
    chronic_disease: str | None
    family_mutual_aid: bool


@strawberry.type(description="个人住房公积金账户 own housing-fund account")
class FundAccount(Disputable):
    account_no: str
    employer_name: str
    opened_on: dt.date
    status: str
    monthly_deposit: Money
    balance: Money
    paid_through: str
    deposit_months: int


@strawberry.type(description="出入境记录 exit-entry records")
class ExitEntryRecord(Disputable):
    document_no: str
    document_valid_until: dt.date
    trips: int
    last_exit_on: dt.date | None
    last_entry_on: dt.date | None
    last_destination: str | None


@strawberry.type(description="退役军人信息 veteran status")
class VeteranRecord(Disputable):
    certificate_no: str
    enlisted_on: dt.date
    discharged_on: dt.date
    branch: str
    rank: str
    placement: str
    subsidy_amount: Money
    reported_on: dt.date | None


@strawberry.type(description="国(境)外学历学位认证 overseas degree verification")
class OverseasDegree(Disputable):
    certificate_no: str
    degree: str
    institution: str
    country: str
    major: str
    awarded_on: dt.date
    verified_on: dt.date


@strawberry.type(description="社会保障卡 social security card")
class SocialSecurityCard(Disputable):
    card_no: str
    bank: str
    issued_on: dt.date
    status: str
    generation: str
    electronic: bool


@strawberry.type(description="基本养老保险 pension insurance")
class PensionRecord(Disputable):
    insured_since: dt.date
    paid_months: int
    deemed_months: int
    account_balance: Money
    retirement_date: dt.date
    special_work_months: int


@strawberry.type(description="独生子女父母光荣证 one-child certificate")
class OneChildCertificate(Disputable):
    certificate_no: str
    issued_on: dt.date
    child_name: str


@strawberry.type(description="残疾人两项补贴 disability subsidies (monthly)")
class DisabilitySubsidy(Disputable):
    living_subsidy: Money
    care_subsidy: Money
    since: dt.date
    status: str


@strawberry.type(description="保障性住房 subsidised housing held")
class SubsidisedHousing(Disputable):
    kind: str
    address: str
    since: dt.date
    status: str


@strawberry.type(description="商品房网签备案 purchase contract filing")
class ContractFiling(Disputable):
    contract_no: str
    property_address: str
    area_m2: float
    total_price: Money
    filed_on: dt.date
    seller: str


CIVIC_PERSON_TYPES: dict[str, type] = {
    "vaccination": VaccinationRecord, "medical_insurance": MedicalInsurance,
    "fund_account": FundAccount, "exit_entry": ExitEntryRecord, "veteran": VeteranRecord,
    "overseas_degree": OverseasDegree, "ss_card": SocialSecurityCard, "pension": PensionRecord,
    "one_child": OneChildCertificate, "disability_subsidy": DisabilitySubsidy,
    "subsidised_housing": SubsidisedHousing, "contract_filing": ContractFiling,
}
