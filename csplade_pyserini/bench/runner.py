"""``csplade bench``: run the measurement families in one process and write JSON + markdown."""
from __future__ import annotations

import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch

from ..data import atomic_text
from ..loading import load_model, parse_device
from ..precision import resolve_precision
from ..presets import DEFAULT_PRESET, find_preset
from .config import BenchConfig
from .machine import machine_info
from .memory import run_memory
from .quantization import from_retrieval, run_quantization, weight_bytes
from .report import render
from .retrieval import run_retrieval
from .subset import Subset, export_dataset, make_subset
from .throughput import run_throughput

FALLBACK_MODEL = "smollm2-135m"


def default_model() -> str:
    """The ``csplade`` preset when it exists, else the raw base model."""
    return DEFAULT_PRESET if find_preset(DEFAULT_PRESET) is not None else FALLBACK_MODEL


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


class Models:
    """The main model, loaded once on first use."""

    def __init__(self, config: BenchConfig, device: str, precision: str) -> None:
        self.config, self.device, self.precision = config, device, precision
        self._main = None
        self.load_s = 0.0
        self.weights = 0

    @property
    def main(self):
        if self._main is None:
            log(f"loading {self.config.model} ({self.precision}, {self.device})")
            started = time.perf_counter()
            self._main = load_model(self.config.model, device=self.device, dtype=self.precision,
                                    doc_max_length=self.config.doc_length)
            self.load_s = time.perf_counter() - started
            self.weights = weight_bytes(self._main.lm)
        return self._main

    def causal(self):
        """The model for the throughput grid: loaded as causal if the main one is bidirectional."""
        if self.main.config.variant != "bi":
            return self.main
        return load_model(self.config.model, device=self.device, dtype=self.precision, variant="causal")


def subsets(config: BenchConfig, workdir: Path) -> tuple[Subset, Subset]:
    source = export_dataset(config.dataset, workdir / "dataset")
    main = make_subset(source, workdir / "subset-main", "main", config.queries, config.docs, config.seed)
    if (config.quant_queries, config.quant_docs) == (config.queries, config.docs):
        return main, main
    quant = make_subset(source, workdir / "subset-quantization", "quantization", config.quant_queries,
                        config.quant_docs, config.seed)
    return main, quant


def run_benchmark(config: BenchConfig, output: Path, workdir: Path) -> dict[str, Any]:
    """Measure every requested family; writes ``output`` (JSON) and the markdown beside it."""
    started = time.monotonic()
    if config.threads:
        torch.set_num_threads(config.threads)
    device = parse_device(config.device)
    precision = resolve_precision(config.dtype, device)
    models = Models(config, device, precision)
    model = models.main
    results: dict[str, Any] = {
        "meta": {"machine": machine_info(device), "model": config.model, "dataset": config.dataset,
                 "precision": precision, "variant": model.config.variant, "vocab": len(model.vocabulary),
                 "pool_chunk_size": model.config.pool_chunk_size, "weights_mib": models.weights / 2**20,
                 "mode": "smoke" if config.smoke else "full", "repetitions": config.repetitions,
                 "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                 "config": config.to_dict()}}
    families = config.families
    seconds = results["meta"]["part_seconds"] = {}
    clock = time.monotonic()

    def lap(part: str) -> None:
        nonlocal clock
        seconds[part] = round(time.monotonic() - clock, 1)
        clock = time.monotonic()

    lap("load")
    if "memory" in families:
        log("peak memory (one process per configuration)")
        vocabs = [v or len(model.vocabulary) for v in config.memory_vocabs]
        results["memory"] = run_memory(vocabs, config.memory_lengths, config.memory_batch, config.memory_hidden,
                                       model.config.pool_chunk_size, precision if precision != "int8" else "float32",
                                       device, config.repetitions, workers=2 if config.smoke else 1)
        lap("memory")
    if "retrieval" in families or "quantization" in families:
        main_subset, quant_subset = subsets(config, workdir)
        if "retrieval" in families:
            log(f"retrieval: {main_subset.docs} documents, {main_subset.queries} queries")
            results["retrieval"] = run_retrieval(model, config.model, precision, main_subset, workdir / "retrieval",
                                                 config.batch_size, config.repetitions, config.latency_queries,
                                                 config.prune_k, config.coarse_scale)
            lap("retrieval")
        if "quantization" in families:
            log(f"quantization: {quant_subset.docs} documents, {quant_subset.queries} queries")
            results["quantization"] = run_quantization(
                config.model, config.precisions, device, quant_subset, workdir / "quantization", config.batch_size,
                config.repetitions, {"doc_max_length": config.doc_length},
                loaded=lambda p: (model, models.weights) if p == precision else None,
                measured={precision: from_retrieval(results["retrieval"])}
                if quant_subset is main_subset and "retrieval" in results else None)
            lap("quantization")
    if "throughput" in families:
        log("encoding throughput")
        results["throughput"] = run_throughput(models.causal, config.variants, config.batch_sizes, config.lengths,
                                               config.chunk_sizes, config.repetitions, config.seed)
        lap("throughput")
    results["meta"]["seconds"] = round(time.monotonic() - started, 1)
    write_results(results, output)
    return results


def markdown_path(output: Path) -> Path:
    return output.with_suffix(".md")


def write_results(results: dict[str, Any], output: Path) -> None:
    with atomic_text(output) as handle:
        handle.write(json.dumps(results, indent=2) + "\n")
    with atomic_text(markdown_path(output)) as handle:
        handle.write(render(results))
