"""Hybrid search: fuse two TREC runs (e.g. CSPLADE and BM25) with Pyserini's own fusion.

Methods, all through ``python -m pyserini.fusion``:

* ``rrf``: reciprocal rank fusion, ``sum 1 / (k + rank)`` (``--rrf-k``);
* ``interpolation``: Pyserini's ``alpha * score_a + (1 - alpha) * score_b`` on raw scores;
* ``minmax``: the same interpolation after each run's scores are min-max normalised per query by
  Pyserini's own ``TrecRun.rescore(NORMALIZE)`` (Pyserini's command line has no weighted normalised
  fusion, so only the normalisation step is done here, with its code).

:func:`tune` scores a grid of settings on dev queries with trec_eval and returns them best first.
"""
from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable, Sequence

from ..errors import CspladeError
from ..evaluate.trec_eval import trec_eval
from ..formats.files import partial_file
from ..formats.trec import read_run
from ..runtime.pyserini_module import run_pyserini

METHODS = ("rrf", "interpolation", "minmax")


@dataclass(frozen=True)
class Fusion:
    """One fusion setting (``alpha`` weighs the first run; ``rrf_k`` is RRF's constant)."""

    method: str = "minmax"
    alpha: float = 0.5
    rrf_k: int = 60

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise CspladeError(f"unknown fusion method {self.method!r}; choose one of {', '.join(METHODS)}")
        if not 0.0 <= self.alpha <= 1.0:
            raise CspladeError(f"fusion alpha must be in [0, 1], got {self.alpha}")
        if self.rrf_k < 1:
            raise CspladeError(f"rrf_k must be >= 1, got {self.rrf_k}")

    @property
    def label(self) -> str:
        if self.method == "rrf":
            return f"RRF k={self.rrf_k}"
        return f"{'min-max ' if self.method == 'minmax' else ''}interpolation alpha={self.alpha:g}"

    def to_dict(self) -> dict:
        return asdict(self)


def fuse(runs: Sequence[str | Path], output: str | Path, fusion: Fusion, depth: int = 1000, k: int = 1000) -> Path:
    """Write the fusion of two runs (every line checked first) to ``output``, atomically."""
    if len(runs) != 2:
        raise CspladeError(f"fusion takes exactly two runs, got {len(runs)}")
    for run in runs:
        read_run(run)  # FILE:LINE errors before Pyserini reads the file
    output = Path(output)
    partial = partial_file(output)
    with tempfile.TemporaryDirectory(prefix=".fusion-", dir=output.parent) as scratch:
        inputs = [Path(r) for r in runs]
        if fusion.method == "minmax":
            inputs = [_normalised(run, Path(scratch) / f"{i}.trec") for i, run in enumerate(inputs)]
        method = "rrf" if fusion.method == "rrf" else "interpolation"
        args: list[object] = ["--runs", *inputs, "--output", partial, "--method", method, "--depth", depth,
                              "--k", k, "--runtag", "csplade-fusion"]
        args += ["--rrf.k", fusion.rrf_k] if method == "rrf" else ["--alpha", fusion.alpha]
        try:
            run_pyserini("pyserini.fusion", args, quiet=True)
            partial.replace(output)
        finally:
            partial.unlink(missing_ok=True)
    return output


def _normalised(run: Path, target: Path) -> Path:
    """``run`` with its scores min-max normalised per query (Pyserini's TrecRun.rescore)."""
    from pyserini.trectools import RescoreMethod, TrecRun

    trec = TrecRun(str(run))
    trec.rescore(RescoreMethod.NORMALIZE).save_to_txt(str(target))
    return target


RRF_KS = (10, 30, 60, 100)
ALPHAS = tuple(a / 10 for a in range(1, 10))


def grid(rrf_ks: Iterable[int] = RRF_KS, alphas: Iterable[float] = ALPHAS) -> list[Fusion]:
    """RRF with each k, and min-max interpolation with each alpha."""
    return [Fusion("rrf", rrf_k=k) for k in rrf_ks] + [Fusion("minmax", alpha=a) for a in alphas]


def tune(runs: Sequence[str | Path], qrels: str | Path, workdir: str | Path,
         settings: Iterable[Fusion] | None = None, metric: str = "ndcg_cut.10") -> list[tuple[Fusion, float]]:
    """Every setting (default: :func:`grid`) scored on ``qrels`` with trec_eval, best first."""
    results = []
    for number, fusion in enumerate(settings or grid()):
        fused = fuse(runs, Path(workdir) / f"fused-{number:02d}.trec", fusion)
        results.append((fusion, trec_eval(qrels, fused, (metric,))[metric.replace(".", "_")]))
    return sorted(results, key=lambda item: -item[1])
