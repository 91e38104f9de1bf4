"""The ``csplade`` command: one sub-command module per step in this package.

Sub-command modules register their parsers without importing torch, so ``csplade --help`` is fast;
each one's ``run(args)`` does the work. A :class:`CspladeError` becomes one line on stderr and exit
code 2; SIGTERM unwinds like Ctrl-C.
"""
from __future__ import annotations

import argparse
import errno
import importlib
import signal
import sys

from ..errors import CspladeError
from ..logs import quiet_noisy_loggers

COMMAND_MODULES = ("datasets", "models", "teach", "train", "encode", "encode_queries", "query_table", "inspect",
                   "index", "search", "fuse", "report", "check", "bench", "bench_search", "scale")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="csplade",
        description="CSPLADE learned sparse retrieval on causal LMs for Pyserini: "
                    "train -> encode -> export -> index -> search -> evaluate.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__package__}.{name}").register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    quiet_noisy_loggers()
    args = build_parser().parse_args(argv)
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        return int(args.run(args) or 0)
    except CspladeError as exc:
        print(f"csplade {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except (PermissionError, IsADirectoryError) as exc:  # a read-only output, a path in the way
        print(f"csplade {args.command}: error: {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    except OSError as exc:  # a full disk, a file-size limit, a read-only file system...
        if exc.errno is None:
            raise
        reason = "no space left on the device" if exc.errno == errno.ENOSPC else exc.strerror
        print(f"csplade {args.command}: error: {exc.filename or 'writing the output'}: {reason}",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"csplade {args.command}: interrupted", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)


def _terminated(signum: int, frame) -> None:
    """SIGTERM unwinds like Ctrl-C (child processes stopped, temporary files removed), then exits 143."""
    print("csplade: terminated", file=sys.stderr)
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    sys.exit(main())
