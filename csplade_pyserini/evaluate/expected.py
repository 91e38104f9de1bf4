"""Reproducibility as data: the scores a recipe is expected to print (``recipes/expected.yaml``), checked
against a report (``csplade report --json``), in the spirit of Pyserini's 2CR YAML files.

``recipes/expected.yaml`` maps a recipe name to its ``command``, ``dataset`` and, per mode (``full``: the
real run on this project's machine; ``smoke``: ``SMOKE=1``), a list of rows: ``run`` (the start of a
report row's name), expected metric values (``nDCG@10: 0.6789``) and a ``tolerance``.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import CspladeError

MODES = ("full", "smoke")


def load_expected(path: str | Path, recipe: str, mode: str) -> list[dict[str, Any]]:
    """The expected rows of ``recipe`` in ``mode``."""
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CspladeError(f"{path}: cannot read expected scores ({str(exc).splitlines()[0]})") from None
    entry = data.get(recipe) if isinstance(data, dict) else None
    if not isinstance(entry, dict):
        raise CspladeError(f"{path}: no recipe {recipe!r} (recipes: {', '.join(data or {})})")
    rows = entry.get(mode)
    if not isinstance(rows, list) or not all(isinstance(r, dict) and "run" in r for r in rows):
        raise CspladeError(f"{path}: {recipe}.{mode} must be a list of rows with a 'run' name")
    return rows


def check(report: str | Path, rows: list[dict[str, Any]]) -> list[str]:
    """One line per expected score, ``OK`` or ``MISMATCH`` (value vs expected +- tolerance)."""
    try:
        runs = json.loads(Path(report).read_text())["runs"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CspladeError(f"{report}: not a csplade report ({exc})") from None
    lines = []
    for row in rows:
        found = next((r for r in runs if r["name"].startswith(row["run"])), None)
        if found is None:
            lines.append(f"MISMATCH {row['run']}: no such row in {report}")
            continue
        tolerance = float(row.get("tolerance", 0.0))
        for metric, expected in row.items():
            if metric in ("run", "tolerance"):
                continue
            value = found["scores"].get(metric)
            good = value is not None and abs(value - float(expected)) <= tolerance + 1e-12
            shown = "missing" if value is None else f"{value:.4f}"
            lines.append(f"{'OK' if good else 'MISMATCH'} {found['name']} {metric}: {shown} "
                         f"(expected {float(expected):.4f} +- {tolerance:g})")
    return lines
