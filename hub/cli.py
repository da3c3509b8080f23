"""The `hub` command line: demo, serve, sandbox, check, job, report, audit, keys and db.

Building the parser imports only the standard library: each subcommand's module declares its
options at the top and imports what it runs (the web stack, the database drivers) inside the
function that runs it, so `hub --help` and `hub --version` answer at once.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from hub.commands import (
    audit_cmd,
    check_cmd,
    db_cmd,
    job_cmd,
    keys_cmd,
    operations_cmd,
    report_cmd,
    sandbox_cmd,
    serve_cmd,
)

__all__ = ["build_parser", "main"]


class _VersionAction(argparse.Action):
    """`--version`, reading the package metadata only when asked."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS,
                 default: Any = argparse.SUPPRESS, help: str | None = None) -> None:
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        from hub.version import hub_version

        print(f"hub (one-thing-hub) {hub_version()}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hub", description="一件事数据共享核验中枢 One-Thing Hub",
        epilog="hub COMMAND --help describes each command and its options.")
    parser.add_argument("--version", action=_VersionAction,
                        help="print the hub's version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve_cmd.register(sub)
    sandbox_cmd.register(sub)
    check_cmd.register(sub)
    job_cmd.register(sub)
    report_cmd.register(sub)
    keys_cmd.register(sub)
    audit_cmd.register(sub)
    db_cmd.register(sub)
    operations_cmd.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        sys.stderr.close()
        return 1
