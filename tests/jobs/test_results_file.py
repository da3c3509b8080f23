"""The results file's words for the domains with findings (shared/domain.md is the oracle)."""

from __future__ import annotations

import csv
import io

import pytest

from jobs.results_file import csv_lines
from jobs.store import ResultRow


@pytest.mark.parametrize(("lang", "words"), [
    # domain.md: bankruptcy check item 4, "registration basics (注册登记基本信息)"; IPO item 13
    ("zh", ["注册登记基本信息", "企业合法纳税情况"]),
    ("en", ["registration basics", "lawful tax payment"]),
])
def test_a_deregistered_enterprise_names_its_registration_in_words(lang: str,
                                                                    words: list[str]) -> None:
    """The registration is asked in every check (the subject gate): a deregistered
    enterprise's finding there is named in words in an IPO job's file too, not by its code."""
    rows = [ResultRow(0, "914107001579567801", "FINDINGS", "XXHC-2026-000011", "新乡市远腾",
                      ("registration", "tax")),
            ResultRow(1, "91410700147483887Y", "FINDINGS", "XXHC-2026-000012", "新乡市源瑞",
                      ("no_such_domain",))]
    text = "".join(csv_lines("IPO_COMPLIANCE", [rows], [], lang))  # type: ignore[arg-type]
    table = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    separator = "；" if lang == "zh" else ", "
    assert table[1][4].split(separator) == words
    assert table[2][4] == "no_such_domain"  # a code the catalogue does not know stays a code
    assert "registration" not in table[1][4].replace("registration basics", "")
