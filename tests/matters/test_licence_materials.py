"""Materials backed by an electronic licence: declared in a matter's file, waived only by a
licence the hub verified VALID (pure: the checks are written here)."""

from __future__ import annotations

from typing import Any

import pytest

from matters.fill import LicenceCheck, Missing, fill
from matters.load import MatterFileError, parse_matter

MATTER: dict[str, Any] = {
    "code": "LICENCE_MATTER", "title": "测试事项", "legal_basis": "CONSENT",
    "callers": ["portal"],
    "roles": [{"role": "enterprise", "label": "申请企业", "categories": ["registration"]},
              {"role": "legal_representative", "label": "法定代表人",
               "categories": ["disability"], "required": False}],
    "fields": [{"name": "name", "label": "企业名称", "type": "text",
                "source": "enterprise:registration.name"},
               {"name": "disability", "label": "残疾人证号", "type": "text",
                "source": "legal_representative:disability.certificate_no"}],
    "materials": [{"name": "营业执照", "licence": "enterprise:BUSINESS_LICENCE"},
                  {"name": "申请书"}],
}


def matter(**material: Any) -> Any:
    return parse_matter({**MATTER, "materials": [{"name": "营业执照", **material}]})


def test_a_licence_material_reads() -> None:
    m = parse_matter(MATTER)
    assert m.materials[0].licence == ("enterprise", "BUSINESS_LICENCE")
    assert m.materials[1].licence is None


@pytest.mark.parametrize("ref", ["enterprise:PASSPORT", "nobody:BUSINESS_LICENCE",
                                 "enterprise:DISABILITY_CERTIFICATE",
                                 "legal_representative:BUSINESS_LICENCE", "BUSINESS_LICENCE"])
def test_a_bad_licence_reference_is_named(ref: str) -> None:
    with pytest.raises(MatterFileError, match=r"materials\[0\]\.licence"):
        matter(licence=ref)


def states(check: LicenceCheck | None) -> tuple[list[str], list[str], dict[str, str]]:
    m = parse_matter(MATTER)
    given = {"enterprise": "91410700MA44TEST0X"}
    outcomes = {("enterprise", "registration"): Missing("NOT_FOUND", "none")}
    checks = {} if check is None else {("enterprise", "BUSINESS_LICENCE"): check}
    form = fill(m, given, outcomes, checks)
    reasons = {s.material.name: s.reason for s in (*form.waived, *form.required)}
    return ([s.material.name for s in form.waived], [s.material.name for s in form.required],
            reasons)


def test_only_a_valid_licence_waives_the_material() -> None:
    waived, required, reasons = states(LicenceCheck("VALID", "91410700MA44TEST0X"))
    assert waived == ["营业执照"] and required == ["申请书"]
    assert reasons["营业执照"] == "申请企业的电子营业执照（91410700MA44TEST0X）经核验有效，免提交"


@pytest.mark.parametrize("check, words", [
    (LicenceCheck("EXPIRED", "N1"), "申请企业的电子营业执照（N1）已过期，请提交有效的营业执照"),
    (LicenceCheck("REVOKED", "N1"), "已被注销或吊销"),
    (LicenceCheck("BAD_SIGNATURE", "N1"), "验签失败"),
    (LicenceCheck("UNKNOWN_ISSUER", "N1"), "颁发机构不在本中枢信任之列"),
    (LicenceCheck(), "电子证照库中未查到申请企业的营业执照，请提交纸质材料"),
    (LicenceCheck(code="SOURCE_UNAVAILABLE"), "电子证照库暂时无法核验申请企业的营业执照"),
    (LicenceCheck(code="CONSENT_REQUIRED"), "未取得申请企业"),
    (None, "申请未提供"),
])
def test_anything_else_leaves_it_required_and_says_why(check: LicenceCheck | None,
                                                        words: str) -> None:
    waived, required, reasons = states(check)
    assert waived == [] and "营业执照" in required
    assert words in reasons["营业执照"], reasons["营业执照"]
