"""The command line, end to end: demo, check, report verify, serve, keys."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import orjson
import pytest

from hub.config.settings import hash_key
from tests.hub.procs import free_port, hub_cmd, running_demo
from tests.sandbox_process import SandboxProcess


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with running_demo(tmp_path_factory.mktemp("demo") / ".hub") as home:
        yield home
    assert not (home / "demo.json").exists()


def test_the_demo_serves_the_auditors_console(demo: Path) -> None:
    info = orjson.loads((demo / "demo.json").read_bytes())
    page = httpx2.get(info["console_url"], timeout=30, follow_redirects=True)
    assert page.status_code == 200 and "审计人员登录" in page.text
    assert str(page.url).endswith("/console/signin")


def test_demo_writes_demo_json_with_every_caller(demo: Path) -> None:
    info = orjson.loads((demo / "demo.json").read_bytes())
    assert set(info["callers"]) >= {"fgw", "xzsp", "court", "portal", "auditor"}
    assert info["graphql_url"].endswith("/graphql")
    assert httpx2.get(info["sandbox_url"] + "/_sandbox/samples", timeout=30).status_code == 200
    assert (demo / "keys" / "signing.pem").exists()


# The IPO check's domains as shared/domain.md names them in English (the English table's
# first column starts with these).
IPO_DOMAINS_EN = ("urban management", "planning and natural resources",
                  "labour and social security law", "ecology and environment",
                  "market regulation", "health", "culture and tourism market",
                  "emergency management", "housing and construction",
                  "housing provident fund contributions", "science and technology", "transport",
                  "lawful tax payment", "intellectual property", "water resources protection",
                  "fire safety", "telecom regulation")


def demo_samples(demo: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    info = orjson.loads((demo / "demo.json").read_bytes())
    samples = httpx2.get(info["sandbox_url"] + "/_sandbox/samples", timeout=30).json()
    return info, samples["enterprises"]


def test_check_with_findings_exits_10_marks_the_rows_and_verifies(demo: Path,
                                                                  tmp_path: Path) -> None:
    _, ents = demo_samples(demo)
    uscc = next(e["uscc"] for e in ents if "findings:tax" in e["tags"])
    out = tmp_path / "report.json"
    run = hub_cmd("check", "ipo", uscc, "--home", str(demo), "--out", str(out), "--lang", "en")
    assert run.returncode == 10, run.stderr
    lines = run.stdout.splitlines()
    rows = [line for line in lines if line.lstrip("! ").startswith(IPO_DOMAINS_EN)]
    assert len(rows) == 19
    marked = [line for line in rows if line.startswith("!")]
    assert any(line.lstrip("! ").startswith("lawful tax payment ") for line in marked)
    assert all("finding(s)" in line for line in marked)
    report = orjson.loads(out.read_bytes())["report"]
    penalty = next(r for d in report["domains"] if d["source"] == "sw_penalties"
                   for r in d["records"])
    summary = next(line for line in lines if penalty["decision_no"] in line)
    assert summary.lstrip().startswith("- ") and penalty["summary"] in summary
    assert f"处罚：{penalty['penalty_kind']}" in summary
    assert "verdict: FINDINGS" in run.stdout
    ok = hub_cmd("report", "verify", str(out), "--home", str(demo))
    assert ok.returncode == 0 and ok.stdout.startswith("valid:")
    raw = bytearray(out.read_bytes())
    position = raw.index(b'"verdict"') + len(b'"verdict": "') + 1
    raw[position] ^= 0x01  # one byte changed
    out.write_bytes(bytes(raw))
    bad = hub_cmd("report", "verify", str(out), "--home", str(demo))
    assert bad.returncode == 1 and "INVALID" in bad.stderr


def test_check_headings_follow_lang(demo: Path) -> None:
    _, ents = demo_samples(demo)
    uscc = next(e["uscc"] for e in ents if "clean" in e["tags"])
    zh = hub_cmd("check", "ipo", uscc, "--home", str(demo), env={"LANG": "zh_CN.UTF-8",
                                                                  "LC_ALL": ""})
    assert zh.returncode == 0, zh.stderr
    assert "领域" in zh.stdout and "核查部门" in zh.stdout and "核查结论: CLEAN (未发现问题)" in zh.stdout
    assert "企业合法纳税情况" in zh.stdout and not any(
        line.startswith("!") for line in zh.stdout.splitlines())
    en = hub_cmd("check", "ipo", uscc, "--home", str(demo), env={"LANG": "C.UTF-8",
                                                                  "LC_ALL": ""})
    assert "department" in en.stdout and "verdict: CLEAN (no findings)" in en.stdout
    forced = hub_cmd("check", "ipo", uscc, "--home", str(demo), "--lang", "zh",
                     env={"LANG": "C.UTF-8", "LC_ALL": ""})
    assert "核查部门" in forced.stdout


def test_check_incomplete_exits_11(demo: Path) -> None:
    info, ents = demo_samples(demo)
    uscc = next(e["uscc"] for e in ents if "clean" in e["tags"])
    faults = info["sandbox_url"] + "/_sandbox/faults"
    httpx2.post(faults, json={"source": "cgj_penalties", "mode": "error"}).raise_for_status()
    try:
        run = hub_cmd("check", "ipo", uscc, "--home", str(demo), "--lang", "en")
    finally:
        httpx2.post(info["sandbox_url"] + "/_sandbox/reset").raise_for_status()
    assert run.returncode == 11, run.stdout + run.stderr
    assert "verdict: INCOMPLETE" in run.stdout and "no answer" in run.stdout


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_check_pdf_prints_the_notice(demo: Path, tmp_path: Path) -> None:
    _, ents = demo_samples(demo)
    sample = next(e for e in ents if "assets:vehicles" in e["tags"] and "clean" in e["tags"])
    pdf = tmp_path / "notice.pdf"
    run = hub_cmd("check", "bankruptcy", sample["uscc"], "--home", str(demo), "--as", "court",
                  "--pdf", str(pdf))
    assert run.returncode == 0, run.stderr
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert sample["name"] in text and "车辆" in text and "海关税款缴纳、货物通关" in text


def test_check_subject_unknown_exits_12(demo: Path, tmp_path: Path) -> None:
    """A valid code no registry holds: SUBJECT_UNKNOWN from the real hub, exit 12."""
    _, ents = demo_samples(demo)
    uscc = next(e["uscc"] for e in ents if "unknown" in e["tags"])
    out = tmp_path / "unknown.json"
    run = hub_cmd("check", "ipo", uscc, "--home", str(demo), "--lang", "zh", "--out", str(out))
    assert run.returncode == 12, run.stdout + run.stderr
    assert "登记机关无此企业" in run.stdout and "未向其他部门查询" in run.stdout
    report = orjson.loads(out.read_bytes())["report"]
    assert report["verdict"] == "SUBJECT_UNKNOWN" and report["domains"] == []
    ok = hub_cmd("report", "verify", str(out), "--home", str(demo))
    assert ok.returncode == 0 and report["reportNo"] in ok.stdout


def test_check_sends_the_case_operator_and_period(demo: Path, tmp_path: Path) -> None:
    _, ents = demo_samples(demo)
    sample = next(e for e in ents if "status:deregistered" in e["tags"])
    out = tmp_path / "report.json"
    run = hub_cmd("check", "bankruptcy", sample["uscc"], "--home", str(demo), "--as", "court",
                  "--case", "(2026)豫07破1号", "--operator", "张三", "--base-date", "2026-01-05",
                  "--out", str(out), "--lang", "zh")
    assert run.returncode == 10, run.stdout + run.stderr  # deregistered: a finding
    report = orjson.loads(out.read_bytes())["report"]
    assert (report["case"], report["operator"], report["baseDate"]) == (
        "(2026)豫07破1号", "张三", "2026-01-05")
    assert report["subject"]["name"] == sample["name"]
    assert "企业登记状态为注销" in run.stdout and "债务清单" in run.stdout
    assert sample["name"] in run.stdout


@pytest.mark.parametrize(("args", "says"), [
    (("--since", "2026-05-01", "--until", "2026-04-30"), "BAD_USER_INPUT"),
    (("--since", "2001-01-01"), "longer than 10 years"),
    (("--since", "yesterday"), "not a date"),
    (("--case", "x" * 65), "at most 64 characters"),
    (("--case", "a\x07b"), "control and format characters"),
])
def test_check_bad_input_exits_2(demo: Path, args: tuple[str, ...], says: str) -> None:
    _, ents = demo_samples(demo)
    uscc = next(e["uscc"] for e in ents if "clean" in e["tags"])
    run = hub_cmd("check", "ipo", uscc, "--home", str(demo), *args)
    assert run.returncode == 2 and says in run.stderr, run.stderr


def test_check_as_a_caller_not_allowed(demo: Path) -> None:
    info = orjson.loads((demo / "demo.json").read_bytes())
    samples = httpx2.get(info["sandbox_url"] + "/_sandbox/samples", timeout=30).json()
    uscc = samples["enterprises"][0]["uscc"]
    run = hub_cmd("check", "bankruptcy", uscc, "--home", str(demo), "--as", "fgw")
    assert run.returncode == 1 and "FORBIDDEN" in run.stderr


def test_check_refuses_a_bad_uscc_and_a_missing_hub(tmp_path: Path) -> None:
    run = hub_cmd("check", "ipo", "123", "--home", str(tmp_path))
    assert run.returncode == 2 and "18 characters" in run.stderr
    run = hub_cmd("check", "ipo", "91110000600037341L", "--home", str(tmp_path),
                  env={"HUB_URL": "", "HUB_API_KEY": ""})
    assert run.returncode == 2 and "hub demo" in run.stderr


def test_verify_refuses_unknown_keys_and_non_reports(tmp_path: Path) -> None:
    assert hub_cmd("keys", "init", str(tmp_path / "k1")).returncode == 0
    again = hub_cmd("keys", "init", str(tmp_path / "k1"))
    assert again.returncode == 1 and "never overwritten" in again.stderr
    junk = tmp_path / "junk.json"
    junk.write_text('{"hello": 1}')
    run = hub_cmd("report", "verify", str(junk), "--keys", str(tmp_path / "k1" / "hub-keys.json"))
    assert run.returncode == 1 and "not a signed report" in run.stderr


def config_text(sandbox: SandboxProcess, home: Path, api_key: str, port: int,
                extra: str = "") -> str:
    return (f'[hub]\nport = {port}\nkeys_dir = "keys"\n{extra}\n'
            f'[callers.fgw]\nname = "市发改委"\nrole = "lead"\n'
            f'key_sha256 = "{hash_key(api_key)}"\n\n' + sandbox.config_text)


@pytest.mark.parametrize(("extra", "says"), [
    ("demo = 3", "hub.demo: must be true or false"),
    ("colour = 1", "hub.colour: unknown key"),
    ("port = 70000", "hub.port: must be a whole number"),
])
def test_serve_refuses_an_invalid_config_naming_the_key(sandbox: SandboxProcess, tmp_path: Path,
                                                        extra: str, says: str) -> None:
    path = tmp_path / "hub.toml"
    text = config_text(sandbox, tmp_path, "k", 8000).replace("port = 8000\n", "")
    path.write_text(text.replace('keys_dir = "keys"\n', f'keys_dir = "keys"\n{extra}\n'))
    run = hub_cmd("serve", "--config", str(path))
    assert run.returncode == 2 and says in run.stderr, run.stderr


def test_serve_refuses_bad_callers_and_sources(sandbox: SandboxProcess, tmp_path: Path) -> None:
    path = tmp_path / "hub.toml"
    good = config_text(sandbox, tmp_path, "k", 8000)
    for broken, says in ((good.replace('role = "lead"', 'role = "king"'),
                          "callers.fgw.role: 'king' is not one of"),
                         (good.replace("timeout_s = 2.0", "timeout_s = -1", 1),
                          "sources.cgj_penalties.timeout_s"),
                         ("[hub\n", "not valid TOML")):
        path.write_text(broken)
        run = hub_cmd("serve", "--config", str(path))
        assert run.returncode == 2 and says in run.stderr, run.stderr


def test_serve_runs_from_a_config_file(sandbox: SandboxProcess, tmp_path: Path) -> None:
    assert hub_cmd("keys", "init", str(tmp_path / "keys")).returncode == 0
    port = free_port()
    path = tmp_path / "hub.toml"
    path.write_text(config_text(sandbox, tmp_path, "secret-key-123", port))
    assert hub_cmd("db", "upgrade", "--config", str(path)).returncode == 0
    proc = subprocess.Popen([sys.executable, "-m", "hub", "serve", "--config", str(path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx2.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.1)
        r = httpx2.post(f"http://127.0.0.1:{port}/graphql", json={"query": "{ sources { name } }"},
                       headers={"Authorization": "Bearer secret-key-123"})
        names = [s["name"] for s in r.json()["data"]["sources"]]
        # Every department source, and the licence library ([licences]).
        assert sorted(names) == sorted([*sandbox.config["sources"], "dzzz_licences"])
    finally:
        proc.terminate()
        proc.wait(10)


def test_a_demo_on_a_taken_port_exits_and_its_home_starts_again(tmp_path: Path) -> None:
    """`hub demo --port P` with P taken exits 3 saying so; a demo started again in the same
    home, on a free port, comes up (what `running_demo` does when its port was taken)."""
    import socket

    home = tmp_path / ".hub"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = hub_cmd("demo", "--port", str(port), "--home", str(home), "--no-latency",
                      timeout=120)
    assert run.returncode == 3 and "address already in use" in run.stderr
    assert not (home / "demo.json").exists()
    with running_demo(home) as started:
        assert (started / "demo.json").exists()
