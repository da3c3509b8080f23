"""The command line itself: --version, help for every option, and a --help that imports no web
or database library."""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.cli import build_parser
from tests.hub.procs import hub_cmd

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("strawberry", "sqlalchemy", "aiohttp", "uvicorn", "starlette", "graphql", "alembic",
         "structlog", "cryptography", "asyncpg", "aiosqlite")


def parsers(parser: argparse.ArgumentParser, path: str = "hub"
            ) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from parsers(child, f"{path} {name}")


def test_version_is_the_packages() -> None:
    expected = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    run = hub_cmd("--version")
    assert run.returncode == 0 and run.stdout.strip() == f"hub (one-thing-hub) {expected}"


def test_every_command_and_option_is_described() -> None:
    seen = 0
    for path, parser in parsers(build_parser()):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                described = {a.dest for a in action._choices_actions if a.help}
                assert described == set(action.choices), f"{path}: commands without help"
                continue
            if isinstance(action, argparse._HelpAction):
                continue
            seen += 1
            assert action.help and action.help is not argparse.SUPPRESS, \
                f"{path} {action.option_strings or action.dest}: no help"
    assert seen > 40  # the walk reached every subcommand's options


@pytest.mark.parametrize("args", [["--help"], ["serve", "--help"], ["db", "upgrade", "--help"],
                                  ["keys", "rotate", "--help"], ["audit", "export", "--help"],
                                  ["check", "--help"], ["--version"]])
def test_help_imports_no_web_or_database_library(args: list[str]) -> None:
    probe = ("import sys\nfrom hub.cli import main\ntry:\n    main(%r)\nexcept SystemExit:\n"
             "    pass\nprint(sorted({m.split('.')[0] for m in sys.modules}))" % args)
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    loaded = set(ast.literal_eval(run.stdout.strip().splitlines()[-1]))
    assert loaded.isdisjoint(HEAVY), loaded & set(HEAVY)
    assert "hub" in loaded  # the probe did import the CLI


def test_serve_help_describes_its_options() -> None:
    run = hub_cmd("serve", "--help")
    assert run.returncode == 0
    for text in ("--config", "--workers", "SIGTERM", "non-zero exit"):
        assert text in run.stdout


def test_sandbox_advertises_the_name_the_hub_reaches_it_by(tmp_path: Path) -> None:
    run = hub_cmd("sandbox", "--port", "9100", "--host", "0.0.0.0", "--advertise", "sandbox",
                  "--data-dir", str(tmp_path), "--print-config")
    assert run.returncode == 0, run.stderr
    urls = [line for line in run.stdout.splitlines() if line.startswith("url = ")]
    assert urls and all(u.startswith('url = "http://sandbox:91') for u in urls)
