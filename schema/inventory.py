"""The bankruptcy check as an inventory: what the enterprise owns, and what it owes, by class.

Pure functions of the domain outcomes. Two steps:

1. **Reconcile.** Social and medical insurance are assessed by 人社局 / 医保局 and collected by the
   tax bureau, so both report the same liability (one `liability_ref`, one scheme). Each such
   liability is counted once: the answer that has booked the most recent payment (the later
   `paid_through`, then the later data date, then the assessing department, listed first) is
   kept, the other is shown but not counted, and when the two differ both domain rows are
   marked (`disagreement`, which makes them `disputed`) with a detail saying which was kept and
   why. Two arrears of one scheme with
   two different references are two liabilities and both count.
2. **Group by creditor class** in the order of 《企业破产法》: secured claims on the debtor's
   property first (第一百零九条, 别除权: mortgages on its real estate and vehicles), then 第一百一十三条
   (一) what is owed to employees — the part of social insurance that belongs in their individual
   accounts, and the housing fund (all of it is the employees'), (二) the rest of social
   insurance and the taxes (duties included), (三) ordinary claims: late fees (滞纳金; 法释
   〔2012〕9号 makes a tax late fee an ordinary claim). Amounts are integer fen; a total adds the
   amounts the departments gave.

Only domains that answered OK count. A base date (受理日) adds the note that late fees run only to
that day (第四十六条), since the departments compute them to their data date.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from connectors.records import Record
from schema.checks import FAILED, DomainOutcome, money_text

__all__ = ["CLASS_TITLES", "AssetGroup", "CreditorClass", "CreditorGroup", "Inventory",
           "Liability", "Reconciliation", "build_inventory", "reconcile"]

CreditorClass = Literal["SECURED", "EMPLOYEE", "SOCIAL_AND_TAX", "ORDINARY"]
# code → (order in 第一百一十三条 or None, title, basis)
CLASS_TITLES: dict[CreditorClass, tuple[int | None, str, str]] = {
    "SECURED": (None, "有财产担保的债权（别除权，就担保物优先受偿）", "《企业破产法》第一百零九条"),
    "EMPLOYEE": (1, "第一顺序：职工债权（应划入职工个人账户的社会保险费、住房公积金）",
                 "《企业破产法》第一百一十三条第一款第（一）项"),
    "SOCIAL_AND_TAX": (2, "第二顺序：其他社会保险费用和所欠税款",
                       "《企业破产法》第一百一十三条第一款第（二）项"),
    "ORDINARY": (3, "第三顺序：普通破产债权（滞纳金等）",
                 "《企业破产法》第一百一十三条第一款第（三）项；法释〔2012〕9号"),
}
_SCHEMES = {"social_insurance": "社会保险费", "medical_insurance": "职工医疗保险费",
            "housing_fund": "住房公积金"}
_ASSET_DOMAINS = ("vehicles", "real_estate", "buildings")


@dataclass(frozen=True, slots=True)
class Liability:
    creditor_class: CreditorClass
    domain: str
    department: str
    source: str
    item: str
    amount: int  # fen
    months: int | None = None
    period_from: str | None = None
    period_to: str | None = None
    liability_ref: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class CreditorGroup:
    code: CreditorClass
    order: int | None
    title: str
    basis: str
    total: int
    items: tuple[Liability, ...]


@dataclass(frozen=True, slots=True)
class AssetGroup:
    domain: str
    title: str
    department: str
    count: int
    seized: int
    mortgaged: int
    area_m2: float | None  # real estate and buildings


@dataclass(frozen=True, slots=True)
class Reconciliation:
    domain: str
    scheme: str
    liability_ref: str | None
    kept_source: str
    kept_department: str
    other_source: str
    other_department: str
    kept_amount: int
    other_amount: int
    disputed: bool
    reason: str


@dataclass(frozen=True, slots=True)
class Inventory:
    base_date: dt.date | None
    classes: tuple[CreditorGroup, ...]
    assets: tuple[AssetGroup, ...]
    reconciliations: tuple[Reconciliation, ...]
    total: int  # every class but the secured claims, fen
    secured: int
    notes: tuple[str, ...]


def _int(record: Record, name: str) -> int:
    value = record.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _text(record: Record, name: str) -> str | None:
    value = record.get(name)
    return value if isinstance(value, str) and value else None


def _owes(record: Record) -> bool:
    return _int(record, "arrears_amount") > 0


# -- reconciliation ----------------------------------------------------------------------------

def _same_liability(a: Record, b: Record) -> bool:
    ref_a, ref_b = _text(a, "liability_ref"), _text(b, "liability_ref")
    return not (_owes(a) and _owes(b) and ref_a and ref_b and ref_a != ref_b)


def _differs(a: Record, b: Record) -> bool:
    return any(a.get(k) != b.get(k) for k in ("arrears_amount", "arrears_months", "late_fee",
                                                "paid_through", "liability_ref"))


def _reason(kept: DomainOutcome, kept_r: Record, other: DomainOutcome, other_r: Record,
            disputed: bool) -> str:
    ref = _text(kept_r, "liability_ref") or _text(other_r, "liability_ref")
    same = f"（核定编号 {ref}）" if ref else ""
    if not disputed:
        return (f"{other.department}与{kept.department}报告的是同一笔欠费{same}，两部门答复一致，"
                f"只计一次（采用{kept.department}的答复）")
    why = (f"已入账至 {kept_r.get('paid_through')}，缴费记录较新"
           if kept_r.get("paid_through") != other_r.get("paid_through")
           else "两部门入账月份相同，按核定部门的答复")
    return (f"{other.department}与{kept.department}报告的是同一笔欠费{same}，但答复不一致："
            f"{other.department}欠缴 {money_text(_int(other_r, 'arrears_amount'))}"
            f"（{other_r.get('arrears_months') or 0}个月），{kept.department}欠缴 "
            f"{money_text(_int(kept_r, 'arrears_amount'))}（{kept_r.get('arrears_months') or 0}"
            f"个月）；采用{kept.department}的答复（{why}），只计一次")


def _newer(a: tuple[int, DomainOutcome, Record], b: tuple[int, DomainOutcome, Record]) -> bool:
    """Whether `a` has booked more recent payments than `b` (ties: the earlier in the plan)."""
    _, oa, ra = a
    _, ob, rb = b
    pa, pb = str(ra.get("paid_through") or ""), str(rb.get("paid_through") or "")
    if pa != pb:
        return pa > pb
    ta, tb = oa.as_of, ob.as_of
    if ta is not None and tb is not None and ta != tb:
        return ta > tb
    return a[0] < b[0]


def reconcile(outcomes: Sequence[DomainOutcome]
              ) -> tuple[tuple[DomainOutcome, ...], tuple[Reconciliation, ...]]:
    """Count each liability reported by two departments once; mark disagreements."""
    result = list(outcomes)
    found: list[Reconciliation] = []
    by_domain: dict[str, list[int]] = {}
    for i, o in enumerate(outcomes):
        if o.status == "OK":
            by_domain.setdefault(o.domain.code, []).append(i)
    for code, members in by_domain.items():
        if len(members) < 2:
            continue
        details: dict[int, list[str]] = {}
        for scheme in sorted({str(r.get("scheme")) for i in members for r in outcomes[i].records
                              if r.type == "contribution"}):
            entries = [(i, outcomes[i], r) for i in members
                       for r in outcomes[i].records
                       if r.type == "contribution" and r.get("scheme") == scheme]
            while len(entries) > 1:
                first = entries.pop(0)
                partner = next((e for e in entries if e[0] != first[0]
                                and _same_liability(first[2], e[2])), None)
                if partner is None:
                    continue
                entries.remove(partner)
                if not (_owes(first[2]) or _owes(partner[2])):
                    continue  # one account, nothing owed on either side: nothing to count twice
                kept, other = (first, partner) if _newer(first, partner) else (partner, first)
                disputed = _differs(kept[2], other[2])
                reason = _reason(kept[1], kept[2], other[1], other[2], disputed)
                found.append(Reconciliation(
                    code, scheme, _text(kept[2], "liability_ref") or _text(other[2],
                                                                        "liability_ref"),
                    kept[1].source, kept[1].department, other[1].source, other[1].department,
                    _int(kept[2], "arrears_amount"), _int(other[2], "arrears_amount"),
                    disputed, reason))
                index = outcomes[other[0]].records.index(other[2])
                result[other[0]] = dataclasses.replace(
                    result[other[0]], superseded=(*result[other[0]].superseded, index),
                    disagreement=result[other[0]].disagreement or disputed)
                result[kept[0]] = dataclasses.replace(
                    result[kept[0]], disagreement=result[kept[0]].disagreement or disputed)
                for i in (kept[0], other[0]):
                    details.setdefault(i, []).append(reason)
        for i, texts in details.items():
            joined = "；".join(texts)
            current = result[i].detail
            result[i] = dataclasses.replace(result[i], detail=f"{current}；{joined}" if current
                                            else joined)
    return tuple(result), tuple(found)


# -- creditor classes --------------------------------------------------------------------------

def _liability(cls: CreditorClass, o: DomainOutcome, r: Record, item: str, amount: int,
               note: str | None = None, *, months_field: str = "arrears_months",
               since_field: str = "arrears_from") -> Liability:
    months = r.get(months_field)
    return Liability(cls, o.domain.code, o.department, o.source, item, amount,
                     months if isinstance(months, int) and not isinstance(months, bool) else None,
                     _text(r, since_field), _text(r, "arrears_to"), _text(r, "liability_ref"),
                     note)


def _contribution(o: DomainOutcome, r: Record) -> list[Liability]:
    scheme = str(r.get("scheme"))
    name = _SCHEMES.get(scheme, scheme)
    owed = _int(r, "arrears_amount")
    out: list[Liability] = []
    if owed > 0:
        personal = r.get("personal_part")
        if scheme == "housing_fund":
            out.append(_liability("EMPLOYEE", o, r, f"欠缴{name}（职工个人账户）", owed))
        elif isinstance(personal, int) and not isinstance(personal, bool):
            part = min(max(personal, 0), owed)
            if part:
                out.append(_liability("EMPLOYEE", o, r, f"欠缴{name}（应划入职工个人账户部分）", part))
            if owed - part:
                out.append(_liability("SOCIAL_AND_TAX", o, r, f"欠缴{name}（其他部分）", owed - part))
        else:
            out.append(_liability("SOCIAL_AND_TAX", o, r, f"欠缴{name}", owed,
                                  "部门未区分应划入职工个人账户的部分，全部列入第二顺序，请管理人核实"))
    fee = _int(r, "late_fee")
    if fee:
        out.append(_liability("ORDINARY", o, r, f"{name}滞纳金", fee))
    return out


def _account(o: DomainOutcome, r: Record, owed_item: str, fee_item: str) -> list[Liability]:
    out: list[Liability] = []
    owed, fee = _int(r, "arrears_amount"), _int(r, "late_fee")
    if owed:
        out.append(_liability("SOCIAL_AND_TAX", o, r, owed_item, owed,
                              since_field="arrears_since"))
    if fee:
        out.append(_liability("ORDINARY", o, r, fee_item, fee, since_field="arrears_since"))
    return out


def _secured(o: DomainOutcome, r: Record) -> list[Liability]:
    mortgagee = _text(r, "mortgagee")
    if mortgagee is None:
        return []
    what = _text(r, "certificate_no") or _text(r, "plate") or ""
    amount = _int(r, "mortgage_amount")
    note = None if r.get("mortgage_amount") is not None else "登记信息未载明被担保债权数额"
    return [Liability("SECURED", o.domain.code, o.department, o.source,
                      f"抵押权人：{mortgagee}（{what}）", amount, note=note)]


def _liabilities(o: DomainOutcome, r: Record) -> list[Liability]:
    if r.type == "contribution":
        return _contribution(o, r)
    if r.type == "tax_account":
        return _account(o, r, "欠缴税款", "税款滞纳金")
    if r.type == "customs_account":
        return _account(o, r, "欠缴海关税款", "海关税款滞纳金")
    if r.type in ("property", "vehicle"):
        return _secured(o, r)
    return []


def _assets(outcomes: Sequence[DomainOutcome]) -> tuple[AssetGroup, ...]:
    groups = []
    for o in outcomes:
        if o.domain.code not in _ASSET_DOMAINS or o.status != "OK":
            continue
        rows = o.records
        areas = [r.get("area_m2") for r in rows]
        area = (round(sum(a for a in areas if isinstance(a, int | float)), 2)
                if o.domain.code != "vehicles" else None)
        groups.append(AssetGroup(
            o.domain.code, o.domain.title, o.department, len(rows),
            sum(1 for r in rows if r.get("seized") is True or _text(r, "seized_by")),
            sum(1 for r in rows if _text(r, "mortgagee")), area))
    return tuple(groups)


def build_inventory(outcomes: Sequence[DomainOutcome], base_date: dt.date | None
                    ) -> tuple[tuple[DomainOutcome, ...], Inventory]:
    """Reconcile the outcomes, then list assets and liabilities by creditor class."""
    reconciled, reconciliations = reconcile(outcomes)
    items: list[Liability] = []
    notes: list[str] = []
    for o in reconciled:
        if o.status != "OK":
            if o.status in FAILED:
                notes.append(f"{o.domain.title}（{o.department or '未配置'}）未获有效答复，清单不完整")
            continue
        for r in o.counted_records():
            items += _liabilities(o, r)
    if base_date is not None and any(i.creditor_class == "ORDINARY" for i in items):
        notes.append(f"滞纳金由各部门计至其数据日期；受理日（{base_date}）之后的部分不属于破产债权"
                     "（《企业破产法》第四十六条），请以主管部门核定为准")
    classes = []
    for code, (order, title, basis) in CLASS_TITLES.items():
        members = tuple(i for i in items if i.creditor_class == code)
        classes.append(CreditorGroup(code, order, title, basis, sum(i.amount for i in members),
                                     members))
    secured = classes[0].total
    total = sum(g.total for g in classes[1:])
    return reconciled, Inventory(base_date, tuple(classes), _assets(reconciled),
                                 reconciliations, total, secured, tuple(notes))
