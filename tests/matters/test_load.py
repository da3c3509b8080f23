"""Matter files: the 21 of the policy are all there and whole; every bad value is named by key."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from connectors.catalogue import CATEGORY_RECORDS
from connectors.records import RECORD_TYPES
from matters.load import DATA_DIR, MatterFileError, load_matter, load_matters, parse_matter
from matters.spec import Matter

SEED = Path("/work/shared/seed/000_5690f3f071573681.txt")
# The 21 "one things" as the policy's Attachment 1 numbers and names them (an independent
# transcription, not read from the files under test).
POLICY = {
    1: "企业信息变更", 2: "开办运输企业", 3: "开办餐饮店", 4: "水电气网联合报装", 5: "信用修复",
    6: "企业上市合法合规信息核查", 7: "企业破产信息核查", 8: "企业注销登记", 9: "新生儿出生",
    10: "教育入学", 11: "社会保障卡居民服务", 12: "残疾人服务", 13: "退休", 14: "企业迁移",
    15: "企业数据填报", 16: "大件运输", 17: "就医费用报销", 18: "住房公积金个人住房贷款购房",
    19: "申请公租房", 20: "退役军人服务", 21: "留学服务",
}


@pytest.fixture(scope="module")
def packaged() -> dict[str, Matter]:
    return load_matters(DATA_DIR)


def test_all_21_matters_are_packaged_with_the_policy_names(packaged: dict[str, Matter]) -> None:
    numbered = {m.number: m for m in packaged.values() if m.number is not None}
    assert sorted(numbered) == list(range(1, 22))
    for number, name in POLICY.items():
        assert numbered[number].title.startswith(name), (number, numbered[number].title)
    assert list(packaged)[:21] == [numbered[n].code for n in range(1, 22)]  # in policy order
    assert packaged["IPO_COMPLIANCE"].check == "IPO_COMPLIANCE"
    assert packaged["BANKRUPTCY"].check == "BANKRUPTCY"
    assert packaged["SUBJECT_ACCESS"].number is None


@pytest.mark.skipif(not SEED.exists(), reason="the policy text is not on this machine")
def test_the_names_are_in_the_policy_text() -> None:
    text = re.sub(r"\s+", "", SEED.read_text(encoding="utf-8"))
    for name in POLICY.values():
        assert name in text, name


def test_every_form_is_mostly_shared_data_and_every_source_exists(
        packaged: dict[str, Matter]) -> None:
    """The form can reach the reform's target only if most fields have a source."""
    for m in packaged.values():
        if m.number is None:
            continue
        sourced = [f for f in m.form if f.source is not None]
        assert len(sourced) / len(m.form) > 0.5, m.code
        assert m.materials and any(x.waived_by or x.by_check for x in m.materials), m.code
        for f in sourced:
            assert f.source is not None
            if f.source.field is not None and f.source.category is not None:
                names = {s.name for s in RECORD_TYPES[CATEGORY_RECORDS[f.source.category]]}
                assert f.source.field in names, (m.code, f.name)
        for role in m.roles:  # nothing is released that nothing uses
            assert set(m.used(role.role)) == set(role.categories), (m.code, role.role)


def test_money_fields_are_always_in_yuan(packaged: dict[str, Matter]) -> None:
    money = [f for m in packaged.values() for f in m.form if f.type == "money"]
    assert len(money) > 20
    assert {f.unit for f in money} == {"CNY"}


def raw(name: str = "school_enrolment.toml") -> dict[str, Any]:
    return tomllib.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def changed(path: str, value: Any, name: str = "school_enrolment.toml") -> dict[str, Any]:
    """The file's table with the value at a dotted path (list indexes as numbers) replaced;
    None removes the key."""
    table = raw(name)
    *parents, last = path.split(".")
    node: Any = table
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if value is None:
        del node[last]
    else:
        node[last] = value
    return table


@pytest.mark.parametrize(("path", "value", "says"), [
    ("colour", "red", "colour: unknown key (known: code, number"),
    ("code", "school", "code: 'school' is not upper-case letters"),
    ("title", None, "title: required"),
    ("legal_basis", "WHIM", "legal_basis: 'WHIM' is not one of CONSENT, STATUTORY"),
    ("callers", "portal", "callers: must be a list of non-empty strings"),
    ("max_uses", -1, "max_uses: must be a whole number from 0 to 10000"),
    ("max_validity_days", True, "max_validity_days: must be a whole number"),
    ("fetch_types", ["FOREVER"], "fetch_types: 'FOREVER' is not ONE_TIME or REUSABLE"),
    ("number", 0, "number: must be a whole number from 1 to 99"),
    ("check", "IPO_COMPLIANCE", "check: only the statutory check matters"),
    ("roles.0.role", "uncle", "roles[0].role: 'uncle' is not one of applicant"),
    ("roles.0.categories", ["horoscope"], "roles[0].categories: 'horoscope' is not a person "
                                          "data category"),
    ("roles.0.categories", ["business_licence"], "'business_licence' is not a person data"),
    ("roles.1.role", "guardian", "roles[1].role: 'guardian' is declared twice"),
    ("roles.0.hobby", 1, "roles[0].hobby: unknown key (known: role, label, categories"),
    ("fields.0.type", "colour", "fields[0].type: 'colour' is not one of text"),
    ("fields.0.name", "Child Name", "fields[0].name: 'Child Name' is not a lower-case name"),
    ("fields.1.name", "child_name", "fields[1].name: 'child_name' is used twice"),
    ("fields.0.source", "teacher:household.name", "fields[0].source: 'teacher:household.name' "
                                                  "does not name a declared role"),
    ("fields.0.source", "child:property.address", "the child role does not release 'property'"),
    ("fields.0.source", "child:household.adress", "household has no field 'adress' (its "
                                                  "fields: name, gender"),
    ("fields.0.transform", "reverse", "fields[0].transform: 'reverse' is not one of value"),
    ("fields.0.transform", "sum", "fields[0].transform: sum needs a number or an amount, name "
                                  "is str"),
    ("fields.3.type", "text", "fields[3].type: 'text' does not fit child:household.birth_date"),
    ("fields.15.source", "guardian:social_insurance.employer_name", "fields[15].type: 'number' "
                                                                    "does not fit"),
    ("fields.11.source", "guardian:residence_permit.permit_no", "fields[11].source: "
     "'guardian:residence_permit.permit_no': count and exists are of the records, name no "
     "field"),
    ("fields.1.transform", "count", "fields[1].transform: the subject's own identifier takes "
                                    "no transform"),
    ("fields.17.transform", "join", "fields[17].transform: a field the applicant fills in takes "
                                    "no transform"),
    ("fields.15.unit", None, None),  # a unit is optional
    ("materials.0.waived_by", ["child:credit"], "materials[0].waived_by: 'child:credit' is not "
                                                "ROLE:CATEGORY"),
    ("materials.0.by_check", True, "materials[0].by_check: only a matter that points at a check"),
    ("materials.0.waived_when", "always", "materials[0].waived_when: 'always' is not one of"),
])
def test_bad_values_name_the_key(path: str, value: Any, says: str | None) -> None:
    table = changed(path, value)
    if says is None:
        assert parse_matter(table).code == "SCHOOL_ENROLMENT"
        return
    with pytest.raises(MatterFileError) as info:
        parse_matter(table, "school_enrolment.toml")
    assert str(info.value).startswith("school_enrolment.toml: ")
    assert says in str(info.value)


def test_a_released_category_no_field_uses_is_refused() -> None:
    table = raw()
    table["roles"][1]["categories"].append("disability")
    with pytest.raises(MatterFileError, match="the child role releases 'disability' but no "
                                              "field or material uses it"):
        parse_matter(table)


def test_a_newborn_needs_a_parent_and_a_statutory_matter_reads_only_registration() -> None:
    table = raw("newborn.toml")
    table["roles"] = [r for r in table["roles"] if r["role"] == "newborn"]
    table["fields"] = [f for f in table["fields"] if f.get("source", "").startswith("newborn:")]
    table["materials"] = []
    with pytest.raises(MatterFileError, match="declare a mother or father"):
        parse_matter(table)
    ipo = raw("ipo_compliance.toml")
    ipo["roles"][0]["categories"] = ["registration", "tax_registration"]
    with pytest.raises(MatterFileError, match="a statutory matter reads only an enterprise's "
                                              "registration"):
        parse_matter(ipo)


def test_file_name_numbers_and_syntax(tmp_path: Path) -> None:
    (tmp_path / "retirement.toml").write_text((DATA_DIR / "newborn.toml").read_text("utf-8"),
                                              encoding="utf-8")
    with pytest.raises(MatterFileError, match=r"retirement\.toml: code: NEWBORN belongs in "
                                              r"newborn\.toml"):
        load_matters(tmp_path)
    (tmp_path / "retirement.toml").unlink()
    for name in ("newborn.toml", "retirement.toml"):
        (tmp_path / name).write_text((DATA_DIR / name).read_text("utf-8"), encoding="utf-8")
    text = (tmp_path / "retirement.toml").read_text("utf-8").replace("number = 13",
                                                                      "number = 9")
    (tmp_path / "retirement.toml").write_text(text, encoding="utf-8")
    with pytest.raises(MatterFileError, match="number: 9 is already NEWBORN's"):
        load_matters(tmp_path)
    (tmp_path / "retirement.toml").write_text("code = [", encoding="utf-8")
    with pytest.raises(MatterFileError, match=r"retirement\.toml: not valid TOML"):
        load_matter(tmp_path / "retirement.toml")
    with pytest.raises(MatterFileError, match="no such directory"):
        load_matters(tmp_path / "nowhere")
