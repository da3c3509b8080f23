"""Record types of the data the 21 "one things" need, beyond the checks and the first matters.

Written as `name:kind` lists (a trailing `?` marks a field a department may leave empty), in the
notation of `connectors.records`, which parses them into `RECORD_TYPES`. Money is fen, as
everywhere in the hub; dates are dates; `month` is YYYY-MM.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["CIVIC_RECORDS"]

CIVIC_RECORDS: Mapping[str, str] = {
    # Person data.
    "vaccination": (
        "card_no:str doses:int schedule_complete:bool last_vaccine:str last_dose_on:date "
        "clinic:str"
    ),
    "medical_insurance": (
        "insurance_type:str insured_since:date status:str employer_name:str? "
        "account_balance:money designated_hospital:str remote_filing:str? "
        "chronic_disease:str? family_mutual_aid:bool"
    ),
    "fund_account": (
        "account_no:str employer_name:str opened_on:date status:str monthly_deposit:money "
        "balance:money paid_through:month deposit_months:int"
    ),
    "exit_entry": (
        "document_no:str document_valid_until:date trips:int last_exit_on:date? "
        "last_entry_on:date? last_destination:str?"
    ),
    "veteran": (
        "certificate_no:str enlisted_on:date discharged_on:date branch:str rank:str "
        "placement:str subsidy_amount:money reported_on:date?"
    ),
    "overseas_degree": (
        "certificate_no:str degree:str institution:str country:str major:str awarded_on:date "
        "verified_on:date"
    ),
    "ss_card": "card_no:str bank:str issued_on:date status:str generation:str electronic:bool",
    "pension": (
        "insured_since:date paid_months:int deemed_months:int account_balance:money "
        "retirement_date:date special_work_months:int"
    ),
    "one_child": "certificate_no:str issued_on:date child_name:str",
    "disability_subsidy": "living_subsidy:money care_subsidy:money since:date status:str",
    "subsidised_housing": "kind:str address:str since:date status:str",
    "contract_filing": (
        "contract_no:str property_address:str area_m2:float total_price:money filed_on:date "
        "seller:str"
    ),
    "newborn": (
        "certificate_no:str name:str gender:str born_on:date birth_weight_g:int hospital:str "
        "mother_name:str mother_id:str father_name:str father_id:str issued_on:date"
    ),
    # A newborn's vaccination card (预防接种证) is opened at birth, before it has an ID: keyed by
    # the birth medical certificate number, it names the guardian it was issued to.
    "newborn_vaccination": (
        "birth_cert_no:str card_no:str doses:int last_vaccine:str last_dose_on:date "
        "clinic:str guardian_name:str guardian_id:str"
    ),
    # Enterprise data.
    "business_licence": (
        "licence_no:str name:str entity_type:str legal_representative:str "
        "registered_capital:money established_on:date term_until:date? address:str "
        "business_scope:str authority:str issued_on:date"
    ),
    "seal_filing": "seal_count:int kinds:str filed_on:date maker:str status:str",
    "bank_account": "bank:str account_no:str opened_on:date approval_no:str status:str",
    "tax_registration": (
        "taxpayer_type:str tax_authority:str registered_on:date tax_device:str "
        "unreturned_invoices:int unfiled_returns:int arrears_amount:money clearance:str"
    ),
    "si_registration": (
        "registration_no:str registered_on:date insured_count:int paid_through:month "
        "arrears_amount:money status:str"
    ),
    "fund_unit": (
        "unit_account_no:str deposit_ratio:str employees:int paid_through:month "
        "arrears_amount:money status:str"
    ),
    "motor_vehicle": (
        "plate:str vehicle_type:str brand:str vin:str registered_on:date axles:int "
        "total_mass_kg:int length_mm:int width_mm:int height_mm:int inspection_until:date "
        "status:str"
    ),
    "transport_permit": "permit_no:str scope:str issued_on:date valid_until:date vehicles:int",
    "transport_vehicle": (
        "plate:str certificate_no:str vehicle_type:str axles:int total_mass_kg:int "
        "length_mm:int width_mm:int height_mm:int valid_until:date"
    ),
    "oversize_permit": (
        "permit_no:str plate:str cargo:str route:str total_mass_kg:int valid_until:date"
    ),
    "construction_permit": (
        "permit_no:str project:str site_address:str floor_area_m2:float issued_on:date "
        "authority:str"
    ),
    "utility_account": (
        "account_no:str utility:str address:str capacity:str opened_on:date status:str"
    ),
    "credit_record": (
        "kind:str decision_no:str authority:str listed_on:date publicity_until:date "
        "repairable:bool repair_status:str"
    ),
    "annual_report": (
        "year:int employees:int total_assets:money revenue:money total_tax:money "
        "net_profit:money filed_on:date"
    ),
    "financial_statement": (
        "year:int total_assets:money total_liabilities:money revenue:money net_profit:money "
        "tax_paid:money filed_on:date"
    ),
    "customs_filing": "filing_no:str registered_on:date kind:str status:str credit_grade:str",
}
