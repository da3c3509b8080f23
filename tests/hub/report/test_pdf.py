"""The 告知书 printed and read back: a real check, signed by the hub, rendered offline by
`hub report pdf`.

The PDF is read with poppler's `pdftotext` and `pdftoppm`, as a person would see it.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import pytest

from hub.report.view import verification_code
from tests.hub_harness import CHECK, HubHarness
from tests.sandbox_process import SandboxProcess

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
    reason="poppler-utils (pdftotext, pdftoppm) is not installed; .ci/run installs it")


def real_signed(hub: HubHarness, uscc: str, kind: str, tmp_path: Path,
                headers: dict[str, str] | None = None, **arguments: str
                ) -> tuple[Path, Path, dict[str, Any]]:
    """A real check as `hub check --out` writes it; the hub's public keys; the document."""
    caller = "court" if kind == "BANKRUPTCY" else "xzsp"
    r = hub.post(CHECK, {"kind": kind, "uscc": uscc, **arguments}, caller=caller, purpose=kind,
                 headers=headers)
    body = r.json()
    assert "errors" not in body, body
    report = body["data"]["complianceCheck"]
    document: dict[str, Any] = orjson.loads(report["document"])
    path = tmp_path / "report.json"
    path.write_bytes(orjson.dumps({"report": document, "signature": report["signature"],
                                   "keyId": report["keyId"]}))
    return path, Path(hub.settings.keys_dir) / "hub-keys.json", document


def hub_report(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hub", "report", *args], capture_output=True,
                          text=True, timeout=120)


def pdf_text(path: Path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                         text=True, check=True)
    return out.stdout


def test_ipo_report_prints_domains_name_period_case_and_code(
        hub: HubHarness, clean_sandbox: SandboxProcess, tmp_path: Path) -> None:
    sample = next(e for e in clean_sandbox.samples["enterprises"] if "findings:tax" in e["tags"])
    path, keys, report = real_signed(hub, sample["uscc"], "IPO_COMPLIANCE", tmp_path,
                                     {"X-Hub-Case": quote("(2026)豫07破1号", safe="")},
                                     since="2019-01-01")
    out = tmp_path / "notice.pdf"
    run = hub_report("pdf", str(path), "--out", str(out), "--keys", str(keys),
                     "--verify-base", "https://hub.xinxiang.example")
    assert run.returncode == 0, run.stderr
    assert out.read_bytes().startswith(b"%PDF-")
    text = pdf_text(out)
    assert "核查结果告知书" in text and sample["name"] in text and sample["uscc"] in text
    for d in report["domains"]:
        assert d["title"] in text, d["title"]
    assert report["reportNo"] in text and "(2026)豫07破1号" in text
    assert "2019-01-01" in text and "发现问题" in text
    signed = orjson.loads(path.read_bytes())
    assert verification_code(signed["signature"]) in text
    tax_penalty = next(r for d in report["domains"] if d["source"] == "sw_penalties"
                       for r in d["records"])
    assert tax_penalty["decision_no"] in text


def test_bankruptcy_inventory_page_one_renders_as_a4(
        hub: HubHarness, clean_sandbox: SandboxProcess, tmp_path: Path) -> None:
    uscc = clean_sandbox.enterprise("assets:seized")
    path, keys, report = real_signed(hub, uscc, "BANKRUPTCY", tmp_path)
    out = tmp_path / "inventory.pdf"
    assert hub_report("pdf", str(path), "--out", str(out), "--keys", str(keys)).returncode == 0
    text = pdf_text(out)
    assert "财产及债务清单" in text and "查封机关" in text
    assert report["subject"]["name"] in text
    assert "第一顺序" in text and "有财产担保的债权" in text
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(out),
                    str(tmp_path / "page")], check=True)
    png = next(tmp_path.glob("page*.png")).read_bytes()
    width, height = struct.unpack(">II", png[16:24])
    assert abs(height / width - 297 / 210) < 0.01  # A4 portrait


def test_a_tampered_report_is_not_printed(hub: HubHarness, clean_sandbox: SandboxProcess,
                                          tmp_path: Path) -> None:
    path, keys, report = real_signed(hub, clean_sandbox.enterprise("clean"), "IPO_COMPLIANCE",
                                     tmp_path)
    signed = orjson.loads(path.read_bytes())
    signed["report"]["verdict"] = "CLEAN" if report["verdict"] != "CLEAN" else "FINDINGS"
    path.write_bytes(orjson.dumps(signed))
    out = tmp_path / "x.pdf"
    run = hub_report("pdf", str(path), "--out", str(out), "--keys", str(keys))
    assert run.returncode == 1 and "INVALID" in run.stderr and not out.exists()
    missing = hub_report("pdf", str(tmp_path / "none.json"), "--out", str(out), "--keys",
                         str(keys))
    assert missing.returncode == 1 and "no such file" in missing.stderr
    unverified = hub_report("html", str(path), "--out", str(tmp_path / "x.html"), "--keys",
                            str(tmp_path / "absent.json"), "--unverified")
    assert unverified.returncode == 0 and "WITHOUT verifying" in unverified.stderr
