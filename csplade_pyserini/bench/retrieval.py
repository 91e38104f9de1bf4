"""Sparsity, index size, search latency with query pruning, and the impact-weight study.

One encoding of the subset (documents and queries, float weights) feeds everything: the impacts at
the model's ``weight_scale`` (what ``csplade encode`` exports) give the sparsity figures, the main
impact index and the searches; the same float weights re-quantised give the 8-bit and coarse-scale
indexes. A BM25 index of the same subset corpus is the baseline for size and latency.
"""
from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

from ..core.model import CspladeModel, SparseVector
from ..errors import CspladeError
from ..evaluate.report import directory_bytes
from .encoding import encode_documents, encode_queries, query_latency
from .impacts import at_scale, max_normalised, max_weight, pruned
from .lucene import build_indexes, evaluate_runs, search_bm25, search_impact, write_collection
from .subset import Subset

MIB = 1024 * 1024
Impacts = dict[str, int]


def distribution(values: list[int]) -> dict[str, float]:
    if not values:
        return {"mean": 0.0, "median": 0.0, "min": 0, "max": 0}
    return {"mean": statistics.fmean(values), "median": float(statistics.median(values)),
            "min": min(values), "max": max(values)}


Scheme = tuple[str, list[Impacts], dict[str, Impacts]]  # label, document impacts, query impacts


def impact_schemes(model: CspladeModel, doc_vectors: list[SparseVector],
                   query_vectors: dict[str, SparseVector], coarse: float) -> dict[str, Scheme]:
    """``{name: (label, document impacts, query impacts)}``; the model's own scale comes first."""
    scale = model.config.weight_scale
    if coarse == scale:
        raise CspladeError(f"--coarse-scale {coarse:g} is the model's own weight_scale; choose another")
    doc_max = max_weight(doc_vectors)

    def scaled(factor: float) -> tuple[list[Impacts], dict[str, Impacts]]:
        return ([at_scale(model, v, factor) for v in doc_vectors],
                {q: at_scale(model, v, factor) for q, v in query_vectors.items()})

    def normalised(bits: int) -> Scheme:
        return (f"{bits}-bit (1..{2 ** bits - 1}, max-normalised)",
                [max_normalised(model, v, doc_max, bits) for v in doc_vectors],
                {q: max_normalised(model, v, max_weight([v]), bits) for q, v in query_vectors.items()})

    return {
        f"scale{scale:g}": (f"scale {scale:g} (model default)", *scaled(scale)),
        "8bit": normalised(8),
        "4bit": normalised(4),
        f"scale{coarse:g}": (f"scale {coarse:g}", *scaled(coarse)),
    }


def run_retrieval(model: CspladeModel, model_name: str, dtype: str, subset: Subset, workdir: Path,
                  batch_size: int, repetitions: int, latency_queries: int, prune_k: list[int | None],
                  coarse_scale: float) -> dict[str, Any]:
    doc_vectors, doc_speed = encode_documents(model, subset.documents, batch_size, repetitions)
    query_vectors = encode_queries(model, subset.topics, batch_size)
    latency = query_latency(model, list(subset.topics.values())[:latency_queries], repetitions)
    schemes = impact_schemes(model, doc_vectors, query_vectors, coarse_scale)
    main = next(iter(schemes))

    collections = {name: write_collection(workdir / f"collection-{name}", subset.documents, docs,
                                          model.config, model_name, dtype)
                   for name, (_, docs, _) in schemes.items()}
    indexes = {name: workdir / f"index-{name}" for name in schemes}
    bm25 = workdir / "index-bm25"
    jobs = {indexes[name]: ("impact", collections[name]) for name in schemes}
    build_indexes({**jobs, bm25: ("bm25", subset.corpus_dir)})

    scale = model.config.weight_scale
    queries = {name: vectors for name, (_, _, vectors) in schemes.items()}
    for k in prune_k:
        if k is not None:
            queries[f"{main}-top{k}"] = {q: at_scale(model, pruned(v, k), scale)
                                         for q, v in query_vectors.items()}
    runs = {"bm25": search_bm25(bm25, subset.topics, repetitions)}  # one at a time, nothing else running
    for name, vectors in queries.items():
        runs[name] = search_impact(indexes.get(name, indexes[main]), vectors, repetitions)
    scores = evaluate_runs(runs, subset.qrels_file, workdir / "runs")
    for name, vectors in queries.items():
        scores[name]["query_terms_mean"] = statistics.fmean(len(v) for v in vectors.values())
        scores[name]["speed_vs_bm25"] = scores[name]["queries_per_s"] / scores["bm25"]["queries_per_s"]

    impacts = [{"impacts": label, **scores[name],
                "max_impact": max((max(v.values()) for v in docs if v), default=0),
                "collection_mib": directory_bytes(collections[name] / "vectors") / MIB,
                "index_mib": directory_bytes(indexes[name]) / MIB}
               for name, (label, docs, _) in schemes.items()]
    return {
        "subset": subset.describe(),
        "encode": doc_speed,
        "query_encoding": latency,
        "sparsity": {"doc_terms": distribution([len(v) for v in schemes[main][1]]),
                     "query_terms": distribution([len(v) for v in schemes[main][2].values()]),
                     "doc_top_k": model.config.doc_top_k, "query_top_k": model.config.query_top_k,
                     "weight_scale": scale},
        "sizes": {"collection_mib": impacts[0]["collection_mib"], "impact_index_mib": impacts[0]["index_mib"],
                  "bm25_index_mib": directory_bytes(bm25) / MIB,
                  "corpus_mib": directory_bytes(subset.corpus_dir) / MIB},
        "bm25": scores["bm25"],
        "pruning": [{"top_k": k, **scores[main if k is None else f"{main}-top{k}"]} for k in prune_k],
        "impacts": impacts,
    }
