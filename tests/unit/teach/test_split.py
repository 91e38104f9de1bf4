"""The dev split: seeded, disjoint, judged queries only; the dev corpus holds judged and hard documents."""
import pytest

from csplade_pyserini.errors import CspladeError
from csplade_pyserini.formats.corpus import Document
from csplade_pyserini.teach.split import dev_corpus, split_topics

TOPICS = {f"q{i}": f"query {i}" for i in range(10)}
QRELS = {f"q{i}": {f"d{i}": 1} for i in range(9)}  # q9 has no judgement


def test_split_is_seeded_and_disjoint():
    fit, dev = split_topics(TOPICS, QRELS, 3, seed=0)
    assert (fit, dev) == split_topics(TOPICS, QRELS, 3, seed=0)
    assert len(dev) == 3 and not set(fit) & set(dev) and set(fit) | set(dev) == set(TOPICS)
    assert "q9" not in dev
    with pytest.raises(CspladeError, match="--dev-queries must be in"):
        split_topics(TOPICS, QRELS, 9)


def test_dev_corpus_holds_judged_and_candidate_documents_then_random_ones():
    documents = [Document(f"d{i}", f"text {i}") for i in range(30)]
    dev_qrels = {"q1": {"d1": 1}, "q2": {"d2": 1}}
    candidates = {"q1": {"d20": 5.0, "d21": 4.0, "d22": 1.0}, "q2": {"d25": 2.0}}
    chosen = [d.doc_id for d in dev_corpus(documents, dev_qrels, candidates, size=8, per_query=2)]
    assert {"d1", "d2", "d20", "d21", "d25"} <= set(chosen) and "d22" not in chosen[:5]
    assert len(chosen) == 8 and chosen == sorted(chosen, key=lambda d: int(d[1:]))


def test_judged_documents_missing_from_the_corpus_are_named_not_dropped_silently(tmp_path, capsys):
    from csplade_pyserini.cli import main
    from csplade_pyserini.teach.split import missing_judged

    documents = [Document(f"d{i}", f"text {i}") for i in range(5)]
    assert missing_judged(documents, {"q1": {"d1": 1, "d9": 1}, "q2": {"d7": 0}}) == ["d7", "d9"]
    corpus, qrels = tmp_path / "corpus.jsonl", tmp_path / "qrels.txt"
    corpus.write_text("".join(f'{{"id": "d{i}", "contents": "text {i}"}}\n' for i in range(5)))
    qrels.write_text("q1 0 d1 1\nq1 0 d9 1\n")
    assert main(["dev-corpus", "--corpus", str(corpus), "--qrels", str(qrels), "--docs", "3",
                 "--output", str(tmp_path / "dev")]) == 0
    err = capsys.readouterr().err
    assert "1 judged document(s) not in" in err and "(first: d9)" in err
