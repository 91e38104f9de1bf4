"""Search a Seismic index (:mod:`csplade_pyserini.index.seismic`) with query vectors ``{term: impact}``.

Seismic's knobs: ``query_cut`` (the query's largest terms used) and ``heap_factor`` (a block is scanned
when its summary's score exceeds ``heap_factor`` x the k-th best score so far; 1.0 scans the fewest).
"""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import CspladeError
from ..index.seismic import INDEX_NAME, TERMS_FILE, SeismicInfo, first_line, quiet, seismic_module


class SeismicSearcher:
    """Top-k documents of query vectors ``{term: impact}`` from a Seismic index ``csplade index`` built."""

    def __init__(self, index: str | Path) -> None:
        seismic = seismic_module()
        self.index_dir = Path(index)
        self.info = SeismicInfo.load(index)
        try:
            self.terms: dict[str, int] = json.loads((self.index_dir / TERMS_FILE).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise CspladeError(f"{self.index_dir / TERMS_FILE}: cannot read the term map ({exc})") from None
        engine = seismic.SeismicIndexLV if self.info.large_vocabulary else seismic.SeismicIndex
        try:
            with quiet():
                self.index = engine.load(str(self.index_dir / f"{INDEX_NAME}.index.seismic"))
        except (OSError, ValueError, RuntimeError) as exc:
            raise CspladeError(f"{self.index_dir}: cannot load the Seismic index: {first_line(exc)}") from None
        self._string = seismic.get_seismic_string()

    def search(self, qid: str, vector: dict[str, int], k: int, query_cut: int,
               heap_factor: float) -> list[tuple[str, float]]:
        """(doc id, score) of the ``k`` best documents, best first."""
        import numpy as np

        known = sorted(((str(self.terms[t]), w) for t, w in vector.items() if t in self.terms),
                       key=lambda item: -item[1])
        if not known:
            return []
        components = np.array([term for term, _ in known], dtype=self._string)
        values = np.array([weight for _, weight in known], dtype=np.float32)
        hits = self.index.search(qid, components, values, k=k, query_cut=query_cut, heap_factor=heap_factor)
        return [(doc_id, float(score)) for _, score, doc_id in hits]


def write_run(searcher: SeismicSearcher, vectors: dict[str, dict[str, int]], output: str | Path, hits: int,
              query_cut: int, heap_factor: float, tag: str = "seismic") -> Path:
    """A TREC run of the query ``vectors`` ({qid: {term: impact}}), written atomically."""
    from ..formats.files import atomic_text

    with atomic_text(output) as handle:
        for qid, vector in vectors.items():
            for rank, (doc_id, score) in enumerate(searcher.search(qid, vector, hits, query_cut, heap_factor), 1):
                handle.write(f"{qid} Q0 {doc_id} {rank} {score:.4f} {tag}\n")
    return Path(output)
