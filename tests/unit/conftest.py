"""Fixtures of the unit tier: a toy retrieval set written as real files, and small training configs."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

DOCS = {
    "d0": "the quick brown fox jumps over the lazy dog",
    "d1": "proteins regulate cell death and apoptosis in cancer cells",
    "d2": "a vaccine trial measured antibody response in older adults",
    "d3": "sparse retrieval uses an inverted index with impact scores",
    "d4": "deep learning models encode queries and documents",
    "d5": "the lazy dog sleeps all day in the warm sun",
    "d6": "gene expression changes during immune response to infection",
    "d7": "the brown fox sleeps in the sun",
}
QUERIES = {
    "q0": "quick fox jumps",
    "q1": "cell death in cancer",
    "q2": "vaccine antibody response",
    "q3": "inverted index scores",
    "q4": "models encode documents",
    "q5": "dog sleeps in the sun",
    "q6": "immune response to infection",
}
QRELS = {f"q{i}": {f"d{i}": 1} for i in range(7)}


def write_toy(directory: Path) -> dict[str, Path]:
    """corpus.jsonl, queries.tsv, qrels.txt and a BM25-like run.trec (every doc, by word overlap)."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {name: directory / file for name, file in
             (("corpus", "corpus.jsonl"), ("queries", "queries.tsv"), ("qrels", "qrels.txt"),
              ("run", "run.trec"))}
    paths["corpus"].write_text("".join(json.dumps({"id": d, "contents": t}) + "\n" for d, t in DOCS.items()))
    paths["queries"].write_text("".join(f"{q}\t{t}\n" for q, t in QUERIES.items()))
    paths["qrels"].write_text("".join(f"{q} 0 {d} {r}\n"
                                      for q, docs in QRELS.items() for d, r in docs.items()))
    lines = []
    for qid, query in QUERIES.items():
        words = set(query.split())
        ranked = sorted(DOCS, key=lambda d: (-len(words & set(DOCS[d].split())), d))
        lines += [f"{qid} Q0 {d} {rank} {len(DOCS) - rank}.0 toy\n" for rank, d in enumerate(ranked, 1)]
    paths["run"].write_text("".join(lines))
    return paths


def adapt_config(model_dir: Path, corpus: Path, output_dir: Path, **overrides):
    from csplade_pyserini.options import build as build_config
    from csplade_pyserini.train.config import AdaptConfig

    values = dict(model=str(model_dir), corpus=str(corpus), output_dir=str(output_dir), cpu=True, steps=2,
                  seq_length=24, batch_size=2, lora_r=4, lora_dropout=0.0, learning_rate=1e-2,
                  warmup_steps=0, save_every=0, probe_every=0, loss_chunk_size=16)
    values.update(overrides)
    return build_config(AdaptConfig, values)


def train_config(model_dir: Path, files: dict[str, Path], output_dir: Path, **overrides):
    from csplade_pyserini.options import build as build_config
    from csplade_pyserini.train.config import TrainConfig

    values = dict(model=str(model_dir), queries=str(files["queries"]), corpus=str(files["corpus"]),
                  qrels=str(files["qrels"]), hard_negatives=str(files["run"]), output_dir=str(output_dir),
                  cpu=True, steps=3, batch_size=2, negatives=2, lora_r=4, lora_dropout=0.0,
                  learning_rate=1e-2, warmup_steps=0, save_every=0, query_max_length=12,
                  doc_max_length=24, lambda_q=0.0, lambda_d=0.0, flops_warmup=0)
    values.update(overrides)
    return build_config(TrainConfig, values)


@pytest.fixture
def toy_docs() -> dict[str, str]:
    return dict(DOCS)


@pytest.fixture
def files(tmp_path) -> dict[str, Path]:
    """The toy set's corpus.jsonl, queries.tsv, qrels.txt and run.trec in a temporary directory."""
    return write_toy(tmp_path / "toy")


@pytest.fixture(name="adapt_config")
def adapt_config_factory():
    return adapt_config


@pytest.fixture(name="train_config")
def train_config_factory():
    return train_config
