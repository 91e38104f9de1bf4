"""The catalogue of bad inputs: each case runs the real ``csplade`` command in a subprocess and must give
exit code 2, exactly one ``error:`` line naming the file, line or option, no traceback, and leave no
finished artifact behind (no new file but an export's metadata, and every file that was there unchanged).

Classes: (1) an export is what it says it is, (2) empty is not success and numeric options are checked,
(3) ids are checked where they enter, (4) every text field is read the same way, (5) impacts are
bounded, (6) no tracebacks for input problems, (7) merge does not replace an existing output, (8)
downstream inputs (runs) are checked. Interrupts (7), the index's encoder check (8) and portable
exports (9) have their own tests below.
"""
from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

from csplade_pyserini.loading.tiny import save_tiny

DOCS = [{"id": "d1", "title": "Proteins", "text": "proteins regulate cell death"},
        {"id": "d2", "contents": "the lazy dog sleeps all day"},
        {"id": "d3", "contents": "gene expression changes during immune response"}]
METADATA = {"export.json", "csplade_config.json"}  # an export's description may be written before a failure


def csplade(*args, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "csplade_pyserini", *map(str, args)], capture_output=True,
                          text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"}, timeout=timeout)


def jsonl(path: Path, records) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))
    return path


@dataclass
class Bench:
    """What the cases share (built once per module)."""

    work: Path
    tiny: Path  # the tiny Llama encoder directory
    corpus: Path  # DOCS
    export: Path  # a finished export of ``corpus`` by ``tiny``
    other: Path  # a tiny encoder with another tokenizer (another vocabulary)
    retrained: Path  # a copy of ``tiny`` whose weights changed after ``retrained_export`` was made
    retrained_export: Path
    adapter: Path  # a LoRA adapter of ``tiny``

    def copy(self, source: Path, tmp: Path) -> Path:
        """``source`` copied into ``tmp`` (an export with its corpus beside it, as its paths are relative)."""
        target = tmp / source.name
        shutil.copytree(source, target)
        if source.parent == self.work and (target / "export.json").is_file():
            shutil.copy(self.corpus, tmp / self.corpus.name)
        return target


@pytest.fixture(scope="module")
def bench(tmp_path_factory, tiny_dir) -> Bench:
    work = tmp_path_factory.mktemp("bad-inputs")
    corpus = jsonl(work / "corpus.jsonl", DOCS)
    retrained = work / "retrained"
    shutil.copytree(tiny_dir, retrained)
    exports = {}
    for name, model in (("export", tiny_dir), ("retrained-export", retrained)):
        result = csplade("encode", "--encoder", model, "--corpus", corpus, "--output", work / name,
                         "--batch-size", 2)
        assert result.returncode == 0, result.stderr
        exports[name] = work / name
    _perturb_weights(retrained / "model.safetensors")
    return Bench(work, tiny_dir, corpus, exports["export"], save_tiny(work / "other", "llama", "metaspace"),
                 retrained, exports["retrained-export"], _adapter(tiny_dir, work / "adapter"))


def _adapter(model: Path, directory: Path) -> Path:
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    lm = AutoModelForCausalLM.from_pretrained(str(model))
    get_peft_model(lm, LoraConfig(r=2, lora_alpha=4, target_modules=["q_proj"])).save_pretrained(directory)
    return directory


def _perturb_weights(path: Path) -> None:
    from safetensors.torch import load_file, save_file

    save_file({name: tensor + 0.5 for name, tensor in load_file(str(path)).items()}, str(path),
              metadata={"format": "pt"})


@dataclass
class Case:
    args: list
    message: str  # must appear in the one error line


@dataclass
class Catalogue:
    cases: dict[str, Callable[[Path, Bench], Case]] = field(default_factory=dict)

    def add(self, name: str):
        def register(make: Callable[[Path, Bench], Case]):
            self.cases[name] = make
            return make
        return register


CATALOGUE = Catalogue()
case = CATALOGUE.add


def encode(b: Bench, corpus, out, *extra) -> list:
    return ["encode", "--encoder", b.tiny, "--corpus", corpus, "--output", out, *extra]


# -- 1. an export is what it says it is ---------------------------------------------------------------------
@case("export: another corpus")
def _(tmp, b):
    other = jsonl(tmp / "other.jsonl", DOCS[:2])
    return Case(encode(b, other, b.copy(b.export, tmp)), "corpus_lines 3 -> 2")


@case("export: the same corpus file, changed")
def _(tmp, b):
    export = b.copy(b.export, tmp)
    corpus = jsonl(tmp / "corpus.jsonl", [*DOCS, {"id": "d4", "contents": "a fourth document"}])
    return Case(encode(b, corpus, export), "corpus_bytes")


@case("export: another --doc-top-k")
def _(tmp, b):
    export = b.copy(b.export, tmp)
    return Case(encode(b, tmp / "corpus.jsonl", export, "--doc-top-k", 3), "(doc_top_k None -> 3)")


@case("export: another --dtype")
def _(tmp, b):
    export = b.copy(b.export, tmp)
    return Case(encode(b, tmp / "corpus.jsonl", export, "--dtype", "bfloat16"),
                "(dtype 'float32' -> 'bfloat16')")


@case("export: --gzip added")
def _(tmp, b):
    export = b.copy(b.export, tmp)
    return Case(encode(b, tmp / "corpus.jsonl", export, "--gzip"), "(compress False -> True)")


@case("export: resumed with another encoder")
def _(tmp, b):
    export = _interrupted(b.copy(b.export, tmp))
    return Case(["encode", "--encoder", b.other, "--corpus", tmp / "corpus.jsonl", "--output", export],
                f"(encoder '../../{b.tiny.name}' -> '../../{b.work.name}/other')")


@case("export: same encoder path, other weights")
def _(tmp, b):
    export, model = _interrupted(b.copy(b.retrained_export, tmp)), b.copy(b.retrained, tmp)
    return Case(["encode", "--encoder", model, "--corpus", tmp / "corpus.jsonl", "--output", export],
                "(weights ")


@case("export: another --fields")
def _(tmp, b):
    export = b.copy(b.export, tmp)
    return Case(encode(b, tmp / "corpus.jsonl", export, "--fields", "title", "contents"),
                "fields None -> ['title', 'contents']")


@case("export: another --id-field")
def _(tmp, b):
    export = b.copy(b.export, tmp)
    return Case(encode(b, tmp / "corpus.jsonl", export, "--id-field", "id"), "id_field None -> 'id'")


@case("export: one word changed in a middle line, same size")
def _(tmp, b):
    export = b.copy(b.export, tmp)
    corpus = tmp / "corpus.jsonl"
    corpus.write_text(corpus.read_text().replace("lazy dog", "lazy cat"))
    return Case(encode(b, corpus, export), "corpus_sha256")


@case("export: resumed with another --fields")
def _(tmp, b):
    export = _interrupted(b.copy(b.export, tmp))
    return Case(encode(b, tmp / "corpus.jsonl", export, "--fields", "title", "contents"),
                "fields None -> ['title', 'contents']")


@case("export: a second shard with another --fields")
def _(tmp, b):
    fields = ("--fields", "title", "contents")
    first = csplade(*encode(b, b.corpus, tmp / "out", "--shard-num", 2, "--shard-id", 0, *fields))
    assert first.returncode == 0, first.stderr
    return Case(encode(b, b.corpus, tmp / "out", "--shard-num", 2, "--shard-id", 1, "--fields", "contents", "title"),
                "fields ['title', 'contents'] -> ['contents', 'title']")


@case("export: vectors without export.json")
def _(tmp, b):
    export = b.copy(b.export, tmp)
    (export / "export.json").unlink()
    return Case(encode(b, tmp / "corpus.jsonl", export), "(vectors without export.json)")


def _interrupted(export: Path) -> Path:
    """The export as an interrupted run leaves it: one document in partial/, nothing finished."""
    finished = export / "vectors" / "part-00000-of-00001.jsonl"
    (export / "partial").mkdir(exist_ok=True)
    first = finished.read_text().splitlines()[0]
    (export / "partial" / "part-00000-of-00001.jsonl.partial").write_text(first + "\n")
    finished.unlink()
    shutil.rmtree(export / "stats")
    return export


# -- 2. empty is not success; numeric options are checked where they are parsed ----------------------------
@case("empty: a corpus of 0 documents")
def _(tmp, b):
    return Case(encode(b, jsonl(tmp / "empty.jsonl", []), tmp / "out"), "empty.jsonl: no documents")


@case("empty: a corpus of blank lines")
def _(tmp, b):
    return Case(encode(b, jsonl(tmp / "blank.jsonl", ["", "  "]), tmp / "out"), "blank.jsonl: no documents")


@case("empty: every vector empty (weight scale)")
def _(tmp, b):
    return Case(encode(b, b.corpus, tmp / "out", "--weight-scale", "1e-9"), "got an empty vector")


@case("empty: no room for text after the prefix (doc)")
def _(tmp, b):
    return Case(encode(b, b.corpus, tmp / "out", "--doc-max-length", 4),
                "doc_max_length 4 leaves no room for text")


@case("empty: no room for text after the prefix (query)")
def _(tmp, b):
    topics = tmp / "topics.tsv"
    topics.write_text("q1\tlazy dog\n")
    return Case(["encode-queries", "--encoder", b.tiny, "--topics", topics, "--output", tmp / "q.jsonl",
                 "--query-max-length", 3], "query_max_length 3 leaves no room for text")


@case("empty: a shard without documents")
def _(tmp, b):
    return Case(encode(b, b.corpus, tmp / "out", "--shard-num", 5, "--shard-id", 4), "--shard-id 4 of")


@case("empty: an index of 0 documents")
def _(tmp, b):
    return Case(["index", jsonl(tmp / "vectors" / "part.jsonl", [""]), tmp / "idx"], "no documents to index")


@case("empty: an index whose every vector is empty")
def _(tmp, b):
    vectors = jsonl(tmp / "vectors" / "part.jsonl", [{"id": "a", "contents": "", "vector": {}},
                                                     {"id": "b", "contents": "", "vector": {}}])
    return Case(["index", vectors.parent, tmp / "idx", "--quiet"], "every one of the 2 documents is empty")


@case("empty: no topics")
def _(tmp, b):
    topics = tmp / "topics.tsv"
    topics.write_text("\n")
    return Case(["encode-queries", "--encoder", b.tiny, "--topics", topics, "--output", tmp / "q.jsonl"],
                "topics.tsv: no topics")


for flag, value, message in [
        ("--batch-size", 0, "--batch-size must be >= 1, got 0"),
        ("--batch-size", -4, "--batch-size must be >= 1, got -4"),
        ("--shard-num", 0, "--shard-num must be >= 1"),
        ("--shard-id", 1, "--shard-id must be in [0, --shard-num 1), got 1"),
        ("--doc-top-k", -1, "doc_top_k must be >= 1 or null, got -1"),  # 0 means no cap
        ("--doc-max-length", 1, "doc_max_length must be an integer >= 2"),
        ("--weight-scale", 1e9, "weight_scale must be in (0, "),
        ("--weight-scale", -1, "weight_scale must be in (0, "),
        ("--batch-size", "two", "argument --batch-size: invalid int value: 'two'")]:
    @case(f"option: encode {flag} {value}")
    def _(tmp, b, flag=flag, value=value, message=message):
        return Case(encode(b, b.corpus, tmp / "out", flag, value), message)


@case("option: encode-queries --batch-size 0")
def _(tmp, b):
    return Case(["encode-queries", "--topics", tmp / "t.tsv", "--output", tmp / "q.jsonl", "--batch-size", 0],
                "--batch-size must be >= 1")


@case("option: inspect --top 0")
def _(tmp, b):
    return Case(["inspect", "--encoder", b.tiny, "--top", 0, "text"], "--top must be >= 1")


@case("option: index --threads 0")
def _(tmp, b):
    return Case(["index", b.export, tmp / "idx", "--threads", 0], "--threads must be >= 1")


# -- 3. ids are checked where they enter ---------------------------------------------------------------------
for name, records, message in [
        ("repeated", [DOCS[1], DOCS[2], DOCS[1]], "corpus.jsonl:3: document id 'd2' repeats (first at "),
        ("empty", [{"id": "", "contents": "x"}], "corpus.jsonl:1: empty document id"),
        ("with a TAB", [{"id": "d\t1", "contents": "x"}],
         "corpus.jsonl:1: document id 'd\\t1' contains whitespace"),
        ("a float", [{"id": 1.5, "contents": "x"}],
         "corpus.jsonl:1: document id 1.5 is not a string or an integer"),
        ("missing", [{"contents": "x"}], "corpus.jsonl:1: no id field")]:
    @case(f"ids: encode, a document id {name}")
    def _(tmp, b, records=records, message=message):
        return Case(encode(b, jsonl(tmp / "corpus.jsonl", records), tmp / "out"), message)


@case("ids: a TSV document id with a space")
def _(tmp, b):
    corpus = tmp / "corpus.tsv"
    corpus.write_text("d 1\tsome text\n")
    return Case(encode(b, corpus, tmp / "out"), "corpus.tsv:1: document id 'd 1' contains whitespace")


@case("ids: encode-queries, a query id repeated")
def _(tmp, b):
    topics = tmp / "topics.tsv"
    topics.write_text("q1\tlazy dog\nq1\tcell death\n")
    return Case(["encode-queries", "--encoder", b.tiny, "--topics", topics, "--output", tmp / "q.jsonl"],
                "topics.tsv:2: query id 'q1' repeats")


@case("ids: teach, a query id with whitespace")
def _(tmp, b):
    topics = jsonl(tmp / "topics.jsonl", [{"id": "q 1", "text": "lazy dog"}])
    return Case(["teach", "--queries", topics, "--corpus", b.corpus, "--output", tmp / "t.jsonl",
                 "--teacher", "dense"], "topics.jsonl:1: query id 'q 1' contains whitespace")


@case("ids: index --bm25, a repeated id")
def _(tmp, b):
    corpus = jsonl(tmp / "corpus" / "docs.jsonl", 2 * [{"id": "a", "contents": "x"}])
    return Case(["index", "--bm25", corpus.parent, tmp / "idx"], "docs.jsonl:2: document id 'a' repeats")


@case("ids: index, a repeated id across shards")
def _(tmp, b):
    record = {"id": "a", "contents": "x", "vector": {"fox": 3}}
    jsonl(tmp / "vectors" / "part-1.jsonl", [record])
    jsonl(tmp / "vectors" / "part-2.jsonl", [record])
    return Case(["index", tmp / "vectors", tmp / "idx"], "part-2.jsonl:1: document id 'a' repeats")


# -- 4. every text field is read the same way ----------------------------------------------------------------
@case("text: a text that is a number")
def _(tmp, b):
    return Case(encode(b, jsonl(tmp / "corpus.jsonl", [{"id": "d1", "title": "T", "text": 42}]), tmp / "out"),
                "corpus.jsonl:1: field 'text' is not a string")


@case("text: a title that is a list")
def _(tmp, b):
    return Case(encode(b, jsonl(tmp / "corpus.jsonl", [{"id": "d1", "title": ["T"], "text": "x"}]),
                       tmp / "out"), "corpus.jsonl:1: field 'title' is not a string")


@case("text: a query that is an object")
def _(tmp, b):
    topics = jsonl(tmp / "topics.jsonl", [{"id": "q1", "query": {"text": "x"}}])
    return Case(["encode-queries", "--encoder", b.tiny, "--topics", topics, "--output", tmp / "q.jsonl"],
                "topics.jsonl:1: field 'query' is not a string")


@case("text: index --bm25, contents that are a number")
def _(tmp, b):
    corpus = jsonl(tmp / "corpus" / "docs.jsonl", [{"id": "a", "contents": 7}])
    return Case(["index", "--bm25", corpus.parent, tmp / "idx"],
                "docs.jsonl:1: field 'contents' is not a string")


@case("text: index --bm25, no contents")
def _(tmp, b):
    corpus = jsonl(tmp / "corpus" / "docs.jsonl", [{"id": "a", "title": "x", "text": "y"}])
    return Case(["index", "--bm25", corpus.parent, tmp / "idx"],
                "docs.jsonl:1: no text field (expected 'contents')")


# -- 5. impacts are bounded ---------------------------------------------------------------------------------
@case("impacts: an impact of 2^40")
def _(tmp, b):
    vectors = jsonl(tmp / "vectors" / "part.jsonl", [{"id": "a", "contents": "", "vector": {"fox": 2 ** 40}}])
    return Case(["index", vectors.parent, tmp / "idx"], "part.jsonl:1: weight 1099511627776 of term 'fox'")


@case("impacts: a document whose impacts add up beyond 2^31")
def _(tmp, b):
    vector = {f"t{i}": 10 ** 8 for i in range(30)}
    vectors = jsonl(tmp / "vectors" / "part.jsonl", [{"id": "a", "contents": "", "vector": vector}])
    return Case(["index", vectors.parent, tmp / "idx"], "part.jsonl:1: the impacts add up to 3000000000")


@case("impacts: a weight_scale in csplade_config.json beyond the bound")
def _(tmp, b):
    model = _model_with_config(tmp, b, weight_scale=1e9)
    return Case(["inspect", "--encoder", model, "text"], "csplade_config.json: weight_scale must be in (0, ")


def _model_with_config(tmp: Path, b: Bench, **changes) -> Path:
    model = b.copy(b.tiny, tmp)
    path = model / "csplade_config.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))
    return model


# -- 6. no tracebacks for input problems ---------------------------------------------------------------------
@case("files: a corpus that is not UTF-8")
def _(tmp, b):
    corpus = tmp / "corpus.jsonl"
    corpus.write_bytes(b'{"id": "d1", "contents": "ok"}\n{"id": "d2", "contents": "caf\xe9"}\n')
    return Case(encode(b, corpus, tmp / "out"), "corpus.jsonl:2: not UTF-8 (byte offset 60 of the file)")


@case("files: a truncated .gz corpus")
def _(tmp, b):
    corpus = tmp / "corpus.jsonl.gz"
    data = gzip.compress("".join(json.dumps({"id": f"d{i}", "contents": "words " * 50}) + "\n"
                                 for i in range(200)).encode())
    corpus.write_bytes(data[: len(data) // 2])
    return Case(encode(b, corpus, tmp / "out"), "corpus.jsonl.gz:")


@case("files: topics that are not UTF-8")
def _(tmp, b):
    topics = tmp / "topics.tsv"
    topics.write_bytes(b"q1\tlazy dog\nq2\t\xff\xfe\n")
    return Case(["encode-queries", "--encoder", b.tiny, "--topics", topics, "--output", tmp / "q.jsonl"],
                "topics.tsv:2: not UTF-8 (byte offset 15 of the file)")


@case("files: a truncated .gz collection")
def _(tmp, b):
    (tmp / "vectors").mkdir()
    data = gzip.compress("".join(json.dumps({"id": f"d{i}", "contents": "", "vector": {"a": 1}}) + "\n"
                                 for i in range(500)).encode())
    (tmp / "vectors" / "part.jsonl.gz").write_bytes(data[: len(data) // 2])
    return Case(["index", tmp / "vectors", tmp / "idx"], "the gzip stream is damaged or truncated")


@case("files: encode --output below a regular file")
def _(tmp, b):
    (tmp / "file").write_text("x")
    return Case(encode(b, b.corpus, tmp / "file" / "out"), "cannot write below")


@case("files: encode-queries --output below a regular file")
def _(tmp, b):
    (tmp / "file").write_text("x")
    topics = tmp / "topics.tsv"
    topics.write_text("q1\tlazy dog\n")
    output = tmp / "file" / "q.jsonl"
    return Case(["encode-queries", "--encoder", b.tiny, "--topics", topics, "--output", output],
                "cannot write below")


@case("files: index below a regular file")
def _(tmp, b):
    (tmp / "file").write_text("x")
    return Case(["index", b.export, tmp / "file" / "idx"], "cannot write below")


@case("files: csplade_config.json with a string for an integer")
def _(tmp, b):
    model = _model_with_config(tmp, b, doc_top_k="ten")
    return Case(["inspect", "--encoder", model, "text"],
                "csplade_config.json: field 'doc_top_k' must be an integer, got 'ten'")


@case("files: csplade_config.json with an unknown field")
def _(tmp, b):
    model = _model_with_config(tmp, b, top_k=3)
    return Case(["inspect", "--encoder", model, "text"], "csplade_config.json: unknown field(s) top_k")


@case("files: a model directory without config.json")
def _(tmp, b):
    model = b.copy(b.tiny, tmp)
    (model / "config.json").unlink()
    return Case(["inspect", "--encoder", model, "text"], "has no config.json")


@case("files: a model directory with corrupt weights")
def _(tmp, b):
    model = b.copy(b.tiny, tmp)
    (model / "model.safetensors").write_bytes(b"\x00\x01 not safetensors")
    return Case(["inspect", "--encoder", model, "text"], "cannot load model")


@case("files: merge of an adapter with corrupt weights")
def _(tmp, b):
    adapter = b.copy(b.adapter, tmp)
    (adapter / "adapter_model.safetensors").write_bytes(b"\x07 corrupt")
    return Case(["merge", adapter, "--output", tmp / "merged"], "adapter: cannot load the adapter")


@case("files: merge of a training checkpoint with corrupt weights")
def _(tmp, b):
    from csplade_pyserini.options import build
    from csplade_pyserini.train.config import AdaptConfig

    checkpoint = tmp / "checkpoint-2"
    build(AdaptConfig, {"model": str(b.tiny), "output_dir": str(tmp), "corpus": str(b.corpus),
                        "full_finetune": True}).save(checkpoint)
    (checkpoint / "trainer_state.json").write_text("{}")
    (checkpoint / "model.safetensors").write_bytes(b"\x07 corrupt")
    return Case(["merge", checkpoint, "--output", tmp / "merged"], "cannot read the checkpoint's weights")


# -- 7. merge does not replace an existing output without --force --------------------------------------------
@case("merge: an existing output")
def _(tmp, b):
    (tmp / "merged").mkdir()
    (tmp / "merged" / "keep.txt").write_text("mine")
    return Case(["merge", b.adapter, "--output", tmp / "merged"], "merged: already exists (use --force")


@case("merge: index --overwrite of a directory csplade did not write")
def _(tmp, b):
    (tmp / "mine").mkdir()
    (tmp / "mine" / "notes.txt").write_text("not an index")
    return Case(["index", b.copy(b.export, tmp), tmp / "mine", "--overwrite", "--quiet"],
                "not written by csplade (no csplade_index.json)")


@case("merge: seismic index --overwrite of a directory csplade did not write")
def _(tmp, b):
    (tmp / "mine").mkdir()
    (tmp / "mine" / "notes.txt").write_text("not an index")
    return Case(["index", "--engine", "seismic", b.copy(b.export, tmp), tmp / "mine", "--overwrite"],
                "not written by csplade (no csplade_seismic.json)")


@case("merge: train into an output whose final/ holds a file of the user's")
def _(tmp, b):
    (tmp / "run" / "final").mkdir(parents=True)
    (tmp / "run" / "final" / "notes.txt").write_text("mine")
    triples = tmp / "t.tsv"
    triples.write_text("lazy dog\tthe lazy dog sleeps\tproteins\n")
    return Case(["train", "--model", b.tiny, "--triples", triples, "--output-dir", tmp / "run", "--steps", 1,
                 "--cpu"], "final: not empty and not written by csplade")


@case("ids: a document id of 40 KB")
def _(tmp, b):
    corpus = jsonl(tmp / "c.jsonl", [DOCS[0], {"id": "d" * 40_000, "contents": "a long id"}])
    return Case(encode(b, corpus, tmp / "out"), "c.jsonl:2: document id of 40000 bytes")


@case("text: an empty query")
def _(tmp, b):
    topics = tmp / "topics.tsv"
    topics.write_text("q1\tlazy dog\nq2\t \n")
    return Case(["encode-queries", "--encoder", b.tiny, "--topics", topics, "--output", tmp / "q.jsonl"],
                "topics.tsv:2: query 'q2' has no text")


@case("files: a query table that is not one")
def _(tmp, b):
    (tmp / "table").mkdir()
    (tmp / "table" / "query_table.safetensors").write_bytes(b"not a table")
    return Case(["inspect", "--encoder", b.tiny, "--query-table", tmp / "table", "lazy dog"], "not a query table")


# -- 8. downstream inputs: runs given to report and fuse ----------------------------------------------------
def _qrels(tmp: Path) -> Path:
    qrels = tmp / "qrels.txt"
    qrels.write_text("q1 0 d1 1\n")
    return qrels


@case("runs: report, a line with 5 fields")
def _(tmp, b):
    run = tmp / "run.trec"
    run.write_text("q1 Q0 d1 1 2.5 tag\nq1 Q0 d2 2 1.5\n")
    return Case(["report", "--run", "name=x", f"run={run}", f"qrels={_qrels(tmp)}"],
                "run.trec:2: expected 'qid Q0 docid rank score tag', got 5 fields")


@case("runs: report, a score that is not a number")
def _(tmp, b):
    run = tmp / "run.trec"
    run.write_text("q1 Q0 d1 1 high tag\n")
    return Case(["report", "--run", "name=x", f"run={run}", f"qrels={_qrels(tmp)}"],
                "run.trec:1: score 'high' is not a number")


@case("runs: report, a qrels line judging a document twice")
def _(tmp, b):
    run, qrels = tmp / "run.trec", tmp / "qrels.txt"
    run.write_text("q1 Q0 d1 1 2.5 tag\n")
    qrels.write_text("q1 0 d1 1\nq1 0 d2 1\nq1 0 d1 0\n")
    return Case(["report", "--run", "name=x", f"run={run}", f"qrels={qrels}"],
                "qrels.txt:3: document 'd1' is judged twice for query 'q1'")


@case("runs: report, empty qrels")
def _(tmp, b):
    run, qrels = tmp / "run.trec", tmp / "qrels.txt"
    run.write_text("q1 Q0 d1 1 2.5 tag\n")
    qrels.write_text("")
    return Case(["report", "--run", "name=x", f"run={run}", f"qrels={qrels}"], "qrels.txt: no judgements")


@case("runs: report, a run of queries nobody judged")
def _(tmp, b):
    run = tmp / "run.trec"
    run.write_text("q9 Q0 d1 1 2.5 tag\n")
    return Case(["report", "--run", "name=x", f"run={run}", f"qrels={_qrels(tmp)}"],
                "run.trec: none of its 1 queries is judged in")


@case("runs: report, a metric cut at 0")
def _(tmp, b):
    run = tmp / "run.trec"
    run.write_text("q1 Q0 d1 1 2.5 tag\n")
    return Case(["report", "--run", "name=x", f"run={run}", f"qrels={_qrels(tmp)}", "--metrics", "nDCG@0"],
                "metric 'nDCG@0': the cutoff must be >= 1")


@case("runs: fuse, a score that is not a number")
def _(tmp, b):
    good, bad = tmp / "a.trec", tmp / "b.trec"
    good.write_text("q1 Q0 d1 1 2.5 a\n")
    bad.write_text("q1 Q0 d1 1 nan? b\n")
    return Case(["fuse", "--runs", good, bad, "--output", tmp / "fused.trec"], "b.trec:1: score 'nan?'")


# -- the second probe's cases: text that is not text, outputs that are inputs, lengths past the model ---------
@case("text: a lone surrogate in a corpus field")
def _(tmp, b):
    corpus = jsonl(tmp / "c.jsonl", [DOCS[0], '{"id": "d2", "contents": "bad \\ud800 text"}'])
    return Case(encode(b, corpus, tmp / "out"), "c.jsonl:2: field 'contents' is not valid Unicode")


@case("text: a lone surrogate in a query id")
def _(tmp, b):
    topics = jsonl(tmp / "topics.jsonl", ['{"id": "q\\udfff", "text": "lazy dog"}'])
    return Case(["encode-queries", "--encoder", b.tiny, "--topics", topics, "--output", tmp / "q.jsonl"],
                "topics.jsonl:1: field 'query id' is not valid Unicode")


@case("text: a topic line with a third tab-separated field")
def _(tmp, b):
    topics = tmp / "topics.tsv"
    topics.write_text("q1\tlazy dog\nq2\tlazy\tdog\n")
    return Case(["encode-queries", "--encoder", b.tiny, "--topics", topics, "--output", tmp / "q.jsonl"],
                "topics.tsv:2: expected 'qid<TAB>text', got 3 tab-separated fields")


@case("text: a query of zero-width spaces")
def _(tmp, b):
    topics = tmp / "topics.tsv"
    topics.write_text("q1\tlazy dog\nq2\t\u200b\u200b\n")
    return Case(["encode-queries", "--encoder", b.tiny, "--topics", topics, "--output", tmp / "q.jsonl"],
                "topics.tsv:2: query 'q2' has no text")


@case("files: encode-queries writing over its topics")
def _(tmp, b):
    topics = tmp / "topics.tsv"
    topics.write_text("q1\tlazy dog\n")
    return Case(["encode-queries", "--encoder", b.tiny, "--topics", topics, "--output", topics],
                "is also the input --topics")


@case("files: fuse writing over one of its runs")
def _(tmp, b):
    first, second = tmp / "a.trec", tmp / "b.trec"
    first.write_text("q1 Q0 d1 1 2.5 a\n")
    second.write_text("q1 Q0 d2 1 1.5 b\n")
    return Case(["fuse", "--runs", first, second, "--output", first], "a.trec: is also the input --runs")


@case("option: --doc-max-length past the model's positions")
def _(tmp, b):
    return Case(encode(b, b.corpus, tmp / "out", "--doc-max-length", 100000),
                "doc_max_length 100000 exceeds the model's 1024 positions")


@case("runs: fuse, a document listed twice for one query")
def _(tmp, b):
    good, bad = tmp / "a.trec", tmp / "b.trec"
    good.write_text("q1 Q0 d1 1 2.5 a\n")
    bad.write_text("q1 Q0 d1 1 2.5 b\nq1 Q0 d2 2 2.0 b\nq1 Q0 d1 3 1.5 b\n")
    return Case(["fuse", "--runs", good, bad, "--output", tmp / "fused.trec"],
                "b.trec:3: document 'd1' is listed twice for query 'q1'")


@pytest.mark.parametrize("name", list(CATALOGUE.cases))
def test_a_bad_input_is_one_line_and_leaves_nothing_finished(name, bench, tmp_path):
    made = CATALOGUE.cases[name](tmp_path, bench)
    before = _files(tmp_path)
    result = csplade(*made.args)
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and made.message in errors[0], result.stderr[-3000:]
    after = _files(tmp_path)
    assert {p for p in after if p not in before and p.name not in METADATA} == set()
    assert {p for p, data in before.items() if after.get(p) != data} == set()


def _files(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_the_catalogue_covers_every_class():
    classes = {name.split(":")[0] for name in CATALOGUE.cases}
    assert classes == {"export", "empty", "option", "ids", "text", "impacts", "files", "merge", "runs"}
    assert len(CATALOGUE.cases) >= 40


@pytest.mark.parametrize("command", ["encode", "index", "encode-queries", "fuse", "query-table", "train"])
def test_a_second_writer_of_an_output_is_refused_at_once(command, bench, tmp_path):
    from csplade_pyserini.formats.files import exclusive

    topics, run = tmp_path / "topics.tsv", tmp_path / "a.trec"
    topics.write_text("q1\tlazy dog\n")
    run.write_text("q1 Q0 d1 1 2.5 a\n")
    output, what = tmp_path / "out", ""
    args = {"encode": ["--encoder", bench.tiny, "--corpus", bench.corpus, "--output", output],
            "index": [bench.export, output, "--quiet"],
            "encode-queries": ["--encoder", bench.tiny, "--topics", topics, "--output", output],
            "fuse": ["--runs", run, run, "--output", output],
            "query-table": ["--encoder", bench.tiny, "--corpus", bench.corpus, "--output", output],
            "train": ["--model", bench.tiny, "--triples", tmp_path / "t.tsv", "--output-dir", output,
                      "--steps", "1", "--cpu"]}[command]
    if command == "train":
        (tmp_path / "t.tsv").write_text("lazy dog\tthe lazy dog sleeps\tproteins\n")
        what = "a training run"
    elif command == "encode":
        what = "shard 0"
    with exclusive(output, what):  # another process (this one) is writing it
        result = csplade(command, *args)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "another csplade process is writing" in result.stderr.strip().splitlines()[-1]
    assert not output.exists() or not any(output.iterdir())


@pytest.mark.parametrize("command", ["encode", "train"])
def test_a_write_that_fails_is_one_line_and_leaves_nothing_finished(command, bench, tmp_path):
    """A file-size limit (what a full disk does to a write: the write fails) mid-output."""
    import resource

    out = tmp_path / "out"
    if command == "encode":
        args = encode(bench, bench.corpus, out)
        limit = 2 * 1024
    else:
        (tmp_path / "t.tsv").write_text("lazy dog\tthe lazy dog sleeps\tproteins regulate\n" * 4)
        args = ["train", "--model", bench.tiny, "--triples", tmp_path / "t.tsv", "--output-dir", out,
                "--steps", "2", "--save-every", "1", "--cpu", "--lora-r", "4", "--batch-size", "2",
                "--negatives", "1"]
        limit = 40 * 1024
    result = subprocess.run([sys.executable, "-m", "csplade_pyserini", *map(str, args)], capture_output=True,
                            text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"}, timeout=300,
                            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit)))
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-2000:]
    last = result.stderr.strip().splitlines()[-1]
    assert "File too large" in last or "could not be written" in last, last
    if command == "encode":
        assert not (out / "vectors").exists() or not any((out / "vectors").iterdir())  # nothing finished
    else:
        assert not list(out.glob("checkpoint-*")) and not list(out.glob(".checkpoint-*"))
        assert not (out / "final").exists()


# -- what is not a one-line error: --force, portability, the index's encoder, interrupts ---------------------
def test_force_discards_an_export_made_otherwise_and_nothing_names_this_machine(bench, tmp_path):
    export = bench.copy(bench.export, tmp_path)
    result = csplade(*encode(bench, bench.corpus, export, "--doc-top-k", 3, "--force"))
    assert result.returncode == 0, result.stderr
    assert json.loads((export / "csplade_config.json").read_text())["doc_top_k"] == 3
    vectors = [json.loads(line)["vector"] for line in
               (export / "vectors" / "part-00000-of-00001.jsonl").read_text().splitlines()]
    assert len(vectors) == 3 and all(1 <= len(v) <= 3 for v in vectors)
    for name in ("export.json", "csplade_config.json", "stats/part-00000-of-00001.jsonl.json"):
        text = (export / name).read_text()
        assert str(tmp_path) not in text and str(bench.work) not in text and "/tmp" not in text, name
    info = json.loads((export / "export.json").read_text())
    assert info["corpus"].startswith("..") and info["encoder"].startswith("..")
    again = csplade(*encode(bench, bench.corpus, export, "--doc-top-k", 3))  # the same settings: kept
    assert again.returncode == 0 and "encode shard" not in again.stderr


def test_an_index_refuses_a_query_encoder_with_another_vocabulary(bench, tmp_path, pyserini):
    index = tmp_path / "idx"
    result = csplade("index", bench.export, index, "--quiet", "--threads", 1)
    assert result.returncode == 0, result.stderr
    recorded = json.loads((index / "csplade_index.json").read_text())
    assert recorded["encoder"]["name"] == json.loads((bench.export / "export.json").read_text())["encoder"]
    assert not recorded["source"].startswith("/")
    topics = tmp_path / "topics.tsv"
    topics.write_text("q1\tlazy dog\n")
    search = ["pyserini.search.lucene", "--index", index, "--topics", topics, "--impact", "--hits", 10]
    refused = pyserini(*search, "--output", tmp_path / "other.trec", "--encoder", bench.other, check=False)
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    errors = [line for line in refused.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and "vocabulary differs from this query encoder's" in errors[0], refused.stderr
    assert not (tmp_path / "other.trec").exists()
    pyserini(*search, "--output", tmp_path / "same.trec", "--encoder", bench.tiny)
    assert (tmp_path / "same.trec").read_text().startswith("q1 Q0 ")


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_an_interrupted_index_stops_anserini_and_leaves_nothing(tmp_path, sig, code):
    process, child = _index_in_a_child(tmp_path)
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == code, stderr[-3000:]
    assert "Traceback" not in stderr
    assert not Path(f"/proc/{child}").exists()  # stopped and reaped, not orphaned
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == []  # no index, no staging directories


def test_a_killed_index_takes_anserini_with_it(tmp_path):
    process, child = _index_in_a_child(tmp_path)
    process.kill()  # no handler runs: the kernel tells the child (PR_SET_PDEATHSIG)
    process.communicate(timeout=60)
    deadline = time.monotonic() + 3  # well before it would have finished the index (~10 s)
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(child)
    assert not (tmp_path / "out" / "idx").exists()


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for its new parent to reap it has stopped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _index_in_a_child(tmp_path: Path) -> tuple[subprocess.Popen, int]:
    """``csplade index`` of a collection that takes Anserini seconds, and its Anserini child, working."""
    # 10,000 documents of 64 terms with impacts up to 200 (~6,000 tokens each for Lucene): Anserini needs
    # seconds to index them on one thread, so the signal reaches a child that is still working
    words = [f"term{i}" for i in range(2000)]
    collection = tmp_path / "collection" / "vectors.jsonl"
    jsonl(collection, ({"id": f"d{i}", "contents": "",
                        "vector": {words[(i * 7 + j * 31) % len(words)]: 1 + (i + j) % 200 for j in range(64)}}
                       for i in range(10_000)))
    process = subprocess.Popen([sys.executable, "-m", "csplade_pyserini", "index", str(collection),
                                str(tmp_path / "out" / "idx"), "--threads", "1"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               # as from a terminal, even when the tests run as a background job (which
                               # ignores SIGINT, and Python then keeps ignoring it)
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    child = _anserini_child(process.pid, deadline=time.monotonic() + 60)
    time.sleep(1.0)  # the parent is reading the child's log by now
    assert Path(f"/proc/{child}").exists()
    return process, child


def _anserini_child(pid: int, deadline: float) -> int:
    """The ``python -m pyserini.index.lucene`` child of ``pid``, once it runs that module."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    while time.monotonic() < deadline:
        for child in (children.read_text().split() if children.exists() else []):
            try:
                if b"pyserini.index.lucene" in Path(f"/proc/{child}/cmdline").read_bytes():
                    return int(child)
            except OSError:  # a short-lived child that is already gone
                continue
        time.sleep(0.05)
    raise AssertionError("csplade index started no Anserini child")


def test_ir_datasets_ids_are_checked_on_export(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from csplade_pyserini.errors import CspladeError
    from csplade_pyserini.formats import irds

    queries = [SimpleNamespace(query_id="q1", default_text=lambda: "a"),
               SimpleNamespace(query_id="q1", default_text=lambda: "b")]
    docs = [SimpleNamespace(doc_id="d 1", default_text=lambda: "x")]
    dataset = SimpleNamespace(has_queries=lambda: True, queries_iter=lambda: iter(queries),
                              has_docs=lambda: True, docs_iter=lambda: iter(docs), docs_count=lambda: 1)
    monkeypatch.setattr(irds, "load_dataset", lambda dataset_id: dataset)
    with pytest.raises(CspladeError, match=r"'toy', query 2: query id 'q1' repeats"):
        irds.export_topics("toy", tmp_path / "topics.tsv")
    with pytest.raises(CspladeError, match=r"'toy', document 1: document id 'd 1' contains whitespace"):
        irds.export_corpus("toy", tmp_path / "corpus")
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []  # nothing half-written
