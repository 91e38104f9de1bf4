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

SIZE_OPTIONS = {  # flag -> (BenchConfig field, type, help)
    "--variants": ("variants", str, "throughput variants (causal echo bi)"),
    "--batch-sizes": ("batch_sizes", int, "throughput batch sizes"),
    "--lengths": ("lengths", int, "throughput document lengths in tokens"),
    "--chunk-sizes": ("chunk_sizes", "chunk", "chunked-pooling chunk sizes timed ('model' = the model's)"),
    "--memory-lengths": ("memory_lengths", int, "peak-memory lengths"),
    "--memory-vocabs": ("memory_vocabs", "vocab", "peak-memory vocabulary sizes ('model' = the model's)"),
    "--prune-k": ("prune_k", "k", "query pruning levels ('all' = no pruning)"),
    "--precisions": ("precisions", str, "precisions of the quantization study"),
    "--parts": ("families", str, "parts to run: throughput memory retrieval quantization"),
}
SCALAR_OPTIONS = {
    "--memory-batch": ("memory_batch", int, "peak-memory batch size"),
    "--docs": ("docs", int, "documents in the retrieval subset"),
    "--queries": ("queries", int, "queries in the retrieval subset (at most)"),
    "--quant-docs": ("quant_docs", int, "documents in the precision-study subset"),
    "--quant-queries": ("quant_queries", int, "queries in the precision-study subset (at most)"),
    "--doc-length": ("doc_length", int, "tokens per document for the encoder"),
    "--latency-queries": ("latency_queries", int, "queries encoded one by one for the query latency"),
    "--batch-size": ("batch_size", int, "encoding batch size of the retrieval parts"),
    "--coarse-scale": ("coarse_scale", float, "the coarse impact scale compared with the model's"),
    "--seed": ("seed", int, "seed of the document sample"),
}


def _named(kind: str, keyword: str):
    def convert(text: str):
        return None if text == keyword else int(text)
    convert.__name__ = kind
    return convert


CONVERTERS = {"chunk": _named("chunk size", "model"), "vocab": _named("vocabulary size", "model"),
              "k": _named("top-k", "all")}


def register(commands) -> None:
    parser = commands.add_parser("bench", help="measure encode/index/search performance and quantization",
                                 description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", "--encoder", dest="model",
                        help="model directory, preset or hub id (default: the csplade preset, else "
                             "smollm2-135m)")
    parser.add_argument("--dataset", default="beir/scifact/test",
                        help="ir_datasets id (default: %(default)s)")
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda, cuda:N")
    parser.add_argument("--dtype", default="auto",
                        help="precision of the main model (default: auto = bf16 on CUDA or a CPU with native "
                             "bf16, else float32)")
    parser.add_argument("--output", default="bench.json", help="JSON results; the markdown goes next to it "
                                                               "(default: %(default)s)")
    parser.add_argument("--workdir",
                        help="collections, indexes and runs (default: OUTPUT without its suffix + '-work')")
    parser.add_argument("--repetitions", type=int, default=3,
                        help="timed repetitions per figure (default: 3)")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: check that every part runs")
    for flag, (_, kind, text) in SIZE_OPTIONS.items():
        parser.add_argument(flag, nargs="+", type=CONVERTERS.get(kind, kind), help=text)
    for flag, (_, kind, text) in SCALAR_OPTIONS.items():
        parser.add_argument(flag, type=kind, help=text)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from transformers.utils import logging as hf_logging

    from ..bench.config import BenchConfig
    from ..bench.runner import default_model, markdown_path, run_benchmark

    hf_logging.disable_progress_bar()
    changes = {"model": args.model or default_model(), "dataset": args.dataset, "device": args.device,
               "dtype": args.dtype, "repetitions": args.repetitions, "threads": args.threads}
    for flag, (field, _, _) in {**SIZE_OPTIONS, **SCALAR_OPTIONS}.items():
        value = getattr(args, flag[2:].replace("-", "_"))
        if value is not None:
            changes[field] = value
    config = BenchConfig.smoke_test(**changes) if args.smoke else BenchConfig.full(**changes)
    output = Path(args.output)
    workdir = Path(args.workdir) if args.workdir else output.with_name(output.stem + "-work")
    results = run_benchmark(config, output, workdir)
    print(markdown_path(output).read_text())
    print(f"{output}: JSON results; {markdown_path(output)}: this table ({results['meta']['seconds']} s)",
          file=sys.stderr)
    return 0
