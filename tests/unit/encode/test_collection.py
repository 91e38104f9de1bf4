"""JsonVectorCollection shards: valid lines, atomic finish, resume after a crash, refused bad vectors."""
import gzip
import json

import pytest

from csplade_pyserini.encode.collection import ShardStats, ShardWriter, shard_stats
from csplade_pyserini.errors import CspladeError
from csplade_pyserini.formats.vectors import check_vector


def _lines(path):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


@pytest.mark.parametrize("compress", [False, True])
def test_a_shard_appears_only_when_finished(tmp_path, compress):
    writer = ShardWriter(tmp_path, 1, 3, compress)
    writer.write("d1", "text one", {"Ġfox": 120, "%id7": 3})
    writer.flush()
    assert not writer.final_path.exists() and writer.partial_path.exists()
    path = writer.finish()
    assert path == tmp_path / "vectors" / f"part-00001-of-00003.jsonl{'.gz' if compress else ''}"
    assert not writer.partial_path.exists()
    assert _lines(path) == [{"id": "d1", "contents": "text one", "vector": {"Ġfox": 120, "%id7": 3}}]


def test_resume_keeps_complete_lines_and_cuts_a_torn_one(tmp_path):
    writer = ShardWriter(tmp_path)
    for i in range(3):
        writer.write(f"d{i}", "t", {"a": 1})
    writer.close()
    with open(writer.partial_path, "a") as handle:
        handle.write('{"id": "d3", "contents": "t", "vec')  # the crash
    again = ShardWriter(tmp_path)
    assert again.resume() == {"d0", "d1", "d2"}
    again.write("d3", "t", {"a": 2})
    lines = _lines(again.finish())
    assert [line["id"] for line in lines] == ["d0", "d1", "d2", "d3"]


def test_a_finished_shard_records_its_documents_terms_and_time(tmp_path):
    writer = ShardWriter(tmp_path, 0, 2)
    writer.write("d0", "t", {"a": 1, "b": 2})
    writer.close()  # interrupted
    again = ShardWriter(tmp_path, 0, 2)
    assert again.resume() == {"d0"}
    again.write("d1", "t", {"a": 5})
    again.finish(weights_mib=2.5, machine="cpu A (avx2), 2 threads")
    assert shard_stats(tmp_path) is not None
    (stats,) = shard_stats(tmp_path)
    assert (stats.documents, stats.terms, stats.resumed) == (2, 3, 1) and stats.seconds >= 0
    assert (stats.weights_mib, stats.machine) == (2.5, "cpu A (avx2), 2 threads")
    assert json.loads((tmp_path / "stats" / "part-00000-of-00002.jsonl.json").read_text())["terms"] == 3
    ShardWriter(tmp_path, 1, 2).finish()  # an empty shard
    assert [(s.documents, s.terms) for s in shard_stats(tmp_path)] == [(2, 3), (0, 0)]
    (tmp_path / "stats" / "part-00001-of-00002.jsonl.json").unlink()
    assert shard_stats(tmp_path) is None  # not every shard has its stats
    assert ShardStats(1, 1, 0.5) == ShardStats(documents=1, terms=1, seconds=0.5, resumed=0)


@pytest.mark.parametrize("vector, problem", [
    ({"fox": 1.5}, "not an int"), ({"fox": 0}, "not an int"), ({"fox": -3}, "not an int"),
    ({"two words": 3}, "Lucene-safe"), ({"": 3}, "Lucene-safe"), ({"tab\t": 3}, "Lucene-safe"),
    ({"fox": True}, "not an int"),
])
def test_bad_vectors_never_reach_the_file(tmp_path, vector, problem):
    writer = ShardWriter(tmp_path)
    with pytest.raises(CspladeError, match=problem):
        writer.write("d1", "text", vector)
    assert not writer.partial_path.exists() or writer.partial_path.read_text() == ""


def test_numpy_weights_are_refused():
    np = pytest.importorskip("numpy")
    with pytest.raises(CspladeError):
        check_vector({"fox": np.int64(3)}, "doc")
