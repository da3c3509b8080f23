"""The words a clerk reads: verdicts, domain conclusions and one-line record summaries, zh or en.

Used by the printable 告知书 (always Chinese) and by `hub check` (Chinese or English). Money is
held in fen and shown in yuan with two decimals; a value a department did not give is "—".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from connectors.catalogue import CheckKind, domain_info
from hub.report.view import DomainView

__all__ = ["KIND_TITLES", "Lang", "conclusion", "domain_title", "money", "summarise",
           "verdict_text", "word"]

Lang = Literal["zh", "en"]

KIND_TITLES = {
    "IPO_COMPLIANCE": {"zh": "企业上市合法合规信息核查", "en": "IPO compliance check"},
    "BANKRUPTCY": {"zh": "企业破产信息核查", "en": "bankruptcy information check"},
}
_VERDICTS = {
    "CLEAN": {"zh": "未发现问题", "en": "no findings"},
    "FINDINGS": {"zh": "发现问题", "en": "findings"},
    "INCOMPLETE": {"zh": "核查不完整（部分部门未答复或数据不可用）",
                   "en": "incomplete (a department did not answer or its data are unusable)"},
    "SUBJECT_UNKNOWN": {"zh": "登记机关无此企业，未进行核查",
                        "en": "the registry does not know this enterprise; nothing was checked"},
}
_WORDS = {
    "domain": ("领域", "domain"), "department": ("核查部门", "department"),
    "conclusion": ("结论", "conclusion"), "as_of": ("数据日期", "data as of"),
    "records": ("记录", "records"), "verdict": ("核查结论", "verdict"),
    "report": ("报告编号", "report"), "checked_at": ("核查时间", "checked at"),
    "signed_by": ("签名密钥", "signed by key"), "case": ("案号", "case"),
    "period": ("核查期间", "period"), "subject": ("被核查主体", "subject"),
    "status": ("登记状态", "registration status"), "basis": ("依据", "legal basis"),
    "detail": ("说明", "detail"), "no": ("序号", "no."), "base_date": ("受理日", "base date"),
}
_SCHEMES = {"social_insurance": "社会保险", "medical_insurance": "职工医疗保险",
            "housing_fund": "住房公积金"}


def word(key: str, lang: Lang) -> str:
    zh, en = _WORDS[key]
    return zh if lang == "zh" else en


def domain_title(kind: str, d: DomainView, lang: Lang) -> str:
    """The domain's name: the report's own (Chinese), or in English the catalogue's name for
    the check's domain (its code when the check or the domain is not in the catalogue)."""
    if lang == "zh":
        return d.title
    try:
        info = domain_info(CheckKind(kind), d.domain)
    except ValueError:
        return d.domain
    return d.domain if info is None else info.english


def verdict_text(verdict: str, lang: Lang) -> str:
    return _VERDICTS.get(verdict, {}).get(lang, verdict)


def money(fen: Any) -> str:
    if not isinstance(fen, int) or isinstance(fen, bool):
        return "—"
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}¥{yuan:,}.{cents:02d}"


def conclusion(d: DomainView, lang: Lang) -> str:
    """One domain's conclusion in words."""
    zh = lang == "zh"
    status = d.status
    if status == "OK":
        found = len(d.findings)
        if found and d.domain == "registration":
            status_text = next((str(r.get("status")) for r in d.findings), "")
            return f"登记状态：{status_text}" if zh else f"registration status: {status_text}"
        if found:
            return f"发现问题 {found} 项" if zh else f"{found} finding(s)"
        statuses = list(dict.fromkeys(str(r.get("status")) for r in d.records
                                      if r.get("type") == "contribution" and r.get("status")))
        if d.records and len(statuses) == len(d.records) == 1:
            # A contribution record without arrears: its status says more than a count
            return f"缴存状态：{statuses[0]}" if zh else f"contributions: {statuses[0]}"
        if d.records:
            return f"有记录 {len(d.records)} 条" if zh else f"{len(d.records)} record(s)"
        return "无记录" if zh else "no record"
    texts = {
        "NOT_FOUND": ("无记录（该部门未登记此企业）", "no record (not held by this department)"),
        "STALE": ("数据过期，不能作为依据", "data too old to rely on"),
        "UNAVAILABLE": ("未获答复", "no answer"),
        "INVALID": ("答复无法识别", "answer not understood"),
        "DISABLED": ("未纳入核查", "not included"),
    }
    pair = texts.get(status)
    return status if pair is None else pair[0 if zh else 1]


def _owes(record: Mapping[str, Any]) -> bool:
    """Arrears in the record, counted or not (a reconciled record still shows its amounts)."""
    arrears = record.get("arrears_amount")
    return isinstance(arrears, int) and not isinstance(arrears, bool) and arrears > 0


def _yes(value: Any, yes: str, no: str) -> str:
    return "—" if value is None else yes if value else no


def summarise(record: Mapping[str, Any]) -> str:
    """One line about one record, in Chinese (the departments' own words)."""
    r = record
    kind = r.get("type")
    if kind == "violation":
        parts = [str(r.get("decision_no", "")), str(r.get("authority", "")),
                 str(r.get("decided_on", "")), str(r.get("summary", ""))]
        if r.get("violation_type"):
            parts.append(f"类型：{r['violation_type']}")
        if r.get("major_violation"):
            parts.append("重大违法")
        if r.get("penalty_kind"):
            parts.append(f"处罚：{r['penalty_kind']}")
        if r.get("amount"):
            parts.append(f"罚款{money(r.get('amount'))}（{_yes(r.get('fine_paid'), '已缴纳', '未缴纳')}）")
        rectified = "已整改" if r.get("rectified") else "未整改"
        if r.get("rectified_on"):
            rectified += f"（{r['rectified_on']}）"
        parts.append(rectified)
        return " ".join(p for p in parts if p)
    if kind == "contribution":
        scheme = _SCHEMES.get(str(r.get("scheme")), str(r.get("scheme")))
        text = (f"{scheme} 参保{r.get('insured_count')}人 缴至{r.get('paid_through')}"
                + (f" {r['status']}" if r.get("status") else ""))
        if _owes(r):
            text += (f" 欠缴{r.get('arrears_months') or '?'}个月"
                     f"（{r.get('arrears_from') or '?'}至{r.get('arrears_to') or '?'}）"
                     f"{money(r.get('arrears_amount'))} 滞纳金{money(r.get('late_fee'))}")
            if r.get("liability_ref"):
                text += f" 核定编号{r['liability_ref']}"
        return text
    if kind == "arrears":
        text = (f"欠缴{r.get('item')} {r.get('period_from')}至{r.get('period_to')}"
                f"（{r.get('months')}个月）{money(r.get('arrears_amount'))} "
                f"滞纳金{money(r.get('late_fee'))}")
        return text + (f" {r['liability_ref']}" if r.get("liability_ref") else "")
    if kind in ("tax_account", "customs_account"):
        paid = r.get("paid_last_year") if kind == "tax_account" else r.get("duties_paid")
        label = "上年纳税" if kind == "tax_account" else "已缴税款"
        text = f"{label}{money(paid)}"
        if kind == "tax_account":
            text += f" 纳税信用{r.get('credit_grade')}级"
        if _owes(r):
            text += (f" 欠缴{money(r.get('arrears_amount'))}（自{r.get('arrears_since') or '?'}，"
                     f"{r.get('arrears_months') or '?'}个月）滞纳金{money(r.get('late_fee'))}")
        return text
    if kind == "vehicle":
        text = (f"{r.get('plate')} {r.get('brand')}{r.get('vehicle_type')}"
                + (f" VIN {r['vin']}" if r.get("vin") else "") + f" {r.get('status')}")
        if r.get("seized_by"):
            text += f" 查封机关：{r['seized_by']}"
        if r.get("mortgagee"):
            text += f" 抵押权人：{r['mortgagee']}"
        return text
    if kind == "property":
        text = (f"{r.get('certificate_no')} {r.get('address')} {r.get('area_m2')}㎡ "
                f"{r.get('usage')}" + (f" 单元号{r['unit_no']}" if r.get("unit_no") else ""))
        if r.get("mortgagee"):
            text += f" 抵押权人：{r['mortgagee']} {money(r.get('mortgage_amount'))}"
        if r.get("seized_by"):
            text += f" 查封机关：{r['seized_by']}"
        return text
    if kind == "registration":
        return (f"{r.get('name')} 法定代表人{r.get('legal_representative')} "
                f"成立于{r.get('established_on')} 注册资本{money(r.get('registered_capital'))} "
                f"状态：{r.get('status')}"
                + (f"（{r['status_on']}）" if r.get("status_on") else ""))
    values = ", ".join(f"{k}={v}" for k, v in r.items() if k != "type")
    return f"{kind}: {values}"
