"""Search an index and score the run, through Pyserini's own command-line tools.

:func:`search` runs ``python -m pyserini.search.lucene`` (BM25, or ``--impact --encoder NAME`` for a
csplade model) and :func:`trec_eval` runs ``python -m pyserini.eval.trec_eval``, both in a subprocess
with Java >= 21, so the numbers are exactly what a Pyserini user gets from the same commands.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from .errors import CspladeError
from .pyserini_cli import run_pyserini


def search(
    index: str | Path,
    topics: str | Path,
    output: str | Path,
    encoder: str | None = None,
    hits: int = 1000,
    threads: int = 1,
    batch_size: int | None = None,
    min_idf: int | None = None,
    remove_query: bool = False,
    quiet: bool = True,
) -> Path:
    """Write a TREC run for ``topics`` (BM25 without ``encoder``, impact search with one); atomic."""
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".tmp.{output.name}")
    args: list[object] = ["--index", index, "--topics", topics, "--output", partial, "--hits", hits,
                          "--threads", threads, "--batch-size", batch_size or max(threads, 1) * 8]
    if encoder is None:
        args.append("--bm25")
    else:
        args += ["--impact", "--encoder", encoder]
        if min_idf is not None:
            args += ["--min-idf", min_idf]
    if remove_query:
        args.append("--remove-query")
    try:
        run_pyserini("pyserini.search.lucene", args, quiet=quiet)
        if not partial.is_file():
            raise CspladeError(f"pyserini.search.lucene wrote no run file for {topics}")
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    return output


def trec_eval(
    qrels: str | Path, run: str | Path, metrics: Sequence[str] = ("ndcg_cut.10",), complete: bool = True,
    depth: int | None = None,
) -> dict[str, float]:
    """``{measure: value}`` over all queries, e.g. ``{"ndcg_cut_10": 0.679}`` (``-c`` by default; ``depth``:
    ``-M``, only the top ``depth`` hits of each query count)."""
    for path in (qrels, run):
        if not Path(path).is_file():
            raise CspladeError(f"{path}: no such file")
    args: list[object] = ["-c"] if complete else []
    if depth is not None:
        args += ["-M", depth]
    for metric in metrics:
        args += ["-m", metric]
    lines = run_pyserini("pyserini.eval.trec_eval", [*args, qrels, run], quiet=True)
    return parse_trec_eval(lines)


def parse_trec_eval(lines: Sequence[str]) -> dict[str, float]:
    """The ``measure  all  value`` lines of trec_eval's output."""
    results: dict[str, float] = {}
    for line in lines:
        parts = line.split()
        if len(parts) == 3 and parts[1] == "all":
            try:
                results[parts[0]] = float(parts[2])
            except ValueError:
                continue
    if not results:
        raise CspladeError(f"trec_eval printed no scores: {lines[-1] if lines else 'no output'}")
    return results
