"""The 告知书 printed and read back: a real check, signed, rendered by `hub report pdf`.

The PDF is read with poppler's `pdftotext` and `pdftoppm`, as a person would see it.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from hub.report.view import verification_code
from signing.canonical import canonical
from signing.keys import init_keys
from tests.hub_harness import CHECK, HubHarness
from tests.sandbox_process import SandboxProcess

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
    reason="poppler-utils (pdftotext, pdftoppm) is not installed; .ci/run installs it")


def real_document(hub: HubHarness, uscc: str, kind: str) -> dict[str, Any]:
    caller = "court" if kind == "BANKRUPTCY" else "xzsp"
    r = hub.post(CHECK, {"kind": kind, "uscc": uscc}, caller=caller, purpose=kind)
    body = r.json()
    assert "errors" not in body, body
    document: dict[str, Any] = orjson.loads(body["data"]["complianceCheck"]["document"])
    return document


def sign_to(tmp_path: Path, report: dict[str, Any]) -> tuple[Path, Path]:
    ring = init_keys(tmp_path / "keys")
    signature, kid = ring.sign(canonical(report))
    path = tmp_path / "report.json"
    path.write_bytes(orjson.dumps({"report": report, "signature": signature, "keyId": kid}))
    return path, tmp_path / "keys" / "hub-keys.json"


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
    report = real_document(hub, sample["uscc"], "IPO_COMPLIANCE")
    # The fields the hub adds to the signed report (issue 10), with values this test chose.
    report.update(reportNo="XXHC-2026-000123", case="(2026)豫07破1号",
                  period={"since": "2023-11-28", "until": "2026-11-28"},
                  subject={"uscc": sample["uscc"], "name": sample["name"], "status": "存续",
                           "registeredOn": "2009-10-15"})
    path, keys = sign_to(tmp_path, report)
    out = tmp_path / "notice.pdf"
    run = hub_report("pdf", str(path), "--out", str(out), "--keys", str(keys),
                     "--verify-base", "https://hub.xinxiang.example")
    assert run.returncode == 0, run.stderr
    assert out.read_bytes().startswith(b"%PDF-")
    text = pdf_text(out)
    assert "核查结果告知书" in text and sample["name"] in text and sample["uscc"] in text
    for d in report["domains"]:
        assert d["title"] in text, d["title"]
    assert "XXHC-2026-000123" in text and "(2026)豫07破1号" in text
    assert "2023-11-28" in text and "发现问题" in text
    signed = orjson.loads(path.read_bytes())
    assert verification_code(signed["signature"]) in text
    tax_penalty = next(r for d in report["domains"] if d["source"] == "sw_penalties"
                       for r in d["records"])
    assert tax_penalty["decision_no"] in text


def test_bankruptcy_inventory_page_one_renders_as_a4(
        hub: HubHarness, clean_sandbox: SandboxProcess, tmp_path: Path) -> None:
    uscc = clean_sandbox.enterprise("assets:seized")
    report = real_document(hub, uscc, "BANKRUPTCY")
    path, keys = sign_to(tmp_path, report)
    out = tmp_path / "inventory.pdf"
    assert hub_report("pdf", str(path), "--out", str(out), "--keys", str(keys)).returncode == 0
    text = pdf_text(out)
    assert "财产及债务清单" in text and "查封机关" in text
    name = next(r["name"] for d in report["domains"] for r in d["records"]
                if r["type"] == "registration")
    assert name in text
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(out),
                    str(tmp_path / "page")], check=True)
    png = next(tmp_path.glob("page*.png")).read_bytes()
    width, height = struct.unpack(">II", png[16:24])
    assert abs(height / width - 297 / 210) < 0.01  # A4 portrait


def test_a_tampered_report_is_not_printed(hub: HubHarness, clean_sandbox: SandboxProcess,
                                          tmp_path: Path) -> None:
    report = real_document(hub, clean_sandbox.enterprise("clean"), "IPO_COMPLIANCE")
    path, keys = sign_to(tmp_path, report)
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
