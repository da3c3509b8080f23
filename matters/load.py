"""Reading matter files: one TOML file per "one thing", validated with the bad key named.

`load_matters(directory)` reads every `*.toml` file of a directory; `packaged_matters()` reads
the ones shipped in `matters/data/`. Every error starts with the file and the key
(`school_enrolment.toml: fields[3].source: …`) and says what would be right, so a bad file stops
the hub at start with a message an operator can act on. Beyond the shape of each value the
reader checks that the file hangs together: a field's source names a declared role, a category
that role releases and a field of that category's record type, with a transform that fits; every
category a role releases is used by a field or a material (nothing is released for nothing);
IPO and bankruptcy point at their checks.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from connectors.catalogue import (
    CATEGORY_RECORDS,
    CERTIFICATE_KEYED,
    CHECK_KINDS,
    ENTERPRISE_CATEGORIES,
    PERSON_CATEGORIES,
)
from connectors.records import RECORD_TYPES
from licence.catalogue import LICENCE_TYPES
from matters.spec import (
    FETCH_TYPES,
    FIELD_TYPES,
    LEGAL_BASES,
    ROLE_KINDS,
    ROLES,
    TRANSFORMS,
    FieldType,
    FormField,
    Material,
    Matter,
    Role,
    RoleSpec,
    SourceRef,
    SubjectKind,
    Transform,
)

__all__ = ["DATA_DIR", "MatterFileError", "load_matter", "load_matters", "packaged_matters",
           "parse_matter"]

DATA_DIR = Path(__file__).resolve().parent / "data"
_CODE = re.compile(r"^[A-Z][A-Z0-9_]*$")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_TOP = ("code", "number", "title", "english", "legal_basis", "callers", "lead", "departments",
        "check", "max_validity_days", "fetch_types", "max_uses", "roles", "fields",
        "materials")
_ROLE_KEYS = ("role", "label", "categories", "required")
_FIELD_KEYS = ("name", "label", "type", "required", "source", "transform", "unit", "verified")
_MATERIAL_KEYS = ("name", "waived_by", "waived_when", "by_check", "licence")
# The record field kinds each form field type may show.
_TYPE_KINDS: Mapping[FieldType, tuple[str, ...]] = {
    "text": ("str",), "id": ("str",), "date": ("date",), "month": ("month",),
    "money": ("money",), "number": ("int", "float"), "boolean": ("bool",),
}


class MatterFileError(ValueError):
    """A matter file is invalid; the message starts with the file and the bad key."""

    code = "MATTER_INVALID"


class _Reader:
    """Typed access to one table of a matter file; every error names the key."""

    def __init__(self, where: str, raw: Any, known: Sequence[str]) -> None:
        if not isinstance(raw, Mapping):
            raise MatterFileError(f"{where}: must be a table")
        self.where = where
        self.raw: Mapping[str, Any] = raw
        unknown = sorted(set(raw) - set(known))
        if unknown:
            raise self.fail(unknown[0], f"unknown key (known: {', '.join(known)})")

    def key(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def fail(self, key: str, message: str) -> MatterFileError:
        return MatterFileError(f"{self.key(key)}: {message}")

    def text(self, key: str, default: str | None = None) -> str:
        value = self.raw.get(key, default)
        if value is None:
            raise self.fail(key, "required")
        if not isinstance(value, str) or (not value.strip() and default is None):
            raise self.fail(key, "must be a non-empty string")
        return value

    def choice(self, key: str, options: Sequence[str], default: str | None = None) -> str:
        value = self.text(key, default)
        if value not in options:
            raise self.fail(key, f"{value!r} is not one of {', '.join(options)}")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.raw.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, "must be true or false")
        return value

    def whole(self, key: str, default: int | None, low: int, high: int) -> int:
        value = self.raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(key, f"must be a whole number from {low} to {high}")
        return value

    def texts(self, key: str, default: Sequence[str] | None = None) -> tuple[str, ...]:
        value = self.raw.get(key, default)
        if value is None:
            raise self.fail(key, "required")
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v
                                                          for v in value):
            raise self.fail(key, "must be a list of non-empty strings")
        if len(set(value)) != len(value):
            raise self.fail(key, "names an entry twice")
        return tuple(value)

    def tables(self, key: str) -> list[Any]:
        value = self.raw.get(key, [])
        if not isinstance(value, list):
            raise self.fail(key, f"must be an array of tables ([[{key}]])")
        return value


def _categories_of(kind: SubjectKind) -> Mapping[str, str] | frozenset[str]:
    if kind == "enterprise":
        return ENTERPRISE_CATEGORIES
    if kind == "newborn":
        return CERTIFICATE_KEYED
    return {c: t for c, t in PERSON_CATEGORIES.items() if c not in CERTIFICATE_KEYED}


def _role(where: str, raw: Any) -> RoleSpec:
    r = _Reader(where, raw, _ROLE_KEYS)
    role: Role = next(x for x in ROLES if x == r.choice("role", ROLES))
    kind = ROLE_KINDS[role]
    allowed = _categories_of(kind)
    categories = r.texts("categories")
    for category in categories:
        if category not in allowed:
            article = "an" if kind == "enterprise" else "a"
            raise r.fail("categories", f"{category!r} is not {article} {kind} data category (use "
                                       f"one of {', '.join(sorted(allowed))})")
    return RoleSpec(role, r.text("label"), categories, r.flag("required", True))


def _source(r: _Reader, roles: Mapping[str, RoleSpec], transform: Transform) -> SourceRef:
    text = r.text("source")
    head, _, rest = text.partition(":")
    spec = roles.get(head)
    if spec is None or not rest:
        raise r.fail("source", f"{text!r} does not name a declared role (write "
                               f"ROLE:CATEGORY.FIELD with ROLE one of {', '.join(roles)})")
    if rest == "@id":
        if transform != "value":
            raise r.fail("transform", "the subject's own identifier takes no transform")
        return SourceRef(spec.role)
    category, _, name = rest.partition(".")
    if category not in spec.categories:
        raise r.fail("source", f"{text!r}: the {spec.role} role does not release {category!r} "
                               f"(it releases {', '.join(spec.categories)})")
    if transform in ("count", "exists"):
        if name:
            raise r.fail("source", f"{text!r}: count and exists are of the records, name no "
                                   "field")
        return SourceRef(spec.role, category)
    fields = {f.name: f.kind for f in RECORD_TYPES[CATEGORY_RECORDS[category]]}
    if name not in fields:
        raise r.fail("source", f"{text!r}: {category} has no field {name!r} (its fields: "
                               f"{', '.join(fields)})")
    return SourceRef(spec.role, category, name)


def _form_field(where: str, raw: Any, roles: Mapping[str, RoleSpec]) -> FormField:
    r = _Reader(where, raw, _FIELD_KEYS)
    name = r.text("name")
    if not _NAME.match(name):
        raise r.fail("name", f"{name!r} is not a lower-case name (letters, digits, _)")
    ftype: FieldType = next(t for t in FIELD_TYPES if t == r.choice("type", FIELD_TYPES))
    transform: Transform = next(t for t in TRANSFORMS
                                if t == r.choice("transform", TRANSFORMS, "value"))
    source = _source(r, roles, transform) if "source" in r.raw else None
    if source is None and "transform" in r.raw:
        raise r.fail("transform", "a field the applicant fills in takes no transform")
    if source is not None:
        _fits(r, ftype, transform, source)
    unit = r.text("unit") if "unit" in r.raw else None
    if ftype == "money":
        if unit not in (None, "CNY"):
            raise r.fail("unit", "money is always in yuan (CNY)")
        unit = "CNY"
    return FormField(name, r.text("label"), ftype, r.flag("required", True), source, transform,
                     unit, r.flag("verified", source is not None and source.category is not None))


def _fits(r: _Reader, ftype: FieldType, transform: Transform, source: SourceRef) -> None:
    """The transform fits the source field, and the form type fits what it makes."""
    if source.category is None:
        if ftype not in ("id", "text"):
            raise r.fail("type", "a subject's identifier is of type id")
        return
    if transform in ("count", "exists"):
        wanted: tuple[FieldType, ...] = ("number",) if transform == "count" else ("boolean",)
    else:
        record = CATEGORY_RECORDS[source.category]
        kind = next(f.kind for f in RECORD_TYPES[record] if f.name == source.field)
        if transform == "sum" and kind not in ("int", "float", "money"):
            raise r.fail("transform", f"sum needs a number or an amount, {source.field} is {kind}")
        if transform == "year" and kind != "date":
            raise r.fail("transform", f"year needs a date, {source.field} is {kind}")
        if transform == "year":
            wanted = ("number",)
        elif transform == "join":
            wanted = ("text",)
        else:
            wanted = tuple(t for t, kinds in _TYPE_KINDS.items() if kind in kinds)
    if ftype not in wanted:
        raise r.fail("type", f"{ftype!r} does not fit {source.text()} with transform "
                             f"{transform} (use {' or '.join(wanted)})")


def _material(where: str, raw: Any, roles: Mapping[str, RoleSpec], check: str | None
              ) -> Material:
    r = _Reader(where, raw, _MATERIAL_KEYS)
    waived: list[tuple[Role, str]] = []
    for ref in r.texts("waived_by", ()):
        role, _, category = ref.partition(":")
        spec = roles.get(role)
        if spec is None or category not in spec.categories:
            raise r.fail("waived_by", f"{ref!r} is not ROLE:CATEGORY of a declared role and a "
                                      "category it releases")
        waived.append((spec.role, category))
    by_check = r.flag("by_check", False)
    if by_check and check is None:
        raise r.fail("by_check", "only a matter that points at a check can waive by it")
    when = r.choice("waived_when", ("record", "answer"), "record")
    licence: tuple[Role, str] | None = None
    if "licence" in r.raw:
        ref = r.text("licence")
        role, _, code = ref.partition(":")
        spec, kind = roles.get(role), LICENCE_TYPES.get(code)
        if spec is None or kind is None or kind.holder != spec.kind:
            raise r.fail("licence", f"{ref!r} is not ROLE:LICENCE_TYPE of a declared role and "
                                    "a licence such a subject holds (types: "
                                    f"{', '.join(LICENCE_TYPES)})")
        licence = (spec.role, code)
    return Material(r.text("name"), tuple(waived), "answer" if when == "answer" else "record",
                    by_check, licence)


def parse_matter(raw: Any, where: str = "") -> Matter:
    """A matter from the parsed TOML of one file; raise `MatterFileError` naming the key."""
    try:
        return _parse(_Reader("", raw, _TOP))
    except MatterFileError as exc:
        if not where:
            raise
        raise MatterFileError(f"{where}: {exc}") from None


def _parse(r: _Reader) -> Matter:
    code = r.text("code")
    if not _CODE.match(code):
        raise r.fail("code", f"{code!r} is not upper-case letters, digits and _")
    basis = r.choice("legal_basis", LEGAL_BASES)
    check = r.choice("check", CHECK_KINDS) if "check" in r.raw else None
    if check is not None and (basis != "STATUTORY" or check != code):
        raise r.fail("check", "only the statutory check matters (IPO_COMPLIANCE, BANKRUPTCY) "
                              "point at their own check")
    roles: dict[str, RoleSpec] = {}
    for i, table in enumerate(r.tables("roles")):
        spec = _role(f"roles[{i}]", table)
        if spec.role in roles:
            raise r.fail(f"roles[{i}].role", f"{spec.role!r} is declared twice")
        roles[spec.role] = spec
    if "newborn" in roles and not {"mother", "father"} & set(roles):
        raise r.fail("roles", "a newborn is found with its parents: declare a mother or father")
    if basis == "CONSENT" and not roles:
        raise r.fail("roles", "a matter that takes consent names at least one role")
    if basis == "STATUTORY" and any(s.kind != "enterprise" or set(s.categories) - {"registration"}
                                    for s in roles.values()):
        raise r.fail("roles", "a statutory matter reads only an enterprise's registration")
    form: list[FormField] = []
    for i, table in enumerate(r.tables("fields")):
        item = _form_field(f"fields[{i}]", table, roles)
        if any(f.name == item.name for f in form):
            raise r.fail(f"fields[{i}].name", f"{item.name!r} is used twice")
        form.append(item)
    materials = [_material(f"materials[{i}]", t, roles, check)
                 for i, t in enumerate(r.tables("materials"))]
    matter = Matter(
        code=code, title=r.text("title"), legal_basis="CONSENT" if basis == "CONSENT" else
        "STATUTORY", callers=frozenset(r.texts("callers")),
        max_validity_days=r.whole("max_validity_days", 30, 0, 3650),
        fetch_types=tuple("ONE_TIME" if f == "ONE_TIME" else "REUSABLE"
                          for f in _fetch_types(r)),
        max_uses=r.whole("max_uses", 1, 0, 10_000),
        number=r.whole("number", None, 1, 99) if "number" in r.raw else None,
        english=r.text("english", ""), lead=r.text("lead", ""),
        departments=r.texts("departments", ()), roles=tuple(roles.values()), form=tuple(form),
        materials=tuple(materials), check=check)
    for spec in matter.roles:
        unused = [c for c in spec.categories if c not in matter.used(spec.role)]
        if unused:
            raise r.fail("roles", f"the {spec.role} role releases {unused[0]!r} but no field or "
                                  "material uses it; release only what the form needs")
    return matter


def _fetch_types(r: _Reader) -> tuple[str, ...]:
    values = r.texts("fetch_types", FETCH_TYPES)
    bad = [v for v in values if v not in FETCH_TYPES]
    if bad:
        raise r.fail("fetch_types", f"{bad[0]!r} is not ONE_TIME or REUSABLE")
    return values


def load_matter(path: Path) -> Matter:
    """One matter file; its name must be its code in lower case."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise MatterFileError(f"{path.name}: not valid TOML ({exc})") from None
    matter = parse_matter(raw, path.name)
    if path.stem != matter.code.lower():
        raise MatterFileError(f"{path.name}: code: {matter.code} belongs in "
                              f"{matter.code.lower()}.toml")
    return matter


def load_matters(directory: Path) -> dict[str, Matter]:
    """Every `*.toml` matter of `directory`, by code, in the order of their numbers."""
    if not directory.is_dir():
        raise MatterFileError(f"{directory}: no such directory of matter files")
    matters = [load_matter(p) for p in sorted(directory.glob("*.toml"))]
    numbers: dict[int, str] = {}
    for m in matters:
        if m.number is not None and m.number in numbers:
            raise MatterFileError(f"{m.code.lower()}.toml: number: {m.number} is already "
                                  f"{numbers[m.number]}'s")
        if m.number is not None:
            numbers[m.number] = m.code
    matters.sort(key=lambda m: (m.number is None, m.number or 0, m.code))
    return {m.code: m for m in matters}


def packaged_matters() -> dict[str, Matter]:
    """The matters shipped with the hub (`matters/data/*.toml`)."""
    return load_matters(DATA_DIR)
