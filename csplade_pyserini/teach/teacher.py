"""Teacher scores: each query's candidate documents scored by BM25, a dense bi-encoder, or their fusion.

* ``bm25``: Pyserini's ``LuceneSearcher`` on a BM25 index of the same corpus (top ``depth`` hits);
* ``dense``: exact cosine of a sentence-transformers model (:mod:`.dense`) over the whole corpus (top
  ``depth``, plus every judged positive, which it can score wherever it ranks);
* ``fusion`` of both: Pyserini's own min-max normalisation (``TrecRun.rescore(NORMALIZE)``, per query)
  and interpolation (``pyserini.fusion.interpolation``, ``weight * bm25 + (1 - weight) * dense``); a
  document missing from one list gets nothing from it.

The result is ``{qid: {docid: score}}``, written by :func:`~csplade_pyserini.formats.teacher.write_teacher`.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from tqdm import tqdm

from ..errors import CspladeError
from ..formats.corpus import Document
from .dense import DenseScorer

Scores = dict[str, dict[str, float]]
TEACHERS = ("bm25", "dense", "fusion")


def bm25_scores(index: str, queries: Mapping[str, str], depth: int, threads: int = 2,
                batch: int = 256) -> Scores:
    """Top ``depth`` BM25 hits (Pyserini's defaults, k1 0.9 b 0.4) of every query."""
    from pyserini.search.lucene import LuceneSearcher

    try:
        searcher = LuceneSearcher(str(index))
    except Exception as exc:  # noqa: BLE001 - the JVM's message becomes one line
        raise CspladeError(f"{index}: cannot open the BM25 index ({str(exc).splitlines()[0]})") from None
    qids = list(queries)
    scores: Scores = {}
    for start in tqdm(range(0, len(qids), batch), desc="bm25", unit="batch"):
        part = qids[start: start + batch]
        hits = searcher.batch_search([queries[q] for q in part], part, k=depth, threads=threads)
        for qid in part:
            scores[qid] = {hit.docid: float(hit.score) for hit in hits.get(qid, [])}
    return scores


def dense_scores(scorer: DenseScorer, documents: Sequence[Document], queries: Mapping[str, str], depth: int,
                 include: Mapping[str, Sequence[str]] | None = None, batch: int = 256) -> Scores:
    """Top ``depth`` documents by cosine for every query, plus the documents ``include`` names for it."""
    corpus = scorer.embed_corpus(documents)
    position = {d.doc_id: i for i, d in enumerate(documents)}
    qids = list(queries)
    scores: Scores = {}
    for start in tqdm(range(0, len(qids), batch), desc="dense", unit="batch"):
        part = qids[start: start + batch]
        similarity = scorer.embed([queries[q] for q in part]) @ corpus.T
        k = min(depth, similarity.shape[1])
        top = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
        for row, qid in enumerate(part):
            chosen = set(top[row].tolist())
            chosen.update(position[d] for d in (include or {}).get(qid, ()) if d in position)
            ranked = sorted(chosen, key=lambda i: -similarity[row, i])
            scores[qid] = {documents[i].doc_id: float(similarity[row, i]) for i in ranked}
    return scores


def fuse(bm25: Scores, dense: Scores, weight: float) -> Scores:
    """``weight * minmax(bm25) + (1 - weight) * minmax(dense)`` per query, through Pyserini's fusion."""
    from pyserini.fusion import interpolation
    from pyserini.trectools import RescoreMethod, TrecRun

    if not 0.0 <= weight <= 1.0:
        raise CspladeError(f"fusion weight must be in [0, 1], got {weight}")
    runs = []
    for scores in (bm25, dense):
        rows = [(qid, "Q0", docid, rank, score, "teacher")
                for qid, hits in scores.items() if hits
                for rank, (docid, score) in enumerate(sorted(hits.items(), key=lambda h: -h[1]), 1)]
        if not rows:
            raise CspladeError("a teacher returned no candidates for any query")
        run = TrecRun.from_list(rows)
        run.run_data["topic"] = run.run_data["topic"].astype(str)
        runs.append(run.rescore(RescoreMethod.NORMALIZE))
    fused = interpolation(runs, alpha=weight).run_data
    result: Scores = {qid: {} for qid in bm25}
    for qid, docid, score in zip(fused["topic"], fused["docid"], fused["score"]):
        result.setdefault(str(qid), {})[str(docid)] = float(score)
    return result
