"""Model precision study on a subset: nDCG@10, encoding speed and weight memory per precision.

float32, bfloat16 and every quantization method of ``--dtype`` (torch, bitsandbytes, torchao: see
:mod:`csplade_pyserini.loading.quantization`), each loaded through :func:`load_model`, the index built
with the quantized model (the paper's protocol). A method that cannot run here becomes a row with the
library's reason, never a number. Ratios are against bfloat16, measured in the same run.
(``recipes/quantization.sh`` runs the same comparison on a whole corpus.)
"""
from __future__ import annotations

import gc
import time
from pathlib import Path
from typing import Any, Callable

import torch

from ..core.model import CspladeModel
from ..errors import CspladeError
from ..evaluate.report import directory_bytes
from ..loading.load import load_model
from ..loading.quantization import weight_bytes
from .encoding import encode_documents, encode_queries
from .impacts import at_scale
from .lucene import build_indexes, evaluate_runs, search_impact, write_collection
from .subset import Subset

MIB = 1024 * 1024
REFERENCE = "bfloat16"


def load_precision(name: str, precision: str, device: str, **overrides: Any) -> tuple[CspladeModel, int]:
    """The model at ``precision`` and its weight memory in bytes (GPU: allocated by the load)."""
    on_gpu = device.startswith("cuda")
    before = torch.cuda.memory_allocated(device) if on_gpu else 0
    model = load_model(name, device=device, dtype=precision, **overrides)
    used = torch.cuda.memory_allocated(device) - before if on_gpu else weight_bytes(model.lm)
    return model, used


Impacts = dict[str, int]


def encode_precision(model: CspladeModel, precision: str, subset: Subset, workdir: Path, model_name: str,
                     batch_size: int, repetitions: int) -> tuple[dict[str, Any], Path, dict[str, Impacts]]:
    """Encoding speed, the written collection and the query impacts of one precision."""
    doc_vectors, speed = encode_documents(model, subset.documents, batch_size, repetitions)
    query_vectors = encode_queries(model, subset.topics, batch_size)
    scale = model.config.weight_scale
    collection = write_collection(workdir / f"collection-{precision}", subset.documents,
                                  [at_scale(model, v, scale) for v in doc_vectors], model.config, model_name,
                                  precision)
    queries = {q: at_scale(model, v, scale) for q, v in query_vectors.items()}
    figures = {"docs_per_s": speed["docs_per_s"], "tokens_per_s": speed["tokens_per_s"], "encode": speed}
    return figures, collection, queries


def score_precisions(encoded: dict[str, tuple[Path, dict[str, Impacts]]], subset: Subset, workdir: Path,
                     repetitions: int) -> dict[str, dict[str, Any]]:
    """Index every precision's collection, search (timed, one at a time) and score the runs."""
    indexes = {p: workdir / f"index-{p}" for p in encoded}
    build_indexes({indexes[p]: ("impact", collection) for p, (collection, _) in encoded.items()})
    runs = {p: search_impact(indexes[p], queries, repetitions) for p, (_, queries) in encoded.items()}
    scores = evaluate_runs(runs, subset.qrels_file, workdir / "runs")
    return {p: {"ndcg@10": scores[p]["ndcg@10"], "index_mib": directory_bytes(indexes[p]) / MIB,
                "run": scores[p]["run"]} for p in encoded}


def from_retrieval(retrieval: dict[str, Any]) -> dict[str, Any]:
    """The :func:`measure_precision` figures of a retrieval run on the same subset and model."""
    main = retrieval["impacts"][0]
    encode = retrieval["encode"]
    return {"docs_per_s": encode["docs_per_s"], "tokens_per_s": encode["tokens_per_s"], "encode": encode,
            "ndcg@10": main["ndcg@10"], "index_mib": main["index_mib"],
            "run": main["run"], "from_retrieval": True}


def run_quantization(model_name: str, precisions: list[str], device: str, subset: Subset, workdir: Path,
                     batch_size: int, repetitions: int, overrides: dict[str, Any],
                     loaded: Callable[[str], tuple[CspladeModel, int] | None] = lambda p: None,
                     measured: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """One row per precision. ``loaded(precision)`` may hand over an already loaded model and
    ``measured[precision]`` figures already measured on this subset (see :func:`from_retrieval`)."""
    rows = []
    encoded = {}
    for precision in precisions:
        started = time.perf_counter()
        model_and_memory = loaded(precision)
        load_s = None
        if model_and_memory is None:
            try:
                model_and_memory = load_precision(model_name, precision, device, **overrides)
            except CspladeError as exc:
                rows.append({"precision": precision, "measured": False, "reason": str(exc)})
                continue
            load_s = time.perf_counter() - started
        model, memory = model_and_memory
        row = {"precision": precision, "measured": True, "weights_mib": memory / MIB, "load_s": load_s}
        if measured and precision in measured:
            row.update(measured[precision])
        else:
            figures, collection, queries = encode_precision(model, precision, subset, workdir, model_name,
                                                            batch_size, repetitions)
            row.update(figures)
            encoded[precision] = (collection, queries)
        rows.append(row)
        del model, model_and_memory
        gc.collect()
        if device.startswith("cuda"):
            torch.cuda.empty_cache()
    scores = score_precisions(encoded, subset, workdir, repetitions) if encoded else {}
    for row in rows:
        row.update(scores.get(row["precision"], {}))
    reference = next((r for r in rows if r.get("measured") and r["precision"] == REFERENCE), None)
    for row in rows:
        if row.get("measured") and reference is not None:
            row["speed_vs_bf16"] = row["docs_per_s"] / reference["docs_per_s"]
            row["ndcg_delta_vs_bf16"] = row["ndcg@10"] - reference["ndcg@10"]
            row["memory_vs_bf16"] = row["weights_mib"] / reference["weights_mib"]
    return {"subset": subset.describe(), "rows": rows}
