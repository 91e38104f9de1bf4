"""``csplade index``: only finished shards reach Anserini, bad lines are refused, counts are checked."""
import json
import re
import subprocess
import sys

import pytest

from csplade_pyserini.encode.collection import ExportInfo, ShardWriter
from csplade_pyserini.errors import CspladeError
from csplade_pyserini.index.lucene import INDEX_INFO, build_index, check_counters, parse_counters

GOOD = [{"id": "d1", "contents": "a", "vector": {"fox": 120, "brown": 35}},
        {"id": "d2", "contents": "b", "vector": {"dog": 90, "Ġlazy": 40}},
        {"id": "d3", "contents": "c", "vector": {"dog": 30, "%25": 8}}]


def csplade(*args):
    return subprocess.run([sys.executable, "-m", "csplade_pyserini", *map(str, args)], capture_output=True,
                          text=True)


def assert_one_line_error(result, message):
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and message in errors[0], result.stderr


def write_collection(directory, records, name="part-00000-of-00001.jsonl"):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return directory


def leftovers(parent, index_name):
    return [p.name for p in parent.iterdir() if p.name.startswith(f".{index_name}.")]


def test_index_reads_only_finished_shards_of_an_encode_output(tmp_path):
    vectors = tmp_path / "export"
    write_collection(vectors / "vectors", GOOD)
    (vectors / "csplade_config.json").write_text(json.dumps({"variant": "causal"}, indent=2))
    ExportInfo("tiny", "corpus.jsonl", shard_num=1, compress=False, dtype="float32", batch_size=4).save(vectors)
    (vectors / "partial").mkdir()  # left empty by a finished export
    result = csplade("index", vectors, tmp_path / "idx", "--threads", 1)
    assert result.returncode == 0, result.stderr
    assert "Exception" not in result.stderr  # Anserini never saw the two metadata files
    info = json.loads((tmp_path / "idx" / INDEX_INFO).read_text())
    assert (info["kind"], info["documents"], info["indexed"], info["files"]) == \
        ("impact", 3, 3, ["part-00000-of-00001.jsonl"])
    assert leftovers(tmp_path, "idx") == []
    from pyserini.search.lucene import LuceneImpactSearcher

    from csplade_pyserini.plugin.encoders import CspladeQueryEncoder

    class Fixed(CspladeQueryEncoder):
        def __init__(self, vector):
            self.vector = vector

        def encode(self, text, **kwargs):
            return self.vector

    query = Fixed({"dog": 2, "%25": 1, "Ġlazy": 1})
    hits = LuceneImpactSearcher(str(tmp_path / "idx"), query, min_idf=-1).search("x")
    assert {h.docid: h.score for h in hits} == {"d2": 220.0, "d3": 68.0}

    again = csplade("index", vectors, tmp_path / "idx")
    assert_one_line_error(again, "already exists (use --overwrite")


def test_an_unfinished_shard_is_refused(tmp_path):
    export = tmp_path / "export"
    write_collection(export / "vectors", GOOD, name="part-00000-of-00002.jsonl")
    ExportInfo("tiny", "corpus.jsonl", shard_num=2, compress=False, dtype="float32", batch_size=4).save(export)
    writer = ShardWriter(export, 1, 2)
    writer.write("d4", "d", {"cat": 3})
    writer.close()  # not finished: partial/part-00001-of-00002.jsonl.partial
    result = csplade("index", export, tmp_path / "idx")
    assert_one_line_error(result, "part-00001-of-00002.jsonl.partial: unfinished shard")
    writer.partial_path.unlink()  # a shard that was never encoded at all
    result = csplade("index", export, tmp_path / "idx")
    assert_one_line_error(result, "1 of 2 shards are finished")
    assert not (tmp_path / "idx").exists()


def test_a_stray_partial_file_in_a_collection_is_refused(tmp_path):
    vectors = write_collection(tmp_path / "vectors", GOOD)
    (vectors / "part-00001-of-00002.jsonl.partial").write_text('{"id": "d4", "contents": "", "vector": {}}\n')
    result = csplade("index", vectors, tmp_path / "idx")
    assert_one_line_error(result, "part-00001-of-00002.jsonl.partial: unfinished shard")


def test_a_bad_vector_line_is_a_one_line_error_before_anserini_runs(tmp_path):
    bad = {"id": "bad", "contents": "x", "vector": {"fox": 1.7}}
    vectors = write_collection(tmp_path / "vectors", [GOOD[0], bad])
    result = csplade("index", vectors, tmp_path / "idx")
    assert_one_line_error(result,
                          "part-00000-of-00001.jsonl:2: weight 1.7 of term 'fox' is not an int in [1, 100000000]")
    assert "Anserini" not in result.stderr and not (tmp_path / "idx").exists()


@pytest.mark.parametrize("vector, problem", [
    ({"fox": 0}, "weight 0"), ({"fox": -3}, "weight -3"), ({"fox": 2.0}, "weight 2.0"),
    ({"two words": 3}, "term 'two words' is not a Lucene-safe term"), ({"": 3}, "term '' is not"),
])
def test_bad_vector_lines_never_reach_anserini(tmp_path, vector, problem):
    bad = {"id": "bad", "contents": "x", "vector": vector}
    vectors = write_collection(tmp_path / "vectors", [GOOD[0], bad])
    with pytest.raises(CspladeError, match=re.escape(f"part-00000-of-00001.jsonl:2: {problem}")):
        build_index(vectors, tmp_path / "idx")
    assert not (tmp_path / "idx").exists() and leftovers(tmp_path, "idx") == []


def test_a_file_anserini_abandons_fails_the_document_count(tmp_path):
    records = [GOOD[0], {"id": "novector", "contents": "x"}, GOOD[1]]  # Anserini abandons the whole file
    vectors = write_collection(tmp_path / "vectors", records)
    result = csplade("index", vectors, tmp_path / "idx", "--no-validate", "--threads", 1)
    assert_one_line_error(result, "Anserini indexed 0 of 3 documents")
    assert not (tmp_path / "idx").exists() and leftovers(tmp_path, "idx") == []


def test_counters_are_read_from_anserini_logs():
    log = ["2026-11-25 14:50:12,735 INFO  [main] index.AbstractIndexer (AbstractIndexer.java:294) - "
           "indexed:            5,183",
           "... - empty:                  2", "... - errors:                 0"]
    assert parse_counters(log) == {"indexed": 5183, "empty": 2, "errors": 0}
    check_counters({"indexed": 5181, "empty": 2}, 5183, "c")  # empty vectors are counted, not lost
    with pytest.raises(CspladeError, match="no 'indexed:' counter"):
        check_counters({}, 3, "c")
    with pytest.raises(CspladeError, match="errors 1"):
        check_counters({"indexed": 3, "errors": 1}, 3, "c")
