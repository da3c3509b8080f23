"""The README's matters table is generated from the files and kept current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from matters.load import packaged_matters
from matters.readme import BEGIN, END, main, render_table, replace_section

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_table_is_current() -> None:
    out = subprocess.run([sys.executable, "-m", "matters.readme", "--check",
                          str(ROOT / "README.md")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_the_table_lists_every_form_field_and_material() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index(BEGIN):readme.index(END)]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "`" in line]
    matters = [m for m in packaged_matters().values() if m.number is not None]
    assert len(rows) == len(matters) == 21
    for m, row in zip(sorted(matters, key=lambda m: m.number or 0), rows, strict=True):
        assert f"`{m.code}`" in row and m.title in row
        for f in m.form:
            assert f.label in row, (m.code, f.label)
        for x in m.materials:
            assert x.name in row, (m.code, x.name)


def test_a_stale_readme_is_found_and_rewritten(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    stale = tmp_path / "README.md"
    stale.write_text(f"intro\n{BEGIN}\n| old |\n{END}\noutro\n", encoding="utf-8")
    assert main(["--check", str(stale)]) == 1
    assert "stale" in capsys.readouterr().err
    assert main([str(stale)]) == 0
    text = stale.read_text(encoding="utf-8")
    assert text.startswith("intro\n") and text.endswith(f"{END}\noutro\n")
    assert render_table(packaged_matters()) in text and "| old |" not in text
    assert main(["--check", str(stale)]) == 0
    with pytest.raises(ValueError, match="no section between"):
        replace_section("no markers here", "table")
