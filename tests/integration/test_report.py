"""``csplade report``: metrics through trec_eval, sizes and sparsity read back from the files, the table."""
import json

import pytest

from csplade_pyserini.cli import main
from csplade_pyserini.encode.collection import STATS_DIR, ShardWriter
from csplade_pyserini.errors import CspladeError
from csplade_pyserini.evaluate.report import (
    Metric,
    RunSpec,
    RunSummary,
    average,
    document_terms,
    markdown_table,
    measure_arguments,
    parse_metric,
    query_terms,
    summarise,
)


@pytest.mark.parametrize("spec, metric", [
    ("nDCG@10", Metric("nDCG@10", "ndcg_cut.10")),
    ("R@100", Metric("R@100", "recall.100")),
    ("R@1k", Metric("R@1k", "recall.1000")),
    ("recall@20", Metric("recall@20", "recall.20")),
    ("MRR@10", Metric("MRR@10", "recip_rank", depth=10)),
    ("MAP", Metric("MAP", "map")),
    ("P@5", Metric("P@5", "P.5")),
    ("ndcg_cut.20", Metric("ndcg_cut.20", "ndcg_cut.20")),
])
def test_metric_names(spec, metric):
    assert parse_metric(spec) == metric


def test_cutoffs_of_one_measure_share_one_trec_eval_argument():
    metrics = [parse_metric(m) for m in ("R@10", "nDCG@10", "R@1k", "MAP", "R@10")]
    assert measure_arguments(metrics) == ["recall.10,1000", "ndcg_cut.10", "map"]


@pytest.mark.parametrize("spec", ["@10", "foo@10", "R@", "ndcg cut", "MRR@1x"])
def test_unknown_metrics_are_refused(spec):
    with pytest.raises(CspladeError, match="unknown metric"):
        parse_metric(spec)


@pytest.fixture
def judged(tmp_path):
    """q1: its relevant document at rank 2; q2: at rank 11 (outside MRR@10's cut-off)."""
    qrels = tmp_path / "qrels.txt"
    qrels.write_text("q1 0 d2 1\nq2 0 d11 1\n")
    run = tmp_path / "run.trec"
    lines = [f"q1 Q0 d{r} {r} {100 - r} x" for r in range(1, 21)]
    lines += [f"q2 Q0 d{r} {r} {100 - r} x" for r in range(1, 21)]
    run.write_text("\n".join(lines) + "\n")
    return qrels, run


def test_metrics_come_from_trec_eval_with_the_right_cutoffs(judged):
    qrels, run = judged
    summary = summarise(RunSpec("x", run, qrels, metrics=("MRR@10", "nDCG@10", "R@1k", "R@10")))
    scores = summary.scores
    assert list(scores) == ["MRR@10", "nDCG@10", "R@1k", "R@10"]
    assert scores["MRR@10"] == pytest.approx(0.25, abs=1e-4)  # (1/2 + 0) / 2; without -M 10: 0.2955
    assert scores["nDCG@10"] == pytest.approx(0.6309 / 2, abs=1e-4)  # 1/log2(3) for q1, 0 for q2
    assert (scores["R@1k"], scores["R@10"]) == (1.0, 0.5)
    assert summary.index_bytes is summary.doc_terms is summary.query_terms is summary.encode_seconds is None


def _export(directory, shards):
    for shard_id, docs in enumerate(shards):
        writer = ShardWriter(directory, shard_id, len(shards))
        for doc_id, vector in docs:
            writer.write(doc_id, "text", vector)
        writer.finish()
    return directory


def test_document_terms_from_the_shard_stats_or_from_the_vectors(tmp_path):
    export = _export(tmp_path / "export", [[("a", {"x": 1, "y": 2}), ("b", {"x": 3})],
                                           [("c", {"x": 1, "y": 1, "z": 9})]])
    documents, terms, seconds, shards = document_terms(export)
    assert (documents, terms, shards) == (3, 6, 2) and seconds >= 0
    for stats in (export / STATS_DIR).iterdir():  # e.g. a collection written by pyserini.encode
        stats.unlink()
    assert document_terms(export) == (3, 6, None, 2)
    assert document_terms(export / "vectors" / "part-00001-of-00002.jsonl") == (1, 3, None, 1)


def test_a_bad_vector_line_is_a_file_line_error(tmp_path):
    queries = tmp_path / "queries.jsonl"
    queries.write_text('{"id": "1", "contents": "a", "vector": {"x": 2}}\n{"id": "2", "contents": "b"}\n')
    with pytest.raises(CspladeError, match=r"queries.jsonl:2: expected a JSON object with a 'vector'"):
        query_terms(queries)


def test_summary_reads_index_size_sparsity_and_time(judged, tmp_path):
    qrels, run = judged
    export = _export(tmp_path / "export", [[("a", {"x": 1, "y": 2}), ("b", {"x": 3, "y": 1})]])
    index = tmp_path / "index"
    index.mkdir()
    (index / "segment").write_bytes(b"0" * 1500)
    queries = tmp_path / "queries.jsonl"
    vectors = [{}, {"t": 1}, {"t": 1}]
    queries.write_text("".join(json.dumps({"id": str(i), "contents": "q", "vector": v}) + "\n"
                               for i, v in enumerate(vectors)))
    summary = summarise(RunSpec("csplade", run, qrels, metrics=("R@10",), index=index, export=export,
                                query_vectors=queries, encode_seconds=125))
    assert (summary.index_bytes, summary.documents, summary.doc_terms) == (1500, 2, 2.0)
    assert (summary.queries, summary.query_terms, summary.encode_seconds) == (3, 2 / 3, 125)
    with pytest.raises(CspladeError, match="no such index directory"):
        summarise(RunSpec("x", run, qrels, metrics=("R@10",), index=tmp_path / "missing"))


def test_the_table_leaves_out_columns_nobody_has():
    runs = [RunSummary("a", {"nDCG@10": 0.5, "R@100": 0.25}, index_bytes=2_500_000, doc_terms=12.34,
                       encode_seconds=75.2, encode_shards=4),
            RunSummary("b", {"nDCG@10": 0.25})]
    lines = markdown_table(runs, average(runs)).splitlines()
    assert lines == ["| run | nDCG@10 | R@100 | index | terms/doc | encode |",
                     "|---|---|---|---|---|---|",
                     "| a | 0.5000 | 0.2500 | 2.5 MB | 12.3 | 1m 15s (sum of 4 shards) |",
                     "| b | 0.2500 | – | – | – | – |",
                     "| average | 0.3750 | – | – | – | – |"]


def test_cli_writes_the_table_and_json(judged, tmp_path, capsys):
    qrels, run = judged
    out = tmp_path / "report.json"
    assert main(["report", "--metrics", "R@10", "--average", "--json", str(out),
                 "--run", "name=one", f"run={run}", f"qrels={qrels}", "encode-seconds=3",
                 "--run", "name=two", f"run={run}", f"qrels={qrels}", "metrics=R@10,MRR@10"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0] == "| run | R@10 | MRR@10 | encode |" and table[-1] == "| average | 0.5000 | – | – |"
    report = json.loads(out.read_text())
    assert [r["name"] for r in report["runs"]] == ["one", "two"] and report["average"] == {"R@10": 0.5}
    assert report["runs"][1]["scores"] == {"R@10": 0.5, "MRR@10": 0.25}


def test_rows_relative_to_a_reference_and_a_row_that_was_not_run(judged, tmp_path, capsys):
    """The quantization study's table: ratios to the bf16 row, resources from the encode stats."""
    from csplade_pyserini.encode.collection import ShardStats

    qrels, run = judged
    exports = {}
    for name, seconds, weights, rss, machine in (("bf16", 10.0, 100.0, 900.0, "cpu A"),
                                                 ("int8", 20.0, 50.0, 600.0, "cpu A"),
                                                 ("fp32", 40.0, 200.0, 1200.0, "cpu B")):
        exports[name] = _export(tmp_path / name, [[(f"d{i}", {f"t{j}": 1 for j in range(10)}) for i in range(4)]])
        ShardStats(4, 40, seconds, 0, weights, rss, machine).save(next((exports[name] / "stats").glob("*.json")))
    assert main(["report", "--metrics", "R@10", "--relative-to", "bf16",
                 "--run", "name=bf16", f"run={run}", f"qrels={qrels}", f"export={exports['bf16']}",
                 "--run", "name=int8", f"run={run}", f"qrels={qrels}", f"export={exports['int8']}",
                 "--run", "name=fp32", f"run={run}", f"qrels={qrels}", f"export={exports['fp32']}",
                 "--run", "name=int4", "skipped=no kernel here"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0] == ("| run | R@10 | Δ R@10 | terms/doc | docs/s | docs/s vs bf16 | weights | weights vs bf16 "
                        "| peak RSS | peak RSS vs bf16 | encode | not run |")
    assert table[3].startswith("| int8 | 0.5000 | +0.0000 | 10.0 | 0.2 | 0.50x | 50 MiB | 0.50x | 600 MiB | 0.67x")
    # a speed measured on another machine is no ratio; memory still is
    assert table[4].startswith("| fp32 | 0.5000 | +0.0000 | 10.0 | 0.1 | other machine | 200 MiB | 2.00x |")
    assert table[5] == "| int4 | – | – | – | – | – | – | – | – | – | – | no kernel here |"


@pytest.mark.parametrize("fields, message", [
    (["name=a", "run=r"], "missing qrels"),
    (["name=a", "run=r", "qrels=q", "colour=red"], "'colour=red' is not KEY=VALUE"),
    (["name=a", "run=r", "qrels=q", "encode-seconds=soon"], "encode-seconds='soon' is not a number"),
    (["name=a", "run=missing.trec", "qrels=q"], "no such file"),
])
def test_cli_errors_are_one_line(fields, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "q").write_text("q1 0 d1 1\n")
    assert main(["report", "--run", *fields]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("csplade report: error:") and message in error and "\n" not in error


def test_encode_queries_writes_pyserinis_query_vector_file(tiny_dir, tmp_path, capsys):
    topics = tmp_path / "topics.tsv"
    topics.write_text("7\tproteins regulate cell death\n8\ta vaccine trial\n")
    out = tmp_path / "q" / "queries.jsonl"
    encode = ["encode-queries", "--encoder", str(tiny_dir), "--output", str(out), "--topics"]
    assert main([*encode, str(topics)]) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["id"], r["contents"]) for r in records] == [("7", "proteins regulate cell death"),
                                                           ("8", "a vaccine trial")]
    from csplade_pyserini.loading.load import load_model

    model = load_model(str(tiny_dir))
    assert [r["vector"] for r in records] == model.encode_impacts([r["contents"] for r in records], "query")
    assert sorted(p.name for p in out.parent.iterdir()) == ["queries.jsonl"]  # no temporary left
    empty = tmp_path / "empty.tsv"
    empty.write_text("")
    assert main([*encode, str(empty)]) == 2
    assert "no topics" in capsys.readouterr().err
