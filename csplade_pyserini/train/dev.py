"""Dev evaluation during training: nDCG@10 of the model being trained, scored as Lucene would score it.

Dev documents and queries are encoded with the inference settings of the exported encoder (top-k,
threshold, integer impacts ``round(w * weight_scale)``), every query is scored against every dev
document by the dot product of the integer impacts (what Lucene's impact search computes), the top
``depth`` documents go to a TREC run, and ``python -m pyserini.eval.trec_eval`` scores it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm.auto import tqdm

from ..core.model import CspladeModel
from ..errors import CspladeError
from ..evaluate.trec_eval import trec_eval
from ..formats.corpus import read_corpus
from ..formats.files import atomic_text
from ..formats.trec import read_qrels, read_topics

BEST_DIR = "best"  # the adapter of the best dev step, with best.json
BEST_FILE = "best.json"


@dataclass
class DevSet:
    """Dev queries, their qrels file and the dev documents (ids and texts)."""

    queries: dict[str, str]
    qrels: Path
    doc_ids: list[str]
    doc_texts: list[str]

    @classmethod
    def read(cls, topics: str | Path, qrels: str | Path, corpus: str | Path) -> "DevSet":
        queries = read_topics(topics)
        judged = read_qrels(qrels)
        documents = list(read_corpus(corpus))
        if not queries or not documents:
            raise CspladeError(f"dev set {topics} / {corpus}: no queries or no documents")
        known = {d.doc_id for d in documents}
        if not any(doc in known for qid in queries for doc in judged.get(qid, {})):
            raise CspladeError(f"{qrels}: no dev query has a relevant document in {corpus}")
        return cls(queries, Path(qrels), [d.doc_id for d in documents], [d.text for d in documents])


def impact_matrix(model: CspladeModel, texts: list[str], side: str, batch_size: int) -> torch.Tensor:
    """[N, V] sparse float64 matrix of the integer impacts the index (or the query) would hold (float64: sums of
    impact products stay exact)."""
    rows, cols, values = [], [], []
    scale = model.config.weight_scale
    chunk = 16 * batch_size  # texts per encode call: length-sorted batches within it, progress between them
    label = {"doc": "dev documents", "query": "dev queries"}[side]
    with tqdm(total=len(texts), desc=label, unit="text", leave=False) as progress:
        for start in range(0, len(texts), chunk):
            for row, (ids, weights) in enumerate(model.encode(texts[start:start + chunk], side, batch_size), start):
                for token_id, weight in zip(ids, weights):
                    impact = int(round(weight * scale))
                    if impact >= 1:
                        rows.append(row)
                        cols.append(token_id)
                        values.append(float(impact))
            progress.update(len(texts[start:start + chunk]))
    size = (len(texts), len(model.vocabulary))
    indices = torch.tensor([rows, cols], dtype=torch.long).reshape(2, -1)
    return torch.sparse_coo_tensor(indices, torch.tensor(values, dtype=torch.float64), size,
                                   check_invariants=False).coalesce()


def evaluate(model: CspladeModel, dev: DevSet, run_path: str | Path, batch_size: int = 16,
             depth: int = 100) -> dict[str, float]:
    """nDCG@10 and R@100 of ``model`` on ``dev`` (the run is written to ``run_path``), and mean terms."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            docs = impact_matrix(model, dev.doc_texts, "doc", batch_size)
            queries = impact_matrix(model, [dev.queries[q] for q in dev.queries], "query", batch_size)
    finally:
        model.train(was_training)
    return score_run(docs, queries, dev, run_path, depth)


def score_run(docs: torch.Tensor, queries: torch.Tensor, dev: DevSet, run_path: str | Path,
              depth: int = 100) -> dict[str, float]:
    """Rank ``dev``'s documents (impact matrix ``docs``) for its queries (``queries``, in ``dev.queries``
    order) by dot products, write the top ``depth`` to ``run_path`` and score it with trec_eval."""
    qids = list(dev.queries)
    scores = torch.sparse.mm(docs, queries.to_dense().T).T  # [Q, N]
    k = min(depth, scores.shape[1])
    top_scores, top_ids = scores.topk(k, dim=1)
    lines = 0
    with atomic_text(run_path) as handle:
        for row, qid in enumerate(qids):
            for rank, (score, index) in enumerate(zip(top_scores[row].tolist(), top_ids[row].tolist()), 1):
                if score > 0:
                    handle.write(f"{qid} Q0 {dev.doc_ids[index]} {rank} {score:.1f} dev\n")
                    lines += 1
    terms = {"dev_q_terms": _mean_terms(queries), "dev_d_terms": _mean_terms(docs)}
    if not lines:  # every vector empty: nothing retrieved, nothing for trec_eval to read
        return {"dev_ndcg10": 0.0, "dev_r100": 0.0, **terms}
    measured = trec_eval(dev.qrels, run_path, ("ndcg_cut.10", "recall.100"))
    return {"dev_ndcg10": measured["ndcg_cut_10"], "dev_r100": measured["recall_100"], **terms}


def read_best(output_dir: str | Path) -> dict | None:
    """The step and dev metrics of ``output_dir/best/``, if a dev evaluation has saved one."""
    path = Path(output_dir) / BEST_DIR / BEST_FILE
    return json.loads(path.read_text()) if path.is_file() else None


def _mean_terms(matrix: torch.Tensor) -> float:
    return float(matrix.values().numel()) / max(1, matrix.shape[0])
