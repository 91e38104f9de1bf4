"""Model precision study: nDCG@10, encoding speed and weight memory per precision, on one subset.

CPU: float32, bfloat16 and int8 (torch dynamic quantisation of every Linear layer, as
``--dtype int8``). GPU: float32, bfloat16, bitsandbytes 8-bit and 4-bit (NF4) and torchao int8
weight-only, each through ``from_pretrained(quantization_config=...)``. A precision that cannot run
here becomes a row saying why, never a number.
"""
from __future__ import annotations

import gc
import importlib.util
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import torch

from ..loading.load import load_model
from ..core.model import CspladeModel
from ..evaluate.report import directory_bytes
from .encoding import encode_documents, encode_queries
from .impacts import at_scale
from .lucene import build_indexes, evaluate_runs, search_impact, write_collection
from .subset import Subset

MIB = 1024 * 1024
GPU_ONLY = {"bnb-int8": "bitsandbytes", "bnb-int4": "bitsandbytes", "torchao-int8wo": "torchao"}


def unavailable(precision: str, device: str) -> str | None:
    """Why ``precision`` cannot be measured on ``device`` (None if it can)."""
    on_gpu = device.startswith("cuda")
    if precision in GPU_ONLY:
        if not on_gpu:
            return "GPU-only, not measured"
        if importlib.util.find_spec(GPU_ONLY[precision]) is None:
            return f"needs {GPU_ONLY[precision]}, not installed"
    if precision == "int8" and on_gpu:
        return "CPU-only (torch dynamic quantisation), not measured on a GPU"
    return None


def weight_bytes(module: torch.nn.Module) -> int:
    """Bytes of the tensors in ``module.state_dict()`` (tied weights once; packed int8 weights included)."""
    seen: set[tuple[int, int]] = set()
    total = 0

    def add(value: Any) -> None:
        nonlocal total
        if isinstance(value, torch.Tensor):
            key = (value.data_ptr(), value.numel())
            if key not in seen:
                seen.add(key)
                total += value.numel() * value.element_size()
        elif isinstance(value, (tuple, list)):
            for item in value:
                add(item)

    for value in module.state_dict().values():
        add(value)
    return total


def quantization_config(precision: str):
    from transformers import BitsAndBytesConfig, TorchAoConfig

    if precision == "bnb-int8":
        return BitsAndBytesConfig(load_in_8bit=True)
    if precision == "bnb-int4":
        return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4",
                                  bnb_4bit_compute_dtype=torch.bfloat16)
    from torchao.quantization import Int8WeightOnlyConfig

    return TorchAoConfig(quant_type=Int8WeightOnlyConfig())


def load_quantized(name: str, precision: str, device: str, **overrides: Any) -> CspladeModel:
    """A GPU model quantised at load time: the merged bf16 model is saved and reloaded with the config."""
    from transformers import AutoModelForCausalLM

    base = load_model(name, device="cpu", dtype="bfloat16", **overrides)
    with tempfile.TemporaryDirectory(prefix="csplade-bench-") as tmp:
        base.save(tmp)
        lm = AutoModelForCausalLM.from_pretrained(tmp, dtype=torch.bfloat16, device_map={"": device},
                                                  quantization_config=quantization_config(precision))
    return CspladeModel(lm.eval(), base.tokenizer, base.config)


def load_precision(name: str, precision: str, device: str, **overrides: Any) -> tuple[CspladeModel, int]:
    """The model at ``precision`` and its weight memory in bytes (GPU: allocated by the load)."""
    on_gpu = device.startswith("cuda")
    before = torch.cuda.memory_allocated(device) if on_gpu else 0
    if precision in GPU_ONLY:
        model = load_quantized(name, precision, device, **overrides)
    else:
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
        reason = unavailable(precision, device)
        if reason is not None:
            rows.append({"precision": precision, "measured": False, "reason": reason})
            continue
        started = time.perf_counter()
        model_and_memory = loaded(precision)
        load_s = None
        if model_and_memory is None:
            model_and_memory = load_precision(model_name, precision, device, **overrides)
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
    reference = next((r for r in rows if r.get("measured") and r["precision"] == "float32"), None)
    for row in rows:
        if row.get("measured") and reference is not None:
            row["speed_vs_float32"] = row["docs_per_s"] / reference["docs_per_s"]
            row["ndcg_delta_vs_float32"] = row["ndcg@10"] - reference["ndcg@10"]
            row["memory_vs_float32"] = row["weights_mib"] / reference["weights_mib"]
    return {"subset": subset.describe(), "rows": rows}
