"""Pinyin initials of the matters' new field names, for the departments that name fields so.

The check and person departments' names are in `sandbox.render`; a department of the matters
that writes pinyin abbreviations (`dialect = "pinyin"` or `"prefixed"`) takes its names here.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["CIVIC_PINYIN"]

CIVIC_PINYIN: Mapping[str, str] = {
    "card_no": "kh", "doses": "jzjc", "schedule_complete": "sfqc", "last_vaccine": "zhjzym",
    "last_dose_on": "zhjzrq", "clinic": "jzdw", "insurance_type": "cblx",
    "account_balance": "zhye", "designated_hospital": "ddyy", "remote_filing": "ydjyba",
    "chronic_disease": "mtb", "family_mutual_aid": "jtgj", "account_no": "zh",
    "opened_on": "khrq", "monthly_deposit": "yjce", "balance": "ye", "deposit_months": "jcys",
    "document_no": "zjhm", "document_valid_until": "zjyxq", "trips": "crjcs",
    "last_exit_on": "zjcjrq", "last_entry_on": "zjrjrq", "last_destination": "zjmdd",
    "enlisted_on": "rwrq", "discharged_on": "tyrq", "branch": "jz", "rank": "jx",
    "placement": "azfs", "subsidy_amount": "bzje", "institution": "yx", "country": "gb",
    "awarded_on": "syrq", "verified_on": "rzrq", "bank": "khyh", "generation": "kdj",
    "electronic": "dzsbk", "paid_months": "sjjfys", "deemed_months": "stjfys",
    "retirement_date": "fdtxrq", "special_work_months": "tsgzys", "child_name": "znxm",
    "living_subsidy": "shbt", "care_subsidy": "hlbt", "kind": "zl", "contract_no": "htbh",
    "property_address": "fwzl", "total_price": "zj", "filed_on": "barq", "seller": "cmr",
    "birth_weight_g": "cstz", "mother_id": "mqsfzh", "father_id": "fqsfzh",
    "birth_cert_no": "cszmh", "guardian_name": "jhrxm", "guardian_id": "jhrsfzh",
    "licence_no": "zzbh", "entity_type": "qylx", "term_until": "yyqxz", "seal_count": "yzsl",
    "kinds": "yzzl", "maker": "kzdw", "approval_no": "hzh", "taxpayer_type": "nsrlx",
    "tax_authority": "zgswjg", "tax_device": "skkb", "unreturned_invoices": "wjxfp",
    "unfiled_returns": "wsbqs", "clearance": "qszt", "registration_no": "djbh",
    "unit_account_no": "dwzh", "deposit_ratio": "jcbl", "employees": "zgrs", "vin": "clsbdh",
    "axles": "zs", "total_mass_kg": "zzl", "length_mm": "cc", "width_mm": "ck",
    "height_mm": "cg", "inspection_until": "jyyxq", "scope": "jyfw", "vehicles": "cls",
    "cargo": "hwmc", "route": "txlx", "project": "xmmc", "site_address": "xmdz",
    "floor_area_m2": "jzmj", "utility": "yhlb", "capacity": "rl", "listed_on": "lrrq",
    "publicity_until": "gsjzrq", "repairable": "kxf", "repair_status": "xfzt", "year": "nd",
    "total_assets": "zcze", "revenue": "yysr", "total_tax": "nsze", "net_profit": "jlr",
    "total_liabilities": "fzze", "tax_paid": "yjse", "filing_no": "babm",
}
