"""``csplade bench``: encoding throughput, peak memory, sparsity, index size, search latency and
quantization, measured in one run on this machine; prints a markdown table and writes it as JSON
(``--output``) and markdown (same name, ``.md``) side by side.

Default sizes fit in about 20 minutes on two CPU cores with SmolLM2-135M; ``--smoke`` runs every
part on tiny sizes in about a minute (its numbers only show that everything runs).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import options
from ..bench.config import SMOKE_SIZES, BenchConfig, default_model


def register(commands) -> None:
    parser = commands.add_parser("bench", help="measure encode/index/search performance and quantization",
                                 description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", default="bench.json", help="JSON results; the markdown goes next to it "
                                                               "(default: %(default)s)")
    parser.add_argument("--workdir",
                        help="collections, indexes and runs (default: OUTPUT without its suffix + '-work')")
    options.add_arguments(parser, BenchConfig)
    parser.set_defaults(run=run)


def bench_config(args: argparse.Namespace) -> BenchConfig:
    """Defaults (``--smoke``: :data:`SMOKE_SIZES`) < the ``--config`` file < the flags given."""
    smoke = options.given(BenchConfig, args).get("smoke")
    if smoke is None and getattr(args, "config", None):
        smoke = options.read_config_file(args.config).get("smoke")
    defaults = {"model": default_model(), **(SMOKE_SIZES if smoke is True else {})}
    return options.from_args(BenchConfig, args, **defaults)


def run(args: argparse.Namespace) -> int:
    from transformers.utils import logging as hf_logging

    from ..bench.runner import markdown_path, run_benchmark

    hf_logging.disable_progress_bar()
    config = bench_config(args)
    output = Path(args.output)
    workdir = Path(args.workdir) if args.workdir else output.with_name(output.stem + "-work")
    results = run_benchmark(config, output, workdir)
    print(markdown_path(output).read_text())
    print(f"{output}: JSON results; {markdown_path(output)}: this table ({results['meta']['seconds']} s)",
          file=sys.stderr)
    return 0
