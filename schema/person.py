"""Person data for the portal: one typed field per data category, each behind consent.

Every field asks the gateway (`Gateway.person`), which decides first (purpose, catalogue,
consent) and only then loads from the category's source, so a denied field costs no source call
and its error sits at its own path while the permitted fields resolve. A source that did not
answer is an error, never an empty certificate.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import TypeVar

import strawberry
from strawberry.types import Info

from schema.civic_person import (
    CIVIC_PERSON_TYPES,
    ContractFiling,
    DisabilitySubsidy,
    ExitEntryRecord,
    FundAccount,
    MedicalInsurance,
    OneChildCertificate,
    OverseasDegree,
    PensionRecord,
    SocialSecurityCard,
    SubsidisedHousing,
    VaccinationRecord,
    VeteranRecord,
)
from schema.context import RequestContext, path_of
from schema.records import Disputable, PropertyRecord, Vehicle
from schema.scalars import Money

__all__ = [
    "PERSON_RECORD_TYPES",
    "BirthCertificate",
    "CreditReport",
    "DisabilityCertificate",
    "EducationRecord",
    "HouseholdRegistration",
    "LowIncomeStatus",
    "MarriageRecord",
    "Person",
    "ResidencePermit",
    "SocialInsuranceRecord",
]

T = TypeVar("T", bound=Disputable)


@strawberry.type(description="户籍 household registration")
class HouseholdRegistration(Disputable):
    name: str
    gender: str
    birth_date: dt.date
    address: str
    household_head: str
    relation: str
    registered_on: dt.date


@strawberry.type(description="居住证 residence permit")
class ResidencePermit(Disputable):
    permit_no: str
    address: str
    issued_on: dt.date
    valid_until: dt.date


@strawberry.type(description="社保缴费记录 social insurance record")
class SocialInsuranceRecord(Disputable):
    employer_name: str
    employer_uscc: str
    insured_since: dt.date
    months_paid: int
    status: str
    last_paid_month: str


@strawberry.type(description="婚姻登记 marriage registration")
class MarriageRecord(Disputable):
    status: str
    registered_on: dt.date | None
    spouse_name: str | None


@strawberry.type(description="低保、特困 subsistence / low-income status")
class LowIncomeStatus(Disputable):
    category: str
    since: dt.date
    monthly_amount: Money


@strawberry.type(description="学历 education degree")
class EducationRecord(Disputable):
    degree: str
    major: str
    school: str
    graduated_on: dt.date
    certificate_no: str


@strawberry.type(description="出生医学证明 birth medical certificate")
class BirthCertificate(Disputable):
    certificate_no: str
    born_on: dt.date
    hospital: str
    mother_name: str
    father_name: str


@strawberry.type(description="残疾人证 disability certificate")
class DisabilityCertificate(Disputable):
    certificate_no: str
    category: str
    grade: str
    issued_on: dt.date


@strawberry.type(description="征信 credit report summary")
class CreditReport(Disputable):
    report_no: str
    grade: str
    overdue_accounts: int
    outstanding_loans: Money
    reported_on: dt.date


PERSON_RECORD_TYPES: dict[str, type] = {
    "household": HouseholdRegistration, "residence_permit": ResidencePermit,
    "property": PropertyRecord, "social_insurance": SocialInsuranceRecord,
    "marriage": MarriageRecord, "low_income": LowIncomeStatus, "education": EducationRecord,
    "birth_certificate": BirthCertificate, "disability": DisabilityCertificate,
    "credit_report": CreditReport, "vehicle": Vehicle, **CIVIC_PERSON_TYPES,
}


async def _answer(info: Info[RequestContext, None], resident_id: str, category: str, cls: type[T]
                  ) -> list[T] | None:
    """The category's records, each saying whether an open objection disputes it."""
    gateway = info.context.gateway
    pending = gateway.person(path_of(info), resident_id, category)
    disputes = gateway.disputed(resident_id, category)  # only after the decision above
    records, objections = await asyncio.gather(pending, disputes)
    ids = [o.id for o in objections]
    if records is None:
        return None
    return [cls(**r.values, disputed=bool(ids), objection_ids=ids) for r in records]


async def _one(info: Info[RequestContext, None], resident_id: str, category: str,
               cls: type[T]) -> T | None:
    records = await _answer(info, resident_id, category, cls)
    return records[0] if records else None


async def _many(info: Info[RequestContext, None], resident_id: str, category: str,
                cls: type[T]) -> list[T]:
    return await _answer(info, resident_id, category, cls) or []


@strawberry.type(description="Person data; every field is one data category and needs a "
                             "consent covering it.")
class Person:
    id: strawberry.Private[str]

    @strawberry.field(description="household")
    async def household_registration(self, info: Info[RequestContext, None]
                                     ) -> HouseholdRegistration | None:
        return await _one(info, self.id, "household", HouseholdRegistration)

    @strawberry.field(description="residence_permit")
    async def residence_permit(self, info: Info[RequestContext, None]) -> ResidencePermit | None:
        return await _one(info, self.id, "residence_permit", ResidencePermit)

    @strawberry.field(description="property")
    async def property_certificates(self, info: Info[RequestContext, None]
                                    ) -> list[PropertyRecord] | None:
        return await _many(info, self.id, "property", PropertyRecord)

    @strawberry.field(description="social_insurance")
    async def social_insurance_record(self, info: Info[RequestContext, None]
                                      ) -> SocialInsuranceRecord | None:
        return await _one(info, self.id, "social_insurance", SocialInsuranceRecord)

    @strawberry.field(description="marriage")
    async def marriage(self, info: Info[RequestContext, None]) -> MarriageRecord | None:
        return await _one(info, self.id, "marriage", MarriageRecord)

    @strawberry.field(description="low_income")
    async def low_income_status(self, info: Info[RequestContext, None]) -> LowIncomeStatus | None:
        return await _one(info, self.id, "low_income", LowIncomeStatus)

    @strawberry.field(description="education")
    async def education(self, info: Info[RequestContext, None]) -> EducationRecord | None:
        return await _one(info, self.id, "education", EducationRecord)

    @strawberry.field(description="birth_certificate")
    async def birth_certificate(self, info: Info[RequestContext, None]
                                ) -> BirthCertificate | None:
        return await _one(info, self.id, "birth_certificate", BirthCertificate)

    @strawberry.field(description="disability")
    async def disability_certificate(self, info: Info[RequestContext, None]
                                     ) -> DisabilityCertificate | None:
        return await _one(info, self.id, "disability", DisabilityCertificate)

    @strawberry.field(description="credit")
    async def credit_report(self, info: Info[RequestContext, None]) -> CreditReport | None:
        return await _one(info, self.id, "credit", CreditReport)

    @strawberry.field(description="vehicles")
    async def vehicles(self, info: Info[RequestContext, None]) -> list[Vehicle] | None:
        return await _many(info, self.id, "vehicles", Vehicle)

    # The categories the 21 matters added.

    @strawberry.field(description="vaccination")
    async def vaccination(self, info: Info[RequestContext, None]) -> VaccinationRecord | None:
        return await _one(info, self.id, "vaccination", VaccinationRecord)

    @strawberry.field(description="medical_insurance")
    async def medical_insurance(self, info: Info[RequestContext, None]
                                ) -> MedicalInsurance | None:
        return await _one(info, self.id, "medical_insurance", MedicalInsurance)

    @strawberry.field(description="housing_fund")
    async def housing_fund_account(self, info: Info[RequestContext, None]) -> FundAccount | None:
        return await _one(info, self.id, "housing_fund", FundAccount)

    @strawberry.field(description="exit_entry")
    async def exit_entry(self, info: Info[RequestContext, None]) -> ExitEntryRecord | None:
        return await _one(info, self.id, "exit_entry", ExitEntryRecord)

    @strawberry.field(description="veteran")
    async def veteran(self, info: Info[RequestContext, None]) -> VeteranRecord | None:
        return await _one(info, self.id, "veteran", VeteranRecord)

    @strawberry.field(description="overseas_degree")
    async def overseas_degree(self, info: Info[RequestContext, None]) -> OverseasDegree | None:
        return await _one(info, self.id, "overseas_degree", OverseasDegree)

    @strawberry.field(description="ss_card")
    async def social_security_card(self, info: Info[RequestContext, None]
                                   ) -> SocialSecurityCard | None:
        return await _one(info, self.id, "ss_card", SocialSecurityCard)

    @strawberry.field(description="pension")
    async def pension(self, info: Info[RequestContext, None]) -> PensionRecord | None:
        return await _one(info, self.id, "pension", PensionRecord)

    @strawberry.field(description="one_child")
    async def one_child_certificate(self, info: Info[RequestContext, None]
                                    ) -> OneChildCertificate | None:
        return await _one(info, self.id, "one_child", OneChildCertificate)

    @strawberry.field(description="disability_subsidy")
    async def disability_subsidy(self, info: Info[RequestContext, None]
                                 ) -> DisabilitySubsidy | None:
        return await _one(info, self.id, "disability_subsidy", DisabilitySubsidy)

    @strawberry.field(description="subsidised_housing")
    async def subsidised_housing(self, info: Info[RequestContext, None]
                                 ) -> list[SubsidisedHousing] | None:
        return await _many(info, self.id, "subsidised_housing", SubsidisedHousing)

    @strawberry.field(description="contract_filing")
    async def contract_filings(self, info: Info[RequestContext, None]
                               ) -> list[ContractFiling] | None:
        return await _many(info, self.id, "contract_filing", ContractFiling)
