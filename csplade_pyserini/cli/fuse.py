"""``csplade fuse``: a hybrid run from two runs (CSPLADE + BM25) through Pyserini's fusion.

With ``--tune --qrels DEV_QRELS`` every setting of a small grid (RRF k, min-max interpolation alpha) is
scored on dev queries, the table printed, the best setting written as ``OUTPUT.json`` and applied.
Apply a setting chosen on dev to test runs with ``--setting OUTPUT.json`` or ``--setting PRESET`` (a
preset records the setting its recipe chose on dev), or the flags. ``OUTPUT.json`` always says what was
applied.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from .. import options
from ..options import option


@dataclass
class FuseSettings:
    runs: list[str] = option([], "the two TREC runs to fuse (alpha weighs the first)")
    output: str = option("", "the fused run to write")
    method: str = option("minmax", "rrf, interpolation (raw scores) or minmax (normalised, then interpolated)",
                         choices=("rrf", "interpolation", "minmax"))
    alpha: float = option(0.5, "interpolation weight of the first run")
    rrf_k: int = option(60, "RRF constant k")
    depth: int = option(1000, "documents read from each run per query")
    k: int = option(1000, "documents written per query")
    tune: bool = option(False, "choose the setting on --qrels (dev) from a grid; writes OUTPUT.json")
    qrels: str | None = option(None, "dev qrels for --tune")
    grid_rrf_ks: list[int] = option([10, 30, 60, 100], "--tune: the RRF k values tried")
    grid_alphas: list[float] = option([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
                                      "--tune: the min-max interpolation alphas tried")
    setting: str | None = option(None, "a setting chosen before: the OUTPUT.json of a --tune run, or a preset "
                                       "name (its 'fusion', chosen on dev by its recipe)")

    def validate(self) -> None:
        from ..errors import CspladeError

        if len(self.runs) != 2 or not self.output:
            raise CspladeError("--runs needs exactly two run files, and --output is required")
        if self.tune and not self.qrels:
            raise CspladeError("--tune needs --qrels (dev judgements)")
        if self.depth < 1 or self.k < 1:
            raise CspladeError("--depth and --k must be >= 1")


def register(commands) -> None:
    parser = commands.add_parser("fuse", help="fuse two runs (hybrid CSPLADE + BM25) with Pyserini's fusion",
                                 description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_arguments(parser, FuseSettings)
    parser.set_defaults(run=lambda args: run(options.from_args(FuseSettings, args)))


def saved_setting(name: str):
    """The fusion setting of a ``--tune`` output file or of a preset."""
    from ..errors import CspladeError
    from ..loading.presets import find_preset
    from ..search.fusion import Fusion

    preset = None if Path(name).is_file() else find_preset(name)
    if preset is not None and preset.fusion is None:
        raise CspladeError(f"preset {name!r} ({preset.path}) records no fusion setting")
    try:
        saved = preset.fusion if preset is not None else json.loads(Path(name).read_text())
        return Fusion(saved["method"], saved["alpha"], saved["rrf_k"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CspladeError(f"{name}: not a fusion setting ({exc})") from None


def run(settings: FuseSettings) -> int:
    from ..formats.files import check_not_input, check_output_file, exclusive

    output = check_output_file(settings.output)
    check_not_input(output, runs=settings.runs, qrels=settings.qrels)
    with exclusive(output):  # the run and its .json setting: one writer
        return _fuse(settings, output)


def _fuse(settings: FuseSettings, output: Path) -> int:
    from ..formats.files import write_json
    from ..search.fusion import Fusion, fuse, grid, tune

    if settings.tune:
        results = tune(settings.runs, settings.qrels, output.with_name(f".{output.name}.grid"),
                       grid(settings.grid_rrf_ks, settings.grid_alphas))
        for fusion, score in results:
            print(f"{fusion.label:<40} nDCG@10 {score:.4f}", file=sys.stderr)
        best, score = results[0]
        write_json(output.with_name(output.name + ".json"),
                   {**best.to_dict(), "label": best.label, "dev_ndcg10": score, "qrels": settings.qrels,
                    "grid": [{**f.to_dict(), "dev_ndcg10": s} for f, s in results]})
    elif settings.setting:
        best = saved_setting(settings.setting)
    else:
        best = Fusion(settings.method, settings.alpha, settings.rrf_k)
    fuse(settings.runs, output, best, settings.depth, settings.k)
    if not settings.tune:  # what was applied, beside the run (a --tune run wrote the grid there)
        write_json(output.with_name(output.name + ".json"), {**best.to_dict(), "label": best.label})
    print(f"{output}: {best.label}", file=sys.stderr)
    print(output)
    return 0
