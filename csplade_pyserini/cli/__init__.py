"""The ``csplade`` command: one sub-command module per step in this package.

Sub-command modules register their parsers without importing torch, so ``csplade --help`` is fast;
each one's ``run(args)`` does the work. A :class:`CspladeError` becomes one line on stderr and exit
code 2.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from ..errors import CspladeError

COMMAND_MODULES = ("datasets", "models", "teach", "train", "encode", "encode_queries", "inspect", "index",
                   "fuse", "report", "bench")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="csplade",
        description="CSPLADE learned sparse retrieval on causal LMs for Pyserini: "
                    "train -> encode -> export -> index -> search -> evaluate.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"{__package__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__package__}.{name}":
                raise
            continue
        module.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except CspladeError as exc:
        print(f"csplade {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"csplade {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
