"""Training curves as a table: means of ``metrics.jsonl`` values over step windows, runs side by side.

``csplade curves raw/ adapted/ --window 10 --keys rank acc q_zero`` prints one row per window of steps
and one column per (metric, run), so two runs that differ in one setting - e.g. contrastive training
from the raw model and from the adapted one - can be read against each other step by step.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Sequence

from ..errors import CspladeError
from ..evaluate.tables import markdown_table
from .loop import METRICS_FILE

Records = list[dict[str, float]]
MISSING = "–"
# shown by default, in this order, when a run logs them
DEFAULT_KEYS = ("loss", "rank", "distill", "acc", "q_terms", "d_terms", "q_zero", "d_zero", "clm", "relu",
                "zero_frac", "probe_terms", "probe_zero", "dev_ndcg10")


def read_metrics(run: str | Path) -> Records:
    """The records of a run directory's ``metrics.jsonl`` (or of that file itself), by step."""
    path = Path(run)
    if path.is_dir():
        path = path / METRICS_FILE
    if not path.is_file():
        raise CspladeError(f"{path}: no such metrics file (is {run} a training output directory?)")
    records = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CspladeError(f"{path}:{number}: not JSON ({exc.msg})") from None
        if not isinstance(record, dict) or not isinstance(record.get("step"), int):
            raise CspladeError(f"{path}:{number}: a record needs an integer 'step'")
        records.append(record)
    if not records:
        raise CspladeError(f"{path}: no records")
    return sorted(records, key=lambda r: r["step"])


def default_keys(runs: dict[str, Records]) -> list[str]:
    logged = {key for records in runs.values() for record in records for key in record}
    return [key for key in DEFAULT_KEYS if key in logged]


def window_means(records: Records, window: int, keys: Sequence[str]) -> dict[int, dict[str, float]]:
    """{first step of the window: {key: mean over the window's records that have the key}}."""
    sums: dict[int, dict[str, list[float]]] = {}
    for record in records:
        step = record["step"]
        start = (step - 1) // window * window + 1 if step > 0 else 0  # step 0: its own row
        for key in keys:
            value = record.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                sums.setdefault(start, {}).setdefault(key, []).append(float(value))
    return {start: {k: math.fsum(v) / len(v) for k, v in values.items()} for start, values in sums.items()}


def _cell(value: float | None) -> str:
    if value is None:
        return MISSING
    if value == 0 or 1e-3 <= abs(value) < 1e5:
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    return f"{value:.2e}"


def curves_table(runs: dict[str, Records], window: int, keys: Sequence[str]) -> str:
    """A markdown table: rows are step windows, columns ``key (run)`` for every key and run."""
    if window < 1:
        raise CspladeError(f"--window must be >= 1, got {window}")
    means = {name: window_means(records, window, keys) for name, records in runs.items()}
    last = {name: max(r["step"] for r in records) for name, records in runs.items()}
    starts = sorted({start for table in means.values() for start in table})
    columns = [(key, name) for key in keys for name in runs]
    header = ["steps", *(f"{key} ({name})" if len(runs) > 1 else key for key, name in columns)]
    rows = []
    for start in starts:
        end = start + window - 1 if start else 0
        end = min(end, max(last.values()))
        label = "0" if start == 0 else f"{start}-{end}" if end > start else f"{start}"
        cells = [_cell(means[name].get(start, {}).get(key)) for key, name in columns]
        if all(cell == MISSING for cell in cells):  # e.g. steps without a dev evaluation
            continue
        rows.append([label, *cells])
    return markdown_table(header, rows)
