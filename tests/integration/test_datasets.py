"""ir_datasets -> topics/qrels/corpus files, and BM25 on BEIR SciFact through Pyserini (nDCG@10 ~ 0.679)."""
import json
import subprocess
import sys

import pytest

from csplade_pyserini.evaluate.trec_eval import trec_eval
from csplade_pyserini.formats.corpus import read_corpus
from csplade_pyserini.formats.trec import read_qrels, read_topics
from csplade_pyserini.index.lucene import build_index
from csplade_pyserini.search.lucene import search

SCIFACT = "beir/scifact/test"
ANSERINI_BM25_FLAT_NDCG10 = 0.679  # Anserini's BEIR (v1.0.0) SciFact flat-index BM25 regression


def csplade(*args):
    return subprocess.run([sys.executable, "-m", "csplade_pyserini", *map(str, args)], capture_output=True,
                          text=True)


@pytest.fixture(scope="module")
def scifact(irds_home, tmp_path_factory):
    out = tmp_path_factory.mktemp("scifact")
    targets = {"topics": out / "topics.tsv", "qrels": out / "qrels.txt", "corpus": out / "corpus"}
    for command, target in targets.items():
        result = csplade(command, SCIFACT, "--output", target)
        assert result.returncode == 0, result.stderr
    return out


def test_scifact_files_are_what_pyserini_reads(scifact):
    topics = read_topics(scifact / "topics.tsv")
    qrels = read_qrels(scifact / "qrels.txt")
    assert len(topics) == 300 and topics["1"] == "0-dimensional biomaterials show inductive properties."
    assert sum(len(docs) for docs in qrels.values()) == 339 and set(qrels) <= set(topics)
    assert [p.name for p in (scifact / "corpus").iterdir()] == ["docs.jsonl"]  # Anserini reads every file
    first = json.loads((scifact / "corpus" / "docs.jsonl").open().readline())
    assert first["id"] == "4983" and first["contents"].startswith(
        "Microstructural development of human newborn cerebral white matter assessed in vivo by "
        "diffusion tensor magnetic resonance imaging. Alterations of the architecture")  # title + " " + text
    assert sum(1 for _ in read_corpus(scifact / "corpus")) == 5183  # what `csplade encode` reads


def test_scifact_bm25_through_pyserini_matches_anserini(scifact, tmp_path):
    info = build_index(scifact / "corpus", tmp_path / "bm25", kind="bm25", threads=2, quiet=True)
    assert info.indexed == 5183
    run = search(tmp_path / "bm25", scifact / "topics.tsv", tmp_path / "run.bm25.txt", hits=100, threads=2,
                 remove_query=True)
    scores = trec_eval(scifact / "qrels.txt", run, ["ndcg_cut.10", "recall.100"])
    assert abs(scores["ndcg_cut_10"] - ANSERINI_BM25_FLAT_NDCG10) <= 0.02, scores
    assert scores["recall_100"] > 0.85

    # topics saved by another editor (a byte-order mark, CR line endings, a tab in a text) search the same
    first = (scifact / "topics.tsv").read_text().splitlines()[:20]
    plain, odd = tmp_path / "plain.tsv", tmp_path / "odd.tsv"
    plain.write_text("".join(f"{line}\n" for line in first))
    odd.write_bytes(("\ufeff" + "".join(f"{line}\r" for line in first)).encode("utf-8"))
    runs = [search(tmp_path / "bm25", topics, tmp_path / f"{topics.stem}.trec", hits=10) for topics in (plain, odd)]
    assert runs[0].read_text().replace("plain", "") == runs[1].read_text().replace("odd", "")
    assert not list(tmp_path.glob(".topics-*"))


def test_unknown_and_uncached_datasets_are_one_line_errors(irds_home, tmp_path):
    unknown = csplade("topics", "no/such-dataset", "--output", tmp_path / "t.tsv")
    assert unknown.returncode == 2 and "unknown ir_datasets id 'no/such-dataset'" in unknown.stderr
    uncached = csplade("qrels", "antique/test", "--output", tmp_path / "q.txt")  # not cached, no internet
    assert uncached.returncode == 2, uncached.stderr
    errors = [line for line in uncached.stderr.splitlines() if line.startswith("csplade")]  # not its log
    assert len(errors) == 1 and "cannot read the qrels of ir_datasets 'antique/test'" in errors[0]
    assert "Traceback" not in unknown.stderr + uncached.stderr
    assert not (tmp_path / "t.tsv").exists() and not (tmp_path / "q.txt").exists()
