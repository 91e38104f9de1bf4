"""Collections, Lucene indexes, timed single-thread search and nDCG@10, all through Pyserini.

Indexes are built by :func:`~csplade_pyserini.index.lucene.build_index` (Anserini), runs are scored by
:func:`~csplade_pyserini.evaluate.trec_eval.trec_eval` (Pyserini's trec_eval). Search runs in this process
with Pyserini's ``LuceneImpactSearcher`` / ``LuceneSearcher`` so that it can be timed apart from
query encoding: impact queries are encoded beforehand and handed to the searcher by query id through
Pyserini's pre-encoded ``QueryEncoder`` (Pyserini still applies its ``min_idf`` filter and int conversion).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..core.config import CspladeConfig
from ..encode.collection import ExportInfo, ShardWriter
from ..evaluate.trec_eval import trec_eval
from ..formats.corpus import Document
from ..formats.files import atomic_text
from ..index.lucene import build_index
from .parallel import in_parallel
from .timing import median, timed

HITS = 1000
METRIC = "ndcg_cut_10"


def write_collection(directory: Path, documents: list[Document], vectors: list[dict[str, int]],
                     config: CspladeConfig, encoder: str, dtype: str) -> Path:
    """An export directory (``vectors/`` + config + export.json), written with :class:`ShardWriter`."""
    directory.mkdir(parents=True, exist_ok=True)
    writer = ShardWriter(directory)
    writer.partial_path.unlink(missing_ok=True)
    for document, vector in zip(documents, vectors):
        writer.write(document.doc_id, document.text, vector)
    writer.finish()
    config.save(directory)
    ExportInfo(encoder=encoder, corpus="benchmark subset", shard_num=1, compress=False, dtype=dtype,
               batch_size=0).save(directory)
    return directory


def build_indexes(jobs: dict[Path, tuple[str, Path]]) -> None:
    """Build ``{index: (kind, source)}`` with Anserini (``build_index``), a few at a time."""
    in_parallel(lambda item: build_index(item[1][1], item[0], kind=item[1][0], threads=1, overwrite=True,
                                         quiet=True), list(jobs.items()))


def precomputed_queries(vectors: dict[str, dict[str, int]]):
    """Pyserini's own pre-encoded-query encoder: ``encode(qid)`` looks the vector up."""
    from pyserini.encode import QueryEncoder

    encoder = QueryEncoder()
    encoder.embedding = vectors
    encoder.has_encoded_query = True
    return encoder


def timed_search(search, queries: dict[str, str], repetitions: int) -> tuple[dict[str, list], list[float]]:
    """Search every query once as a warm-up, then ``repetitions`` timed passes (one thread)."""
    run = {qid: [(hit.docid, hit.score) for hit in search(text)] for qid, text in queries.items()}
    seconds = [timed(lambda: [search(text) for text in queries.values()])[0] for _ in range(repetitions)]
    return run, seconds


def search_impact(index: Path, vectors: dict[str, dict[str, int]], repetitions: int):
    from pyserini.search.lucene import LuceneImpactSearcher

    searcher = LuceneImpactSearcher(str(index), precomputed_queries(vectors), min_idf=0)
    return timed_search(lambda qid: searcher.search(qid, k=HITS), {q: q for q in vectors}, repetitions)


def search_bm25(index: Path, topics: dict[str, str], repetitions: int):
    from pyserini.search.lucene import LuceneSearcher

    searcher = LuceneSearcher(str(index))  # BM25 with Pyserini's defaults (k1 0.9, b 0.4), as --bm25
    return timed_search(lambda text: searcher.search(text, k=HITS), topics, repetitions)


def write_run(run: dict[str, list[tuple[str, float]]], path: Path, tag: str) -> Path:
    with atomic_text(path) as handle:
        for qid, hits in run.items():
            for rank, (docid, score) in enumerate(hits, 1):
                handle.write(f"{qid} Q0 {docid} {rank} {score:.6f} {tag}\n")
    return path


def evaluate_run(run: dict[str, list], seconds: list[float], qrels: Path, path: Path,
                 tag: str) -> dict[str, Any]:
    """nDCG@10 (Pyserini's trec_eval, ``-c``: unanswered queries count as 0) and the search speed.

    A run without any hit (every query term was dropped by Pyserini's ``min_idf`` filter or matches
    nothing) scores 0 by definition; trec_eval cannot read an empty file.
    """
    write_run(run, path, tag)
    hits = sum(len(h) for h in run.values())
    ndcg = trec_eval(qrels, path, ("ndcg_cut.10",))[METRIC] if hits else 0.0
    per_pass = median(seconds)
    return {"ndcg@10": ndcg, "hits": hits, "queries_per_s": len(run) / per_pass,
            "ms_per_query": per_pass * 1000 / len(run),
            "repetitions_s": seconds, "run": str(path)}


def evaluate_runs(runs: dict[str, tuple[dict, list[float]]], qrels: Path, run_dir: Path) -> dict[str, dict]:
    """:func:`evaluate_run` for every ``{name: (run, seconds)}``, a few trec_eval processes at a time."""
    names = list(runs)
    results = in_parallel(lambda name: evaluate_run(*runs[name], qrels, run_dir / f"{name}.txt", name), names)
    return dict(zip(names, results))
