"""``python -m kaptrain.content check DIR [--strict] [--format json]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kaptrain.content.check import run_check


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run the checker; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m kaptrain.content", description="Tools for kaptrain content."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="check a modules tree or one module")
    check.add_argument(
        "directory",
        nargs="?",
        default="modules",
        type=Path,
        help="folder holding the modules (default: modules)",
    )
    check.add_argument("--strict", action="store_true", help="fail on warnings too")
    check.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        dest="fmt",
        help="output format (default: text)",
    )
    args = parser.parse_args(argv)
    return run_check(args.directory, strict=args.strict, fmt=args.fmt, out=sys.stdout)


if __name__ == "__main__":
    sys.exit(main())
