"""Filling a matter's form from what the departments answered: pure, no I/O, no decisions.

The gateway decides and fetches; for every (role, category) the form needs it hands over either
what the department answered (`Obtained`) or why nothing was obtained (`Missing`: the coded
refusal or failure). `fill` turns that into the form: each field's value as text (money in yuan
with two decimals and unit CNY, dates ISO 8601), where it came from and how current it is; the
materials that shared data replaces and the ones still to bring; the gaps, each with its code
and the reason in words a clerk reads; and `share` = filled fields ÷ fields. A material backed
by an electronic licence (`Material.licence`) is waived only when the hub verified the
subject's licence VALID (`LicenceCheck`); an expired, revoked or forged one, or none, leaves it
required and says why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from connectors.catalogue import CATEGORY_RECORDS, ENTERPRISE_CATEGORIES, PERSON_CATEGORIES
from connectors.records import RECORD_TYPES, FieldValue, Record
from licence.catalogue import LICENCE_TYPES
from matters.spec import FormField, Material, Matter, Role, RoleSpec

__all__ = ["FilledField", "FilledForm", "Gap", "LicenceCheck", "MaterialState", "Missing",
           "Obtained", "category_label", "fill", "money_text", "reason_for"]


@dataclass(frozen=True, slots=True)
class Obtained:
    """A department's answer about one subject and category (records None: it holds none)."""

    records: tuple[Record, ...] | None
    source: str
    department: str
    as_of: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Missing:
    """Why nothing was obtained: a code (the coded refusal or failure) and its English detail."""

    code: str
    detail: str
    department: str = ""


Outcome = Obtained | Missing


@dataclass(frozen=True, slots=True)
class LicenceCheck:
    """What the hub found of one subject's electronic licence of one type: the verification of
    the best one held (None: none held), or the code that kept it from looking."""

    verification: str | None = None  # VALID, EXPIRED, REVOKED, BAD_SIGNATURE, …
    number: str | None = None
    code: str | None = None  # a refusal or failure (CONSENT_REQUIRED, SOURCE_UNAVAILABLE, …)
    department: str = ""


_LICENCE_WORDS = {
    "EXPIRED": "已过期", "NOT_YET_VALID": "尚未生效", "REVOKED": "已被注销或吊销",
    "BAD_SIGNATURE": "验签失败，不是发证机关签发的原件", "UNKNOWN_ISSUER": "的颁发机构不在本中枢信任之列",
}


@dataclass(frozen=True, slots=True)
class FilledField:
    field: FormField
    role: Role
    value: str | None
    unit: str | None
    source: str | None = None
    department: str | None = None
    as_of: dt.datetime | None = None
    verified: bool = False
    code: str | None = None  # why it is empty (None when filled or left to the applicant)
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Gap:
    role: Role
    category: str
    code: str
    reason: str  # Chinese, what a clerk reads
    detail: str  # English, for the integrator
    fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MaterialState:
    material: Material
    waived: bool
    reason: str


@dataclass(frozen=True, slots=True)
class FilledForm:
    fields: tuple[FilledField, ...]
    waived: tuple[MaterialState, ...]
    required: tuple[MaterialState, ...]
    gaps: tuple[Gap, ...]
    filled: int
    total: int

    @property
    def share(self) -> float:
        return round(self.filled / self.total, 3) if self.total else 0.0


def category_label(category: str) -> str:
    """The Chinese name of a data category ("户籍")."""
    text = PERSON_CATEGORIES.get(category) or ENTERPRISE_CATEGORIES.get(category) or category
    return text.split(" ", 1)[0]


def reason_for(code: str, role: RoleSpec, category: str, department: str) -> str:
    """Why a category could not be used, in the words a window clerk reads."""
    who, what, dept = role.label, f"“{category_label(category)}”", department or "相关部门"
    reasons = {
        "CONSENT_REQUIRED": f"未取得{who}对{what}数据的授权：请{who}授权后重试，或提交纸质材料",
        "CONSENT_INVALID": f"{who}的授权无效（已撤回、过期、次数用尽或不属于本事项）：请重新授权",
        "FORBIDDEN": f"本事项不调用{who}的{what}数据",
        "PURPOSE_REQUIRED": "请求未声明办理事项：请带上 X-Hub-Purpose",
        "SOURCE_UNAVAILABLE": f"{dept}暂时无法查询{what}：请稍后重试，或请申请人提交纸质材料",
        "SOURCE_INVALID": f"{dept}返回的{what}数据不符合约定格式，已拒收：请稍后重试，或请申请人"
                          "提交纸质材料",
        "NOT_FOUND": f"{dept}未查到{who}的{what}记录",
        "NO_VALUE": f"{dept}的{what}记录中未登记此项",
        "SUBJECT_MISSING": f"申请未提供{who}的身份信息",
        "SUBJECT_MISMATCH": f"{what}所载的父母与本次申请的父母不符，不予调取",
    }
    return reasons.get(code, f"{what}未能取得（{code}）")


def money_text(fen: int) -> str:
    """Fen as a decimal string of yuan with two places: 123456 → "1234.56"."""
    return f"{'-' if fen < 0 else ''}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def _kind(category: str, name: str) -> str:
    return next(f.kind for f in RECORD_TYPES[CATEGORY_RECORDS[category]] if f.name == name)


def _text(kind: str, value: FieldValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if kind == "money" and isinstance(value, int):
        return money_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def _value(spec: FormField, records: tuple[Record, ...] | None) -> str | None:
    """The field's text from the records (None: nothing to show)."""
    source = spec.source
    if source is None or source.category is None:
        return None
    rows = records or ()
    if spec.transform == "count":
        return str(len(rows))
    if spec.transform == "exists":
        return "true" if rows else "false"
    assert source.field is not None  # the loader gives every other transform a field
    kind = _kind(source.category, source.field)
    values = [v for v in (r.get(source.field) for r in rows) if v is not None]
    if spec.transform == "value":
        first = rows[0].get(source.field) if rows else None
        return None if first is None else _text(kind, first)
    if not values:
        return None
    if spec.transform == "join":
        return "、".join(dict.fromkeys(_text(kind, v) for v in values))
    if spec.transform == "year":
        return str(values[0].year) if isinstance(values[0], dt.date) else None
    total = sum(v for v in values if isinstance(v, int | float) and not isinstance(v, bool))
    return _text(kind, total)


def _empty_code(spec: FormField, outcome: Obtained) -> str:
    return "NOT_FOUND" if not outcome.records and spec.transform not in ("count", "exists") \
        else "NO_VALUE"


def fill(matter: Matter, given: Mapping[Role, str], outcomes: Mapping[tuple[Role, str], Outcome],
         licences: Mapping[tuple[Role, str], LicenceCheck] | None = None) -> FilledForm:
    """The form of `matter` for the subjects `given` (role → identifier), from `outcomes` and,
    for materials backed by a licence, the `licences` checked ((role, type) → check)."""
    applicable = {r.role for r in matter.roles if r.required or r.role in given}
    fields: list[FilledField] = []
    empty: dict[tuple[Role, str], list[str]] = {}
    for spec in matter.form:
        ref = spec.source
        role = ref.role if ref else (matter.primary.role if matter.primary else "applicant")
        if ref is not None and role not in applicable:
            continue
        fields.append(_field(matter, spec, role, given, outcomes, empty))
    gaps = _gaps(matter, outcomes, empty)
    waived: list[MaterialState] = []
    required: list[MaterialState] = []
    for material in matter.materials:
        if any(r not in applicable for r, _ in material.waived_by) or (
                material.licence is not None and material.licence[0] not in applicable):
            continue
        if material.licence is not None:
            state = _licence_material(matter, material, (licences or {}).get(material.licence))
        else:
            state = _material(matter, material, outcomes)
        (waived if state.waived else required).append(state)
    filled = sum(f.value is not None for f in fields)
    return FilledForm(tuple(fields), tuple(waived), tuple(required), gaps, filled, len(fields))


def _field(matter: Matter, spec: FormField, role: Role, given: Mapping[Role, str],
           outcomes: Mapping[tuple[Role, str], Outcome],
           empty: dict[tuple[Role, str], list[str]]) -> FilledField:
    ref = spec.source
    if ref is None:
        return FilledField(spec, role, None, spec.unit)
    role_spec = matter.role(role)
    assert role_spec is not None
    if ref.category is None:
        subject = given.get(role)
        code = None if subject else "SUBJECT_MISSING"
        return FilledField(spec, role, subject, spec.unit, verified=False, code=code,
                           reason=reason_for(code, role_spec, "", "") if code else None)
    outcome = outcomes.get((role, ref.category)) or Missing(
        "SUBJECT_MISSING", f"no {role} was named in the application")
    if isinstance(outcome, Missing):
        empty.setdefault((role, ref.category), []).append(spec.name)
        return FilledField(spec, role, None, spec.unit, code=outcome.code,
                           reason=reason_for(outcome.code, role_spec, ref.category,
                                             outcome.department))
    value = _value(spec, outcome.records)
    if value is None:
        code = _empty_code(spec, outcome)
        if code == "NOT_FOUND":
            empty.setdefault((role, ref.category), []).append(spec.name)
        return FilledField(spec, role, None, spec.unit, outcome.source, outcome.department,
                           outcome.as_of, code=code,
                           reason=reason_for(code, role_spec, ref.category, outcome.department))
    return FilledField(spec, role, value, spec.unit, outcome.source, outcome.department,
                       outcome.as_of, verified=spec.verified)


def _gaps(matter: Matter, outcomes: Mapping[tuple[Role, str], Outcome],
          empty: Mapping[tuple[Role, str], Sequence[str]]) -> tuple[Gap, ...]:
    gaps = []
    for (role, category), names in empty.items():
        role_spec = matter.role(role)
        assert role_spec is not None
        outcome = outcomes.get((role, category))
        if isinstance(outcome, Obtained):
            code, detail, dept = "NOT_FOUND", "the department holds no record", outcome.department
        elif outcome is None:
            code, detail, dept = "SUBJECT_MISSING", f"no {role} was named", ""
        else:
            code, detail, dept = outcome.code, outcome.detail, outcome.department
        gaps.append(Gap(role, category, code, reason_for(code, role_spec, category, dept),
                        detail, tuple(names)))
    return tuple(gaps)


def _licence_material(matter: Matter, material: Material, check: LicenceCheck | None
                      ) -> MaterialState:
    assert material.licence is not None
    role, code = material.licence
    role_spec = matter.role(role)
    assert role_spec is not None
    kind = LICENCE_TYPES[code]
    if check is None:
        check = LicenceCheck(code="SUBJECT_MISSING")
    if check.code in ("CONSENT_REQUIRED", "CONSENT_INVALID", "FORBIDDEN", "SUBJECT_MISSING",
                      "PURPOSE_REQUIRED"):
        return MaterialState(material, False, reason_for(check.code, role_spec,
                                                         kind.category or kind.title,
                                                         check.department))
    if check.code is not None:
        return MaterialState(material, False, f"电子证照库暂时无法核验{role_spec.label}的"
                                              f"{kind.title}（{check.code}）：请稍后重试，或提交"
                                              "纸质材料")
    if check.verification == "VALID":
        return MaterialState(material, True, f"{role_spec.label}的电子{kind.title}（{check.number}）"
                                             "经核验有效，免提交")
    if check.verification is None:
        return MaterialState(material, False, f"电子证照库中未查到{role_spec.label}的{kind.title}"
                                              "，请提交纸质材料")
    words = _LICENCE_WORDS.get(check.verification, f"核验未通过（{check.verification}）")
    return MaterialState(material, False, f"{role_spec.label}的电子{kind.title}（{check.number}）"
                                          f"{words}，请提交有效的{material.name}")


def _material(matter: Matter, material: Material,
              outcomes: Mapping[tuple[Role, str], Outcome]) -> MaterialState:
    if material.by_check:
        return MaterialState(material, True, "由牵头部门的联合核查结果替代，免提交")
    if not material.waived_by:
        return MaterialState(material, False, "需申请人提交")
    for role, category in material.waived_by:
        outcome = outcomes.get((role, category))
        role_spec = matter.role(role)
        assert role_spec is not None
        if isinstance(outcome, Missing) or outcome is None:
            code = outcome.code if outcome else "SUBJECT_MISSING"
            dept = outcome.department if outcome else ""
            return MaterialState(material, False, reason_for(code, role_spec, category, dept))
        if material.waived_when == "record" and not outcome.records:
            return MaterialState(material, False, reason_for("NOT_FOUND", role_spec, category,
                                                             outcome.department)
                                 + "，请提交纸质材料")
    departments = "、".join(dict.fromkeys(
        o.department for r, c in material.waived_by
        if isinstance(o := outcomes.get((r, c)), Obtained)))
    return MaterialState(material, True, f"已通过{departments}共享数据核验，免提交")
