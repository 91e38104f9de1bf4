"""Search engines compared on finished exports: BM25, and each encoder through Lucene and through Seismic.

One run, one machine, one thread: per system, nDCG@10 and R@100 (Pyserini's trec_eval), query encoding
ms/query (the query encoder Pyserini uses, one query at a time; none for BM25), search ms/query with the
queries encoded beforehand (Pyserini's ``LuceneImpactSearcher`` / ``LuceneSearcher`` in this process,
Seismic's ``search``), index size, and for Seismic its recall@10 against exact Lucene search on the same
vectors (the share of Lucene's top 10 that Seismic returns). Ratios are against BM25 of the same run.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..evaluate.report import directory_bytes
from ..evaluate.tables import markdown_table
from ..evaluate.trec_eval import trec_eval
from ..index.lucene import build_index
from ..index.seismic import SeismicKnobs, SeismicSearchKnobs, build_seismic_index
from .lucene import HITS, search_bm25, search_impact, write_run
from .timing import median, timed

MEASURES = ("ndcg_cut.10", "recall.100")


@dataclass
class EngineRow:
    system: str
    engine: str
    ndcg10: float
    r100: float
    encode_ms: float
    search_ms: float
    index_bytes: int
    recall10_vs_lucene: float | None = None


def encode_queries(encoder_name: str, topics: dict[str, str]) -> tuple[dict[str, dict[str, int]], float]:
    """The query vectors Pyserini would search with, and the encoding ms/query (after one warm-up query)."""
    from ..plugin.encoders import CspladeQueryEncoder

    encoder = CspladeQueryEncoder(encoder_name)
    encoder.encode(next(iter(topics.values())))
    seconds, vectors = timed(lambda: {qid: encoder.encode(text) for qid, text in topics.items()})
    return vectors, seconds * 1000 / len(topics)


def search_seismic(index: Path, vectors: dict[str, dict[str, int]], knobs: SeismicSearchKnobs,
                   repetitions: int) -> tuple[dict[str, list], list[float]]:
    from ..search.seismic import SeismicSearcher

    searcher = SeismicSearcher(index)

    def one_pass() -> dict[str, list]:
        return {qid: searcher.search(qid, vector, HITS, knobs.query_cut, knobs.heap_factor)
                for qid, vector in vectors.items()}

    run = one_pass()
    return run, [timed(one_pass)[0] for _ in range(repetitions)]


def overlap_at_10(approximate: dict[str, list], exact: dict[str, list]) -> float:
    """Mean over queries of |approximate top 10 & exact top 10| / |exact top 10| (queries with hits)."""
    shares = []
    for qid, hits in exact.items():
        truth = {doc for doc, _ in hits[:10]}
        if truth:
            shares.append(len(truth & {doc for doc, _ in approximate.get(qid, [])[:10]}) / len(truth))
    return sum(shares) / len(shares) if shares else 0.0


def _scores(run: dict[str, list], qrels: Path, path: Path, tag: str) -> tuple[float, float]:
    write_run(run, path, tag)
    measured = trec_eval(qrels, path, MEASURES)
    return measured["ndcg_cut_10"], measured["recall_100"]


def compare_engines(systems: dict[str, Path], topics: dict[str, str], qrels: Path, bm25_index: Path, work: Path,
                    build: SeismicKnobs, search: SeismicSearchKnobs, repetitions: int = 3) -> list[EngineRow]:
    """Rows for BM25 and for every ``{encoder name: export directory}`` through Lucene and Seismic."""
    work.mkdir(parents=True, exist_ok=True)
    run, seconds = search_bm25(bm25_index, topics, repetitions)
    rows = [EngineRow("BM25", "lucene", *_scores(run, qrels, work / "bm25.trec", "bm25"), 0.0,
                      median(seconds) * 1000 / len(topics), directory_bytes(bm25_index))]
    for name, export in systems.items():
        vectors, encode_ms = encode_queries(name, topics)
        lucene_index, seismic_index = work / f"{name}.lucene", work / f"{name}.seismic"
        if not lucene_index.is_dir():
            build_index(export, lucene_index, quiet=True)
        if not seismic_index.is_dir():
            build_seismic_index(export, seismic_index, build)
        exact, seconds = search_impact(lucene_index, vectors, repetitions)
        rows.append(EngineRow(name, "lucene", *_scores(exact, qrels, work / f"{name}.lucene.trec", name),
                              encode_ms, median(seconds) * 1000 / len(topics), directory_bytes(lucene_index)))
        approximate, seconds = search_seismic(seismic_index, vectors, search, repetitions)
        rows.append(EngineRow(name, "seismic", *_scores(approximate, qrels, work / f"{name}.seismic.trec", name),
                              encode_ms, median(seconds) * 1000 / len(topics), directory_bytes(seismic_index),
                              overlap_at_10(approximate, exact)))
    return rows


def engines_markdown(rows: list[EngineRow], meta: dict[str, Any]) -> str:
    """The table, with ratios against BM25 (the first row)."""
    bm25 = rows[0]
    base = bm25.encode_ms + bm25.search_ms
    cells = [[row.system, row.engine, f"{row.ndcg10:.4f}", f"{row.r100:.4f}", f"{row.encode_ms:.2f}",
              f"{row.search_ms:.3f}", f"{(row.encode_ms + row.search_ms) / base:.2f}x",
              f"{row.index_bytes / 2**20:.1f} MB ({row.index_bytes / bm25.index_bytes:.2f}x)",
              "–" if row.recall10_vs_lucene is None else f"{row.recall10_vs_lucene:.3f}"] for row in rows]
    header = ["system", "engine", "nDCG@10", "R@100", "query encoding ms/query", "search ms/query",
              "encode + search vs BM25", "index", "recall@10 vs Lucene"]
    lines = [f"- {key}: {value}" for key, value in meta.items()]
    return "\n".join([markdown_table(header, cells), "", *lines])


def rows_json(rows: list[EngineRow]) -> list[dict[str, Any]]:
    return [asdict(row) for row in rows]
