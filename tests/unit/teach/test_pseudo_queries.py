"""Pseudo-queries: generation on a tiny model is deterministic under a seed (also across a resumed run)
and writes topics + qrels that the readers accept; cleaning, cropping and the round-trip filter."""
import pytest

from csplade_pyserini.errors import CspladeError
from csplade_pyserini.formats.corpus import Document
from csplade_pyserini.formats.trec import read_qrels, read_topics
from csplade_pyserini.loading.tiny import build_lm, build_tokenizer
from csplade_pyserini.teach import pseudo_queries as pq

DOCS = [Document(f"d{i}", text) for i, text in enumerate([
    "proteins regulate cell death and apoptosis in cancer cells",
    "a vaccine trial measured antibody response in older adults",
    "sparse retrieval uses an inverted index with impact scores",
    "gene expression changes during immune response to infection",
    "the lazy dog sleeps all day in the warm sun",
])]


@pytest.fixture(scope="module")
def generator():
    tokenizer = build_tokenizer()
    return pq.QueryGenerator(build_lm("llama", len(tokenizer)), tokenizer, max_new_tokens=8)


def test_generation_is_deterministic_under_a_seed_and_writes_valid_topics(tmp_path, generator, monkeypatch):
    monkeypatch.setattr(pq, "clean", lambda text, **_: " ".join(text.split()) or None)
    first = pq.generate(DOCS, generator, tmp_path / "a", seed=3, batch_size=2)
    again = pq.generate(DOCS, generator, tmp_path / "b", seed=3, batch_size=2)
    other = pq.generate(DOCS, generator, tmp_path / "c", seed=4, batch_size=2)
    assert first == again and first != other
    assert {q.doc_id for q in first} <= {d.doc_id for d in DOCS}
    topics, qrels = pq.write_pseudo_queries(first, tmp_path / "a")
    assert read_topics(topics) == {q.qid: " ".join(q.text.split()) for q in first}
    assert read_qrels(qrels) == {q.qid: {q.doc_id: 1} for q in first}


def test_a_resumed_generation_gives_the_same_queries(tmp_path, generator, monkeypatch):
    monkeypatch.setattr(pq, "clean", lambda text, **_: " ".join(text.split()) or None)
    whole = pq.generate(DOCS, generator, tmp_path / "whole", seed=5, batch_size=2)
    pq.generate(DOCS, generator, tmp_path / "resumed", seed=5, batch_size=2)
    partial = tmp_path / "resumed" / pq.PARTIAL
    lines = partial.read_text().splitlines(keepends=True)
    partial.write_text("".join(lines[:2]) + lines[2][:10])  # killed after the first batch, mid-line
    assert pq.generate(DOCS, generator, tmp_path / "resumed", seed=5, batch_size=2) == whole
    assert len(partial.read_text().splitlines()) == len(DOCS)


@pytest.mark.parametrize("raw, expected", [
    (" which gene regulates apoptosis\nDocument: x", "which gene regulates apoptosis"),
    ("Here is a search query:\n\"vitamin D and tuberculosis risk\"", "vitamin D and tuberculosis risk"),
    ("Query: does exercise lower blood pressure", "does exercise lower blood pressure"),
    ("yes", None),
    ("1234 5678 9999", None),
])
def test_clean_keeps_the_first_usable_line(raw, expected):
    assert pq.clean(raw) == expected


def test_crops_are_spans_of_their_document_and_seeded():
    crops = list(pq.crop(DOCS, seed=1, min_words=3, max_words=5, per_doc=2))
    assert crops == list(pq.crop(DOCS, seed=1, min_words=3, max_words=5, per_doc=2))
    for query in crops:
        document = next(d for d in DOCS if d.doc_id == query.doc_id)
        assert query.text in document.text and 3 <= len(query.text.split()) <= 5
    with pytest.raises(CspladeError, match="min_words <= max_words"):
        list(pq.crop(DOCS, min_words=6, max_words=5))


def test_round_trip_filter_keeps_queries_whose_source_the_teacher_ranks_near_the_top():
    topics = {"a": "x", "b": "y", "c": "z"}
    qrels = {"a": {"d1": 1}, "b": {"d2": 1}, "c": {"d3": 1}}
    scores = {"a": {"d1": 3.0, "d2": 2.0}, "b": {"d1": 3.0, "d9": 2.5, "d2": 1.0}, "c": {}}
    assert pq.keep_consistent(topics, qrels, scores, top_k=1) == ["a"]
    assert pq.keep_consistent(topics, qrels, scores, top_k=3) == ["a", "b"]
