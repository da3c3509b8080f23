"""Person data for the portal: one typed field per data category, each behind consent.

Every field decides first (`Gateway.authorize_person`: purpose, catalogue, consent) and only
then loads from its source, so a denied field costs no source call and its error sits at its
own path while the permitted fields resolve. A source that did not answer is an error, never an
empty certificate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable
from typing import Any

import strawberry
from strawberry.types import Info

from connectors.base import Answer
from consent.errors import ConsentError
from schema.context import RequestContext
from schema.errors import ConsentInvalid, ConsentRequired, Forbidden, HubError, SourceFailed
from schema.records import PropertyRecord, Vehicle, to_graphql
from schema.scalars import Money

__all__ = ["PERSON_RECORD_TYPES", "Person"]


@strawberry.type(description="户籍 household registration")
class HouseholdRegistration:
    name: str
    gender: str
    birth_date: dt.date
    address: str
    household_head: str
    relation: str
    registered_on: dt.date


@strawberry.type(description="居住证 residence permit")
class ResidencePermit:
    permit_no: str
    address: str
    issued_on: dt.date
    valid_until: dt.date


@strawberry.type(description="社保缴费记录 social insurance record")
class SocialInsuranceRecord:
    employer_name: str
    employer_uscc: str
    insured_since: dt.date
    months_paid: int
    status: str
    last_paid_month: str


@strawberry.type(description="婚姻登记 marriage registration")
class MarriageRecord:
    status: str
    registered_on: dt.date | None
    spouse_name: str | None


@strawberry.type(description="低保、特困 subsistence / low-income status")
class LowIncomeStatus:
    category: str
    since: dt.date
    monthly_amount: Money


@strawberry.type(description="学历 education degree")
class EducationRecord:
    degree: str
    major: str
    school: str
    graduated_on: dt.date
    certificate_no: str


@strawberry.type(description="出生医学证明 birth medical certificate")
class BirthCertificate:
    certificate_no: str
    born_on: dt.date
    hospital: str
    mother_name: str
    father_name: str


@strawberry.type(description="残疾人证 disability certificate")
class DisabilityCertificate:
    certificate_no: str
    category: str
    grade: str
    issued_on: dt.date


@strawberry.type(description="征信 credit report summary")
class CreditReport:
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
    "credit_report": CreditReport, "vehicle": Vehicle,
}

_DENIALS: dict[str, type[HubError]] = {
    "CONSENT_REQUIRED": ConsentRequired, "CONSENT_INVALID": ConsentInvalid,
    "FORBIDDEN": Forbidden,
}


def _path(info: Info[RequestContext, None]) -> str:
    return ".".join(str(p) for p in info.path.as_list())


def start(info: Info[RequestContext, None], resident_id: str, category: str
          ) -> Awaitable[Answer] | None:
    """Decide, then load (no await in between). Raise a coded error if denied."""
    gateway = info.context.gateway
    path = _path(info)
    try:
        gateway.authorize_person(resident_id, category)
    except ConsentError as exc:
        gateway.record_denied(path, exc.code)
        raise _DENIALS[exc.code](exc.message) from None
    source = gateway.sources.person_source(category)
    if source is None:
        gateway.record_denied(path, "SOURCE_UNAVAILABLE")
        raise SourceFailed("UNAVAILABLE", f"no source is configured for {category} data")
    gateway.record_released(path)
    return gateway.load(source.name, resident_id)


async def finish(pending: Awaitable[Answer] | None, category: str, *, many: bool) -> Any:
    if pending is None:
        return None
    answer = await pending
    if answer.status == "NOT_FOUND":
        return [] if many else None
    if answer.status != "OK":
        raise SourceFailed(answer.status, f"the {category} source did not answer: "
                           f"{answer.detail or answer.status}")
    records = [to_graphql(r, PERSON_RECORD_TYPES) for r in answer.records]
    return records if many else (records[0] if records else None)


@strawberry.type(description="Person data; every field is one data category and needs a "
                             "consent covering it.")
class Person:
    id: strawberry.Private[str]

    @strawberry.field(description="household")
    async def household_registration(self, info: Info[RequestContext, None]
                                     ) -> HouseholdRegistration | None:
        return await finish(start(info, self.id, "household"), "household", many=False)  # type: ignore[no-any-return]

    @strawberry.field(description="residence_permit")
    async def residence_permit(self, info: Info[RequestContext, None]) -> ResidencePermit | None:
        return await finish(start(info, self.id, "residence_permit"), "residence_permit",  # type: ignore[no-any-return]
                            many=False)

    @strawberry.field(description="property")
    async def property_certificates(self, info: Info[RequestContext, None]
                                    ) -> list[PropertyRecord] | None:
        return await finish(start(info, self.id, "property"), "property", many=True)  # type: ignore[no-any-return]

    @strawberry.field(description="social_insurance")
    async def social_insurance_record(self, info: Info[RequestContext, None]
                                      ) -> SocialInsuranceRecord | None:
        return await finish(start(info, self.id, "social_insurance"), "social_insurance",  # type: ignore[no-any-return]
                            many=False)

    @strawberry.field(description="marriage")
    async def marriage(self, info: Info[RequestContext, None]) -> MarriageRecord | None:
        return await finish(start(info, self.id, "marriage"), "marriage", many=False)  # type: ignore[no-any-return]

    @strawberry.field(description="low_income")
    async def low_income_status(self, info: Info[RequestContext, None]) -> LowIncomeStatus | None:
        return await finish(start(info, self.id, "low_income"), "low_income", many=False)  # type: ignore[no-any-return]

    @strawberry.field(description="education")
    async def education(self, info: Info[RequestContext, None]) -> EducationRecord | None:
        return await finish(start(info, self.id, "education"), "education", many=False)  # type: ignore[no-any-return]

    @strawberry.field(description="birth_certificate")
    async def birth_certificate(self, info: Info[RequestContext, None]
                                ) -> BirthCertificate | None:
        return await finish(start(info, self.id, "birth_certificate"), "birth_certificate",  # type: ignore[no-any-return]
                            many=False)

    @strawberry.field(description="disability")
    async def disability_certificate(self, info: Info[RequestContext, None]
                                     ) -> DisabilityCertificate | None:
        return await finish(start(info, self.id, "disability"), "disability", many=False)  # type: ignore[no-any-return]

    @strawberry.field(description="credit")
    async def credit_report(self, info: Info[RequestContext, None]) -> CreditReport | None:
        return await finish(start(info, self.id, "credit"), "credit", many=False)  # type: ignore[no-any-return]

    @strawberry.field(description="vehicles")
    async def vehicles(self, info: Info[RequestContext, None]) -> list[Vehicle] | None:
        return await finish(start(info, self.id, "vehicles"), "vehicles", many=True)  # type: ignore[no-any-return]
