"""A Seismic index of more distinct terms than its small index addresses (a 128k vocabulary's export)."""
import json

from csplade_pyserini.index.seismic import SeismicKnobs, build_seismic_index
from csplade_pyserini.search.seismic import SeismicSearcher


def test_more_terms_than_seismics_small_index_holds_use_the_large_vocabulary_index(tmp_path):
    docs, terms = 1400, 50  # every document its own 50 terms: 70,000 distinct ones
    vectors = {f"d{n}": {f"t{n * terms + j}": 1 + (n + j) % 200 for j in range(terms)} for n in range(docs)}
    (tmp_path / "vecs").mkdir()
    (tmp_path / "vecs" / "part-0.jsonl").write_text(
        "".join(json.dumps({"id": d, "contents": "", "vector": v}) + "\n" for d, v in vectors.items()))
    knobs = SeismicKnobs(n_postings=100_000, centroid_fraction=1.0, min_cluster_size=1, summary_energy=1.0)
    info = build_seismic_index(tmp_path / "vecs", tmp_path / "idx", knobs)
    assert info.large_vocabulary and info.terms == 70_000
    query = {"t69999": 3, "t5": 2, "t60": 1}  # in d1399, d0 and d1
    hits = SeismicSearcher(tmp_path / "idx").search("q", query, 5, 64, 1.0)
    expected = sorted(((d, sum(w * v.get(t, 0) for t, w in query.items())) for d, v in vectors.items()),
                      key=lambda item: -item[1])[:3]
    assert hits == [(d, float(s)) for d, s in expected]
