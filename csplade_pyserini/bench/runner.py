"""``csplade bench``: run the measurement families in one process and write JSON + markdown."""
from __future__ import annotations

import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch

from ..core.model import CspladeModel
from ..formats.files import atomic_text
from ..loading.load import load_model, parse_device
from ..loading.precision import resolve_precision
from .config import BenchConfig
from .machine import machine_info
from .memory import run_memory
from .quantization import from_retrieval, run_quantization, weight_bytes
from .report import render
from .retrieval import run_retrieval
from .subset import Subset, export_dataset, make_subset
from .throughput import run_throughput


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def load_main(config: BenchConfig, device: str, precision: str) -> CspladeModel:
    log(f"loading {config.model} ({precision}, {device})")
    return load_model(config.model, device=device, dtype=precision, doc_max_length=config.doc_length)


def throughput_model(model: CspladeModel, config: BenchConfig, device: str, precision: str) -> CspladeModel:
    """The main model, or the same weights loaded as ``causal`` if the main one is bidirectional."""
    if model.config.variant != "bi":
        return model
    return load_model(config.model, device=device, dtype=precision, variant="causal")


def subsets(config: BenchConfig, workdir: Path) -> tuple[Subset, Subset]:
    source = export_dataset(config.dataset, workdir / "dataset")
    main = make_subset(source, workdir / "subset-main", "main", config.queries, config.docs, config.seed)
    if (config.quant_queries, config.quant_docs) == (config.queries, config.docs):
        return main, main
    quant = make_subset(source, workdir / "subset-quantization", "quantization", config.quant_queries,
                        config.quant_docs, config.seed)
    return main, quant


def run_benchmark(config: BenchConfig, output: Path, workdir: Path) -> dict[str, Any]:
    """Measure every requested part; ``output`` (JSON) and the markdown beside it are rewritten after
    each part, so an interrupted run keeps what it measured."""
    started = time.monotonic()
    if config.threads:
        torch.set_num_threads(config.threads)
    device = parse_device(config.device)
    precision = resolve_precision(config.dtype, device)
    model = load_main(config, device, precision)
    weights = weight_bytes(model.lm)
    meta = {"machine": machine_info(device), "model": config.model, "dataset": config.dataset,
            "precision": precision, "variant": model.config.variant, "vocab": len(model.vocabulary),
            "pool_chunk_size": model.config.pool_chunk_size, "weights_mib": weights / 2**20,
            "mode": "smoke" if config.smoke else "full", "repetitions": config.repetitions,
            "started": datetime.now(timezone.utc).isoformat(timespec="seconds"), "config": config.to_dict(),
            "part_seconds": {}, "seconds": 0.0}
    results: dict[str, Any] = {"meta": meta}
    clock = time.monotonic()

    def done(part: str, result: dict[str, Any]) -> None:
        nonlocal clock
        results[part] = result
        meta["part_seconds"][part] = round(time.monotonic() - clock, 1)
        meta["seconds"] = round(time.monotonic() - started, 1)
        clock = time.monotonic()
        write_results(results, output)

    parts = config.families
    if "memory" in parts:
        log("peak memory (one process per configuration)")
        vocabs = [v or len(model.vocabulary) for v in config.memory_vocabs]
        dtype = precision if precision in ("float32", "bfloat16", "float16") else "float32"
        done("memory", run_memory(vocabs, config.memory_lengths, config.memory_batch, config.memory_hidden,
                                  model.config.pool_chunk_size, dtype, device, config.repetitions,
                                  workers=2 if config.smoke else 1))
    if "retrieval" in parts or "quantization" in parts:
        main_subset, quant_subset = subsets(config, workdir)
    if "retrieval" in parts:
        log(f"retrieval: {main_subset.docs} documents, {main_subset.queries} queries")
        done("retrieval", run_retrieval(model, config.model, precision, main_subset, workdir / "retrieval",
                                        config.batch_size, config.repetitions, config.latency_queries,
                                        config.prune_k, config.coarse_scale))
    if "quantization" in parts:
        log(f"quantization: {quant_subset.docs} documents, {quant_subset.queries} queries")
        same = quant_subset is main_subset and "retrieval" in results
        done("quantization", run_quantization(
            config.model, config.precisions, device, quant_subset, workdir / "quantization",
            config.batch_size, config.repetitions, {"doc_max_length": config.doc_length},
            loaded=lambda p: (model, weights) if p == precision else None,
            measured={precision: from_retrieval(results["retrieval"])} if same else None))
    if "throughput" in parts:
        log("encoding throughput")
        done("throughput", run_throughput(lambda: throughput_model(model, config, device, precision),
                                          config.variants, config.batch_sizes, config.lengths,
                                          config.chunk_sizes, config.repetitions, config.seed))
    return results


def markdown_path(output: Path) -> Path:
    return output.with_suffix(".md")


def write_results(results: dict[str, Any], output: Path) -> None:
    with atomic_text(output) as handle:
        handle.write(json.dumps(results, indent=2) + "\n")
    with atomic_text(markdown_path(output)) as handle:
        handle.write(render(results))
