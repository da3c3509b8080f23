"""How each sandbox department words its answers: field names, value formats and envelopes.

The hub's connectors must cope with departments that were never designed together, so every
source renders the same canonical records its own way. The naming dialect and the formats chosen
here are also what `hub sandbox --print-config` writes into the hub's source configuration, the
way an integrator would transcribe a department's interface document.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from connectors.records import RECORD_TYPES
from sandbox.civic_names import CIVIC_PINYIN
from sandbox.departments import SourceSpec
from sandbox.synth import CHINA

__all__ = ["data_time", "envelope_names", "field_names", "render_body", "render_record"]

_PINYIN = {
    "decision_no": "cfjdswh", "authority": "cfjg", "decided_on": "cfrq", "summary": "wfss",
    "amount": "fkje", "rectified": "sfzg", "plate": "hphm", "vehicle_type": "cllx",
    "brand": "ppxh", "registered_on": "djrq", "status": "zt", "certificate_no": "zsh",
    "address": "zl", "area_m2": "mj", "usage": "yt", "encumbrance": "qlzt", "share": "gyfs",
    "scheme": "xz", "insured_count": "cbrs", "paid_through": "jfzzny", "paid_amount": "jfje",
    "arrears_amount": "qfje", "paid_last_year": "sndnse", "credit_grade": "nsxydj",
    "last_filed_on": "zhsbrq", "duties_paid": "yjsk", "declarations": "bgds",
    "last_cleared_on": "zhtgrq", "name": "xm", "legal_representative": "fddbr",
    "registered_capital": "zczb", "established_on": "clrq", "business_scope": "jyfw",
    "gender": "xb", "birth_date": "csrq", "household_head": "hzxm", "relation": "yhzgx",
    "permit_no": "jzzbh", "issued_on": "fzrq", "valid_until": "yxqz", "employer_name": "dwmc",
    "employer_uscc": "dwtyshxydm", "insured_since": "cbrq", "months_paid": "jfys",
    "last_paid_month": "zhjfny", "spouse_name": "poxm", "category": "lb", "since": "ksrq",
    "monthly_amount": "yje", "degree": "xl", "major": "zy", "school": "yxmc",
    "graduated_on": "byrq", "born_on": "cssj", "hospital": "csyy", "mother_name": "mqxm",
    "father_name": "fqxm", "grade": "dj", "report_no": "bgbh", "overdue_accounts": "yqzhs",
    "outstanding_loans": "dkye", "reported_on": "bgrq",
    "violation_type": "wflx", "penalty_kind": "cfzl", "major_violation": "sfzdwf", "fine_paid": "fkyjn",
    "rectified_on": "zgwcrq", "vin": "clsbdh", "seized": "sfcf", "seized_by": "cfdw",
    "mortgagee": "dyqr", "unit_no": "bdcdyh", "mortgage_amount": "bdbzqse",
    "arrears_months": "qfys", "arrears_from": "qfqsny", "arrears_to": "qfzzny", "late_fee": "znj",
    "personal_part": "grzhbf", "liability_ref": "qfhdh", "arrears_since": "qsqsny",
    "item": "szmc", "period_from": "ssqq", "period_to": "ssqz", "months": "ys",
    "assessed_on": "hdrq", "status_on": "ztbgrq", "registration_authority": "djjg",
}


def data_time(spec: SourceSpec, now: dt.datetime) -> dt.datetime:
    """When the department's data were last refreshed, as it says in its answers.

    Live sources answer from their production data (now); the others refresh every
    `refresh_h` hours, at 02:00 China time, daily runs every day and weekly ones on Monday."""
    local = now.astimezone(CHINA).replace(microsecond=0)
    if spec.refresh_h <= 0:
        return local
    run = local.replace(hour=2, minute=0, second=0)
    if run > local:
        run -= dt.timedelta(days=1)
    if spec.refresh_h >= 168:
        run -= dt.timedelta(days=run.weekday())
    return run


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() for p in rest)


def _pinyin(canonical: str) -> str:
    return _PINYIN.get(canonical) or CIVIC_PINYIN[canonical]


def _name(dialect: str, canonical: str) -> str:
    if dialect == "pinyin":
        return _pinyin(canonical)
    if dialect == "camel":
        return _camel(canonical)
    if dialect == "upper":
        return canonical.upper()
    if dialect == "prefixed":
        return "f_" + _pinyin(canonical)
    raise ValueError(f"unknown dialect {dialect}")


def field_names(spec: SourceSpec) -> dict[str, str]:
    """Canonical field name → the department's own name for it."""
    return {f.name: _name(spec.dialect, f.name) for f in RECORD_TYPES[spec.record]}


def envelope_names(spec: SourceSpec) -> dict[str, str]:
    """The department's names for the subject key, its records list and the request parameter."""
    person = spec.subject == "person"
    key = {
        "pinyin": "gmsfhm" if person else "tyshxydm",
        "camel": "idCardNo" if person else "creditCode",
        "upper": "SFZHM" if person else "USCC",
        "prefixed": "q_gmsfhm" if person else "q_tyshxydm",
    }[spec.dialect]
    if spec.keyed_by == "birth_certificate":
        key = {"pinyin": "cszmbh", "camel": "birthCertificateNo", "upper": "CSZMBH",
               "prefixed": "q_cszmbh"}[spec.dialect]
    records = {"pinyin": "jlxx", "camel": "records", "upper": "RECORDS", "prefixed": "x_jl"}
    ids = "certNos" if spec.keyed_by == "birth_certificate" else "idNos"
    param = {"list": ids if person else "codes", "hits": "ids", "map": "q",
             "single": key, "sql": key}[spec.envelope]
    return {"key": key, "records": records[spec.dialect], "param": param}


def _value(spec: SourceSpec, kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "date":
        assert isinstance(value, dt.date)
        if spec.date_format == "compact":
            return f"{value:%Y%m%d}"
        if spec.date_format == "slash":
            return f"{value:%Y/%m/%d}"
        if spec.date_format == "epoch_ms":
            moment = dt.datetime.combine(value, dt.time(), CHINA)
            return int(moment.timestamp() * 1000)
        return value.isoformat()
    if kind == "month":
        return value.replace("-", "") if spec.date_format == "compact" else value
    if kind == "money":
        if spec.money_unit == "fen":
            return int(value)
        if spec.money_unit == "yuan_str":
            return f"{value / 100:.2f}"
        return round(value / 100, 2)
    if kind == "bool":
        if spec.bool_style == "digit":
            return "1" if value else "0"
        if spec.bool_style == "zh":
            return "是" if value else "否"
        return bool(value)
    return value


def render_record(spec: SourceSpec, record: Mapping[str, Any]) -> dict[str, Any]:
    """One canonical record in the department's own words."""
    names = field_names(spec)
    return {names[f.name]: _value(spec, f.kind, record.get(f.name))
            for f in RECORD_TYPES[spec.record]}


def render_body(spec: SourceSpec, answers: Sequence[tuple[str, list[dict[str, Any]] | None]],
                data_as_of: dt.datetime) -> dict[str, Any]:
    """The department's JSON answer for (subject key, records or None if unknown) pairs."""
    names = envelope_names(spec)
    key, recs = names["key"], names["records"]
    as_of = data_as_of.isoformat()
    if spec.envelope == "list":
        items = [{key: k, "exists": r is not None,
                  recs: [render_record(spec, x) for x in (r or [])]} for k, r in answers]
        return {"code": 0, "msg": "success", "data": {"updateTime": as_of, "list": items}}
    if spec.envelope == "hits":
        hits = [{key: k, **render_record(spec, x)} for k, r in answers for x in (r or [])]
        return {"success": True, "result": {
            "asOf": as_of, "hits": hits,
            "empty": [k for k, r in answers if r is not None and not r],
            "unknown": [k for k, r in answers if r is None]}}
    if spec.envelope == "map":
        rows = {k: {"exists": "0" if r is None else "1",
                    "items": [render_record(spec, x) for x in (r or [])]} for k, r in answers}
        return {"status": "00", "message": "成功", "sjsj": as_of, "rows": rows}
    if spec.envelope == "single":
        ((k, r),) = answers
        if r is None:
            return {"code": "404", "message": "未查询到该主体"}
        return {"code": "200", "message": "success",
                "data": {key: k, "updated": as_of, recs: [render_record(spec, x) for x in r]}}
    raise ValueError(f"{spec.name}: envelope {spec.envelope} is not served over HTTP")
