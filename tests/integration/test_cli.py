"""`csplade encode` / `inspect` end to end on a tiny model, and one-line errors for bad input."""
import json
import subprocess
import sys

import pytest

from csplade_pyserini.loading.load import load_model

DOCS = [
    {"id": "d1", "title": "Proteins", "text": "proteins regulate cell death"},
    {"id": "d2", "contents": "the lazy dog sleeps all day"},
    {"_id": "d3", "text": "gene expression changes during immune response"},
]


def assert_one_line_error(result, message):
    """Exit code 2, no traceback, and exactly one error line naming the problem."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and message in errors[0], result.stderr


def csplade(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "csplade_pyserini", *args], capture_output=True, text=True,
                          cwd=cwd)


@pytest.fixture()
def corpus(tmp_path):
    path = tmp_path / "corpus.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in DOCS))
    return path


def test_encode_writes_a_json_vector_collection(tmp_path, tiny_dir, corpus):
    out = tmp_path / "vectors"
    result = csplade("encode", "--encoder", str(tiny_dir), "--corpus", str(corpus), "--output", str(out))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in (out / "vectors" / "part-00000-of-00001.jsonl").read_text().splitlines()]
    assert [line["id"] for line in lines] == ["d1", "d2", "d3"]
    assert lines[0]["contents"] == "Proteins proteins regulate cell death"
    model = load_model(str(tiny_dir))
    expected = model.encode_impacts([line["contents"] for line in lines], "doc")
    for line, vector in zip(lines, expected):
        assert set(line) == {"id", "contents", "vector"}
        assert line["vector"] == vector and line["vector"]
        assert all(type(w) is int and w >= 1 for w in line["vector"].values())
    assert json.loads((out / "csplade_config.json").read_text())["variant"] == "causal"
    assert [p.name for p in (out / "vectors").iterdir()] == ["part-00000-of-00001.jsonl"]  # Anserini reads all


def test_sharded_gzip_encode_covers_the_corpus_once(tmp_path, tiny_dir, corpus):
    out = tmp_path / "vectors"
    for shard in (0, 1):
        result = csplade("encode", "--encoder", str(tiny_dir), "--corpus", str(corpus), "--output", str(out),
                         "--shard-id", str(shard), "--shard-num", "2", "--gzip")
        assert result.returncode == 0, result.stderr
    import gzip
    ids = []
    for path in sorted(out.glob("vectors/*.jsonl.gz")):
        with gzip.open(path, "rt") as handle:
            ids += [json.loads(line)["id"] for line in handle]
    assert sorted(ids) == ["d1", "d2", "d3"]


def test_inspect_prints_terms_and_weights(tiny_dir):
    result = csplade("inspect", "--encoder", str(tiny_dir), "--top", "5", "proteins regulate cell death")
    assert result.returncode == 0, result.stderr
    rows = result.stdout.splitlines()
    assert rows[0] == "query: proteins regulate cell death"
    assert "non-zero terms" in rows[1] and len(rows) == 7


@pytest.mark.parametrize("make_input, message", [
    (lambda p: p / "missing.jsonl", "no such file"),
    (lambda p: _write(p, '{"id": "d1", "contents": "ok"}\n{"id": "d2", "contents": \n'),
     "corpus.jsonl:2: invalid JSON"),
    (lambda p: _write(p, '{"contents": "no id"}\n'), "corpus.jsonl:1: no id field"),
    (lambda p: _write(p, '{"id": "d1", "body": "x"}\n'), "corpus.jsonl:1: no text field"),
])
def test_bad_corpus_gives_one_line_error(tmp_path, tiny_dir, make_input, message):
    result = csplade("encode", "--encoder", str(tiny_dir), "--corpus", str(make_input(tmp_path)),
                     "--output", str(tmp_path / "out"))
    assert_one_line_error(result, message)
    assert not list(tmp_path.glob("out/vectors/*"))


def _write(directory, text):
    path = directory / "corpus.jsonl"
    path.write_text(text)
    return path


def test_unknown_variant_in_a_model_directory(tmp_path, tiny_dir, corpus):
    import shutil
    model_dir = tmp_path / "model"
    shutil.copytree(tiny_dir, model_dir)
    config = json.loads((model_dir / "csplade_config.json").read_text())
    (model_dir / "csplade_config.json").write_text(json.dumps({**config, "variant": "sideways"}))
    result = csplade("inspect", "--encoder", str(model_dir), "hello")
    assert_one_line_error(result, "unknown variant 'sideways'")


def test_model_directory_without_tokenizer(tmp_path, tiny_dir):
    import shutil
    model_dir = tmp_path / "model"
    shutil.copytree(tiny_dir, model_dir)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        (model_dir / name).unlink()
    result = csplade("inspect", "--encoder", str(model_dir), "hello")
    assert_one_line_error(result, "has no tokenizer")
