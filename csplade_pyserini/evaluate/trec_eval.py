"""Score a run with Pyserini's ``python -m pyserini.eval.trec_eval`` (in a subprocess with Java >= 21), so
the numbers are exactly what a Pyserini user gets. Malformed runs and qrels are ``FILE:LINE`` errors
here, before trec_eval sees them.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from ..errors import CspladeError
from ..formats.trec import read_qrels, read_run
from ..runtime.pyserini_module import run_pyserini


def trec_eval(
    qrels: str | Path, run: str | Path, metrics: Sequence[str] = ("ndcg_cut.10",), complete: bool = True,
    depth: int | None = None,
) -> dict[str, float]:
    """``{measure: value}`` over all queries, e.g. ``{"ndcg_cut_10": 0.679}`` (``-c`` by default; ``depth``:
    ``-M``, only the top ``depth`` hits of each query count)."""
    judged = read_qrels(qrels)
    if not judged:
        raise CspladeError(f"{qrels}: no judgements")
    ranked = read_run(run)
    if not set(ranked) & set(judged):
        raise CspladeError(f"{run}: none of its {len(ranked)} queries is judged in {qrels}")
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
