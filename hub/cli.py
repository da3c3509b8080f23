"""The `hub` command line: demo, serve, sandbox, check, report, audit and keys."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from hub.commands import audit_cmd, check_cmd, keys_cmd, report_cmd, sandbox_cmd, serve_cmd

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hub", description="一件事数据共享核验中枢 One-Thing Hub")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve_cmd.register(sub)
    sandbox_cmd.register(sub)
    check_cmd.register(sub)
    report_cmd.register(sub)
    keys_cmd.register(sub)
    audit_cmd.register(sub)
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
