"""End to end on a real Anserini impact index: the scores Pyserini returns are exactly q . d.

A tiny random model encodes a small corpus (``csplade encode``'s library code), Anserini indexes it
with the literal ``pyserini.index.lucene --impact --pretokenized`` command, and queries go through
the literal ``pyserini.search.lucene --impact --encoder <model dir>``, ``LuceneImpactSearcher`` with
``CspladeQueryEncoder`` or a preset name, and ``pyserini.encode``. Every score must equal the dot
product of the exported integer document vector and the query vector computed here, which holds
only if term spelling and quantisation agree on both sides. (weight_scale=10 keeps every score
below 2**24, where Lucene's float32 sums are exact.)

Pyserini drops query terms with idf <= --min-idf (default 0, i.e. terms found in *every* document;
a random model gives many). The CLI test passes ``--min-idf -1`` and expects the full dot product;
the in-process test keeps the default and expects the dot product over the remaining terms.
"""
import json
import os

import pytest

from csplade_pyserini.encode.collection import ExportInfo
from csplade_pyserini.encode.corpus import encode_corpus
from csplade_pyserini.encode.identity import corpus_identity
from csplade_pyserini.errors import CspladeError
from csplade_pyserini.index.lucene import build_index, parse_counters
from csplade_pyserini.loading.load import load_model
from csplade_pyserini.loading.tiny import CORPUS, save_tiny

DOCS = {f"d{i}": text for i, text in enumerate(dict.fromkeys(CORPUS))}
DOCS["d99"] = "100% of the naïve café tests pass"
QUERIES = {"q1": "lazy dog", "q2": "protein cell death", "q3": "100% antibody vaccine", "q4": "sparse index"}


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("plugin-search")


@pytest.fixture(scope="module")
def model_dir(work):
    return save_tiny(work / "model", "llama", weight_scale=10)


@pytest.fixture(scope="module")
def model(model_dir):
    return load_model(str(model_dir))


@pytest.fixture(scope="module")
def presets(work, model_dir):
    """``csplade`` (the default preset's name) -> the tiny model, via $CSPLADE_ENCODERS."""
    directory = work / "presets"
    directory.mkdir()
    config = json.loads((model_dir / "csplade_config.json").read_text())
    (directory / "csplade.json").write_text(json.dumps({"model": str(model_dir), "config": config}))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CSPLADE_ENCODERS", str(directory))
        yield directory


@pytest.fixture(scope="module")
def corpus(work):
    path = work / "corpus.jsonl"
    lines = (json.dumps({"id": i, "contents": text}, ensure_ascii=False) for i, text in DOCS.items())
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def topics(work):
    path = work / "topics.tsv"
    path.write_text("".join(f"{qid}\t{text}\n" for qid, text in QUERIES.items()))
    return path


@pytest.fixture(scope="module")
def vectors(work, model, corpus, read_vectors):
    """The exported JsonVectorCollection: {docid: {term: int}}, and a directory Anserini may read."""
    out = work / "vectors"
    info = ExportInfo.describe("tiny", corpus_identity(corpus, out), shard_num=1, compress=False,
                               dtype="float32", batch_size=4)
    shard = encode_corpus(model, corpus, out, info, batch_size=4)
    return read_vectors(shard), out / "vectors"  # the collection: finished shards only


@pytest.fixture(scope="module")
def index(work, vectors, index_with_anserini):
    docs, collection = vectors
    path = work / "index"
    result = index_with_anserini(collection, path)
    assert parse_counters((result.stdout + result.stderr).splitlines())["indexed"] == len(docs)
    return path


@pytest.fixture(scope="module")
def query_vectors(model):
    return dict(zip(QUERIES, model.encode_impacts(list(QUERIES.values()), "query")))


def test_exported_terms_include_escaped_and_non_ascii_pieces(vectors):
    terms = {term for vector in vectors[0].values() for term in vector}
    assert "%25" in terms  # the byte-level piece '%' percent-encoded
    assert any(term.startswith("Ġ") for term in terms) and any(not term.isascii() for term in terms)


def test_literal_search_cli_with_a_model_directory_scores_dot_products(work, model_dir, index, topics,
                                                                       vectors, query_vectors, pyserini,
                                                                       expected_scores, run_scores):
    docs = vectors[0]
    run = work / "run.cli.txt"
    pyserini("pyserini.search.lucene", "--index", index, "--topics", topics, "--output", run, "--impact",
             "--encoder", model_dir, "--min-idf", -1, "--hits", 100)
    scores = run_scores(run)
    for qid, query in query_vectors.items():
        expected = expected_scores(query, docs)
        assert expected and scores[qid] == expected, qid
    everywhere = set.intersection(*(set(v) for v in docs.values()))
    assert any(set(q) & everywhere for q in query_vectors.values())  # so --min-idf -1 mattered


def _hits(hits):
    return {hit.docid: hit.score for hit in hits}


def test_impact_searcher_with_csplade_query_encoder_and_preset_name(index, vectors, model, presets,
                                                                    query_vectors, expected_scores):
    from pyserini.search.lucene import LuceneImpactSearcher

    from csplade_pyserini.plugin import CspladeQueryEncoder

    docs = vectors[0]
    searcher = LuceneImpactSearcher(str(index), CspladeQueryEncoder(model))  # default min_idf=0
    by_name = LuceneImpactSearcher(str(index), "csplade")  # the default preset's name, via the plug-in
    assert isinstance(by_name.query_encoder, CspladeQueryEncoder)
    batch = by_name.batch_search(list(QUERIES.values()), list(QUERIES), k=100, threads=2)
    dropped = 0
    for qid, text in QUERIES.items():
        expected = expected_scores(query_vectors[qid], docs, min_idf=0)
        dropped += expected != expected_scores(query_vectors[qid], docs)
        assert _hits(searcher.search(text, k=100)) == expected
        assert _hits(batch[qid]) == expected
    assert dropped  # terms found in every document were really left out


def test_pyserini_encode_with_a_model_directory_equals_csplade_encode(work, model_dir, corpus, vectors,
                                                                      query_vectors, pyserini,
                                                                      read_vectors, expected_scores):
    from pyserini.search.lucene import LuceneImpactSearcher

    from csplade_pyserini.plugin.encoders import CspladeQueryEncoder

    out = work / "pyserini-encode"
    pyserini("pyserini.encode", "input", "--corpus", corpus, "output", "--embeddings", out,
             "encoder", "--encoder", model_dir, "--device", "cpu", "--batch-size", 4)
    assert read_vectors(out / "embeddings.jsonl") == vectors[0]
    info = build_index(out, work / "index-pyserini-encode", quiet=True)
    assert info.indexed == len(DOCS)
    searcher = LuceneImpactSearcher(str(work / "index-pyserini-encode"), CspladeQueryEncoder(str(model_dir)),
                                    min_idf=-1)
    for qid, text in QUERIES.items():
        assert _hits(searcher.search(text, k=100)) == expected_scores(query_vectors[qid], vectors[0])


def test_pyserini_encode_shards_split_the_corpus_like_csplade_encode(work, model_dir, corpus, vectors, pyserini,
                                                                    read_vectors):
    shards = {}
    for shard in (0, 1):
        out = work / f"pyserini-encode-shard-{shard}"
        pyserini("pyserini.encode", "input", "--corpus", corpus, "--shard-id", shard, "--shard-num", 2,
                 "output", "--embeddings", out, "encoder", "--encoder", model_dir, "--device", "cpu")
        shards[shard] = read_vectors(out / "embeddings.jsonl")
    assert shards[0] and shards[1] and not shards[0].keys() & shards[1].keys()
    assert {**shards[0], **shards[1]} == vectors[0]


def test_unknown_encoder_is_our_one_line_error(work, index, topics, presets, pyserini):
    result = pyserini("pyserini.search.lucene", "--index", index, "--topics", topics,
                      "--output", work / "none.txt", "--impact", "--encoder", "no-such-encoder",
                      check=False, env={"CSPLADE_ENCODERS": str(presets)})
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and "NoneType" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "error" in line.lower()]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith("csplade: error: unknown encoder 'no-such-encoder'")
    assert "presets: csplade" in errors[0]
    assert not (work / "none.txt").exists()


def test_a_csplade_name_never_falls_back_to_pyserini_splade(index, presets):
    from pyserini.search.lucene import LuceneImpactSearcher

    with pytest.raises(CspladeError, match="unknown encoder 'org/csplade-missing'.*presets: csplade"):
        LuceneImpactSearcher(str(index), "org/csplade-missing")  # Pyserini alone: SPLADE, from the hub
    assert os.environ["HF_HUB_OFFLINE"] == "1"


def _csplade(*args, code: int = 0):
    """``csplade ARGS`` in a subprocess: exit ``code``, and a failure is one line."""
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "csplade_pyserini", *map(str, args)], capture_output=True,
                            text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert result.returncode == code, result.stderr[-3000:]
    assert code == 0 or len(result.stderr.strip().splitlines()) == 1, result.stderr
    return result


EXACT_SEISMIC = ("--n-postings", 100000, "--centroid-fraction", 1.0, "--min-cluster-size", 1,
                 "--summary-energy", 1.0)


def test_seismic_index_and_search_commands_score_exact_dot_products(work, model_dir, vectors, topics,
                                                                     query_vectors, expected_scores, run_scores):
    """With its pruning off Seismic returns the full dot product of the same integer impacts Lucene holds."""
    docs, collection = vectors
    _csplade("index", "--engine", "seismic", collection, work / "seismic", *EXACT_SEISMIC)
    run = work / "run.seismic.txt"
    _csplade("search", "--engine", "seismic", "--index", work / "seismic", "--topics", topics, "--encoder",
             model_dir, "--output", run, "--hits", 100, "--heap-factor", 1.0, "--query-cut", 1000)
    scores = run_scores(run)
    for qid, query in query_vectors.items():
        assert scores[qid] == pytest.approx(expected_scores(query, docs)), qid
    broken = _csplade("search", "--engine", "seismic", "--index", work, "--topics", topics,
                      "--output", work / "nothing.txt", code=2)
    assert "not a Seismic index" in broken.stderr and not (work / "nothing.txt").exists()


def test_bench_search_prints_bm25_lucene_and_seismic_rows_from_one_run(work, model_dir, corpus, vectors,
                                                                        topics):
    qrels = work / "qrels.txt"
    qrels.write_text("q1 0 d0 1\nq2 0 d1 1\nq3 0 d2 1\nq4 0 d3 1\n")
    _csplade("index", "--bm25", corpus, work / "bm25", "--quiet")
    output = work / "bench-search" / "table.md"
    printed = _csplade("bench-search", "--systems", f"{model_dir}={vectors[1].parent}", "--topics", topics,
                       "--qrels", qrels, "--bm25-index", work / "bm25", "--workdir", work / "bench-search",
                       "--output", output, "--repetitions", 1, "--heap-factor", 1.0, "--query-cut", 1000,
                       *EXACT_SEISMIC).stdout
    rows = json.loads(output.with_suffix(".json").read_text())["rows"]
    assert [(r["system"], r["engine"]) for r in rows] == [("BM25", "lucene"), (str(model_dir), "lucene"),
                                                          (str(model_dir), "seismic")]
    assert all(0 <= r["ndcg10"] <= 1 and r["search_ms"] > 0 and r["index_bytes"] > 0 for r in rows)
    assert rows[0]["encode_ms"] == 0 and rows[1]["encode_ms"] > 0
    assert rows[2]["recall10_vs_lucene"] > 0.5  # Lucene drops terms found in every document; Seismic does not
    assert "| BM25 | lucene |" in printed and output.read_text().startswith("| system | engine |")
