"""Seismic indexes of a JsonVectorCollection: built whole, exact when its pruning is off, one-line errors."""
import json
import random

import pytest

from csplade_pyserini.errors import CspladeError
from csplade_pyserini.index.seismic import SeismicKnobs, build_seismic_index
from csplade_pyserini.search.seismic import SeismicSearcher, write_run

EXACT = SeismicKnobs(n_postings=100_000, centroid_fraction=1.0, min_cluster_size=1, summary_energy=1.0)


def _collection(path, docs=300, vocabulary=200, terms=12, seed=0):
    rng = random.Random(seed)
    vocab = [f"t{i}" for i in range(vocabulary)]
    vectors = {f"d{n}": {term: rng.randint(1, 300) for term in rng.sample(vocab, terms)} for n in range(docs)}
    path.mkdir(parents=True, exist_ok=True)
    (path / "part-0.jsonl").write_text("".join(json.dumps({"id": d, "contents": "", "vector": v}) + "\n"
                                               for d, v in vectors.items()))
    return vectors, vocab, rng


def _exact(vectors, query, k):
    scores = {d: sum(w * v.get(t, 0) for t, w in query.items()) for d, v in vectors.items()}
    return sorted(((d, s) for d, s in scores.items() if s > 0), key=lambda item: (-item[1], item[0]))[:k]


def test_with_pruning_off_seismic_returns_the_exact_top_documents(tmp_path):
    vectors, vocab, rng = _collection(tmp_path / "vecs")
    info = build_seismic_index(tmp_path / "vecs", tmp_path / "idx", EXACT)
    assert info.documents == 300 and info.terms == 200 and not info.large_vocabulary
    searcher = SeismicSearcher(tmp_path / "idx")
    for number in range(20):
        query = {term: rng.randint(1, 900) for term in rng.sample(vocab, 6)}
        query["not-in-the-index"] = 500  # dropped: no document has it
        got = searcher.search(f"q{number}", query, 10, query_cut=64, heap_factor=1.0)
        expected = _exact(vectors, query, 10)
        assert [score for _, score in got] == pytest.approx([score for _, score in expected])
        assert {d for d, _ in got} == {d for d, _ in expected} or got[-1][1] == got[-2][1]  # ties at the cut
    run = write_run(searcher, {"q": {"t1": 5}}, tmp_path / "run.trec", 3, 64, 1.0)
    lines = run.read_text().splitlines()
    assert len(lines) == 3 and lines[0].split()[:4] == ["q", "Q0", _exact(vectors, {"t1": 5}, 1)[0][0], "1"]


def test_missing_broken_or_existing_indexes_are_one_line_errors(tmp_path):
    _collection(tmp_path / "vecs", docs=20)
    with pytest.raises(CspladeError, match="not a Seismic index"):
        SeismicSearcher(tmp_path / "nothing")
    build_seismic_index(tmp_path / "vecs", tmp_path / "idx", EXACT)
    with pytest.raises(CspladeError, match="already exists"):
        build_seismic_index(tmp_path / "vecs", tmp_path / "idx", EXACT)
    (tmp_path / "idx" / "index.index.seismic").write_bytes(b"broken")
    with pytest.raises(CspladeError, match="cannot load the Seismic index"):
        SeismicSearcher(tmp_path / "idx")
    with pytest.raises(CspladeError, match="summary-energy"):
        build_seismic_index(tmp_path / "vecs", tmp_path / "other", SeismicKnobs(summary_energy=0))
    assert not (tmp_path / "other").exists()
