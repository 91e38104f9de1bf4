"""Fixtures of the integration tier (real Pyserini/Anserini): literal commands, runs, expected scores."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from csplade_pyserini.formats.trec import read_run


def pyserini(module: str, *args, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """``python -m <module> <args>`` exactly as a user types it (the start-up hook finds Java itself)."""
    result = subprocess.run([sys.executable, "-m", module, *map(str, args)], capture_output=True, text=True,
                            env={**os.environ, **(env or {})})
    if check:
        assert result.returncode == 0, f"{module} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def index_with_anserini(collection: Path, index: Path) -> subprocess.CompletedProcess:
    """The literal ``pyserini.index.lucene`` impact command of the README."""
    return pyserini("pyserini.index.lucene", "--collection", "JsonVectorCollection", "--input", collection,
                    "--index", index, "--generator", "DefaultLuceneDocumentGenerator", "--impact",
                    "--pretokenized", "--threads", 1)


def read_vectors(path: Path) -> dict[str, dict[str, int]]:
    """{docid: vector} of a JsonVectorCollection file or of every .jsonl file in a directory."""
    files = [path] if path.is_file() else sorted(path.glob("*.jsonl"))
    vectors = {}
    for file in files:
        for line in file.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            vectors[record["id"]] = record["vector"]
    return vectors


def expected_scores(query: dict[str, int], docs: dict[str, dict[str, int]], min_idf: float | None = None):
    """{docid: q . d} over docs with a positive score; with ``min_idf`` (Pyserini's filter
    ``idf > min_idf``, idf = log(N/df)), query terms in every document are dropped when min_idf = 0."""
    import math

    n = len(docs)
    df: dict[str, int] = {}
    for vector in docs.values():
        for term in vector:
            df[term] = df.get(term, 0) + 1
    kept = {t: w for t, w in query.items()
            if t in df and (min_idf is None or math.log(n / df[t]) > min_idf)}
    scores = {doc_id: sum(w * vector.get(t, 0) for t, w in kept.items()) for doc_id, vector in docs.items()}
    return {doc_id: score for doc_id, score in scores.items() if score > 0}


def run_scores(path: Path) -> dict[str, dict[str, float]]:
    return {qid: dict(hits) for qid, hits in read_run(path).items()}


@pytest.fixture(name="pyserini", scope="session")
def pyserini_fixture():
    """``python -m <module> <args>`` exactly as a user types it."""
    return pyserini


@pytest.fixture(name="index_with_anserini", scope="session")
def index_with_anserini_fixture():
    return index_with_anserini


@pytest.fixture(name="read_vectors", scope="session")
def read_vectors_fixture():
    return read_vectors


@pytest.fixture(name="expected_scores", scope="session")
def expected_scores_fixture():
    return expected_scores


@pytest.fixture(name="run_scores", scope="session")
def run_scores_fixture():
    return run_scores
