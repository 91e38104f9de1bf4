"""Summarise named runs as one table: effectiveness (trec_eval) next to index size, sparsity and time.

Each :class:`RunSpec` names a TREC run and its qrels, and optionally the index it was searched on, the
``csplade encode`` export the index was built from and the query vectors it was searched with.
:func:`summarise` turns it into a :class:`RunSummary`:

* metrics through ``python -m pyserini.eval.trec_eval -c`` (:func:`parse_metric`: ``nDCG@10``,
  ``R@100``, ``R@1k``, ``MRR@10`` (``-M 10 -m recip_rank``), ``MAP``, or a raw measure such as
  ``P.20``);
* index size: the bytes of every file in the index directory;
* mean non-zero terms per document: from the export's ``stats/`` (written by ``csplade encode``), else
  by reading its vectors (any JsonVectorCollection, e.g. ``pyserini.encode`` output);
* mean non-zero terms per query: from a query-vector JSONL (``csplade encode-queries``, or Pyserini's
  pre-encoded queries: ``{"id", "contents", "vector"}`` per line);
* encode time: given, else the sum of the export's shard times.

No torch is imported: the report reads files and runs Pyserini's trec_eval.
"""
from __future__ import annotations

import gzip
import json
import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from tqdm import tqdm

from ..encode.collection import collection_dir, shard_stats
from ..errors import CspladeError
from ..formats.files import atomic_text
from . import tables
from .trec_eval import trec_eval

DEFAULT_METRICS = ("nDCG@10", "R@100")
MISSING = "–"


@dataclass(frozen=True)
class Metric:
    """A table column: its label, the trec_eval measure (``-m``), its output key and ``-M`` depth."""

    label: str
    measure: str
    depth: int | None = None

    @property
    def key(self) -> str:
        return self.measure.replace(".", "_")


_SHORT = {"ndcg": "ndcg_cut", "r": "recall", "recall": "recall", "p": "P", "map": "map_cut"}


def parse_metric(spec: str) -> Metric:
    """``nDCG@10`` / ``R@100`` / ``R@1k`` / ``MRR@10`` / ``MAP`` / ``P@20``, or a trec_eval measure."""
    match = re.fullmatch(r"([A-Za-z]+)@(\d+)(k?)", spec)
    if match:
        name, cutoff = match.group(1).lower(), int(match.group(2)) * (1000 if match.group(3) else 1)
        if cutoff < 1:
            raise CspladeError(f"metric {spec!r}: the cutoff must be >= 1")
        if name == "mrr":
            return Metric(spec, "recip_rank", depth=cutoff)
        if name in _SHORT:
            return Metric(spec, f"{_SHORT[name]}.{cutoff}")
    elif spec.lower() == "mrr":
        return Metric(spec, "recip_rank")
    elif spec.lower() == "map":
        return Metric(spec, "map")
    elif re.fullmatch(r"[A-Za-z_]+(\.\d+)?", spec):
        return Metric(spec, spec)
    raise CspladeError(f"unknown metric {spec!r}; use nDCG@k, R@k (R@1k), MRR@k, MAP, P@k or a trec_eval "
                       f"measure such as ndcg_cut.10")


@dataclass
class RunSpec:
    """One row of the report."""

    name: str
    run: Path
    qrels: Path
    metrics: tuple[str, ...] = DEFAULT_METRICS
    index: Path | None = None
    export: Path | None = None
    query_vectors: Path | None = None
    encode_seconds: float | None = None
    skipped: str | None = None  # why this row's run could not be made


@dataclass
class RunSummary:
    name: str
    scores: dict[str, float]  # metric label -> value
    index_bytes: int | None = None
    documents: int | None = None
    doc_terms: float | None = None
    queries: int | None = None
    query_terms: float | None = None
    encode_seconds: float | None = None
    encode_shards: int | None = None
    docs_per_s: float | None = None  # documents encoded per second (resumed documents left out)
    weights_mib: float | None = None
    peak_rss_mib: float | None = None
    machine: str | None = None  # where the export was encoded (several: "mixed")
    skipped: str | None = None
    files: dict[str, str] = field(default_factory=dict)


def evaluate(qrels: str | Path, run: str | Path, metrics: Sequence[Metric]) -> dict[str, float]:
    """``{label: value}``: one trec_eval call for the plain measures, one per ``-M`` depth."""
    scores: dict[str, float] = {}
    plain = [m for m in metrics if m.depth is None]
    if plain:
        values = trec_eval(qrels, run, measure_arguments(plain))
        scores.update({m.label: _value(values, m, run) for m in plain})
    for depth in sorted({m.depth for m in metrics if m.depth is not None}):
        deep = [m for m in metrics if m.depth == depth]
        values = trec_eval(qrels, run, measure_arguments(deep), depth=depth)
        scores.update({m.label: _value(values, m, run) for m in deep})
    return {m.label: scores[m.label] for m in metrics}


def measure_arguments(metrics: Sequence[Metric]) -> list[str]:
    """trec_eval ``-m`` values: cut-offs of one measure joined (``recall.10,1000``: a second ``-m recall.N``
    would replace the first)."""
    cutoffs: dict[str, list[str]] = {}
    for metric in metrics:
        name, _, cutoff = metric.measure.partition(".")
        cutoffs.setdefault(name, [])
        if cutoff and cutoff not in cutoffs[name]:
            cutoffs[name].append(cutoff)
    return [f"{name}.{','.join(values)}" if values else name for name, values in cutoffs.items()]


def _value(values: dict[str, float], metric: Metric, run: str | Path) -> float:
    if metric.key not in values:
        raise CspladeError(f"trec_eval gave no {metric.measure} for {run} (metric {metric.label!r})")
    return values[metric.key]


def directory_bytes(path: str | Path) -> int:
    """Total size of the files below ``path``."""
    path = Path(path)
    if not path.is_dir():
        raise CspladeError(f"{path}: no such index directory")
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def document_terms(export: str | Path) -> tuple[int, int, float | None, int]:
    """(documents, non-zero terms, encode seconds or None, shards) of an export or JsonVectorCollection."""
    stats = shard_stats(export)
    if stats is not None:
        seconds = sum(s.seconds for s in stats)
        return sum(s.documents for s in stats), sum(s.terms for s in stats), seconds, len(stats)
    source = collection_dir(export)
    files = [source] if source.is_file() else sorted(
        p for p in source.iterdir() if p.is_file() and p.name.endswith((".jsonl", ".jsonl.gz")))
    if not files:
        raise CspladeError(f"{export}: no JsonVectorCollection files (.jsonl, .jsonl.gz)")
    documents, terms = _count_vectors(tqdm(files, desc="count document terms", unit="file"))
    return documents, terms, None, len(files)


def query_terms(path: str | Path) -> tuple[int, int]:
    """(queries, non-zero terms) of a query-vector JSONL file."""
    return _count_vectors([Path(path)])


def _count_vectors(files: Iterable[Path]) -> tuple[int, int]:
    records = terms = 0
    for file in files:
        if not file.is_file():
            raise CspladeError(f"{file}: no such file")
        opener = gzip.open if file.name.endswith(".gz") else open
        with opener(file, "rt", encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    vector = json.loads(line)["vector"]
                    terms += sum(1 for weight in vector.values() if weight > 0)
                except (ValueError, KeyError, TypeError, AttributeError):
                    raise CspladeError(f"{file}:{number}: expected a JSON object with a 'vector' "
                                       f"object of term weights") from None
                records += 1
    return records, terms


def summarise(spec: RunSpec) -> RunSummary:
    """Everything the report shows about one run."""
    if spec.skipped is not None:
        return RunSummary(spec.name, {}, skipped=spec.skipped)
    metrics = [parse_metric(m) for m in spec.metrics]
    for path in (spec.run, spec.qrels, spec.query_vectors):
        if path is not None and not path.is_file():
            raise CspladeError(f"{path}: no such file")
    for path in (spec.index, spec.export):
        if path is not None and not path.exists():
            raise CspladeError(f"{path}: no such {'index' if path == spec.index else 'export'} directory")
    summary = RunSummary(spec.name, evaluate(spec.qrels, spec.run, metrics),
                         files={"run": str(spec.run), "qrels": str(spec.qrels)})
    if spec.index is not None:
        summary.index_bytes = directory_bytes(spec.index)
        summary.files["index"] = str(spec.index)
    if spec.export is not None:
        documents, terms, seconds, shards = document_terms(spec.export)
        summary.documents, summary.encode_shards = documents, shards
        summary.doc_terms = terms / documents if documents else 0.0
        summary.encode_seconds = seconds
        summary.files["export"] = str(spec.export)
        _add_resources(summary, shard_stats(spec.export))
    if spec.query_vectors is not None:
        queries, terms = query_terms(spec.query_vectors)
        summary.queries, summary.query_terms = queries, (terms / queries if queries else 0.0)
        summary.files["query_vectors"] = str(spec.query_vectors)
    if spec.encode_seconds is not None:
        summary.encode_seconds = spec.encode_seconds
    return summary


def _add_resources(summary: RunSummary, stats) -> None:
    """Documents per second, weight memory and peak RSS of an export's ``csplade encode`` stats."""
    if not stats:
        return
    fresh = sum(s.documents - s.resumed for s in stats)
    seconds = sum(s.seconds for s in stats)
    summary.docs_per_s = fresh / seconds if seconds > 0 and fresh > 0 else None
    summary.weights_mib = max((s.weights_mib for s in stats if s.weights_mib is not None), default=None)
    summary.peak_rss_mib = max((s.peak_rss_mib for s in stats if s.peak_rss_mib is not None), default=None)
    machines = {s.machine for s in stats if s.machine is not None}
    summary.machine = machines.pop() if len(machines) == 1 else "mixed" if machines else None


def average(summaries: Sequence[RunSummary]) -> dict[str, float]:
    """Mean of every metric that all runs have."""
    labels = [label for label in summaries[0].scores if all(label in s.scores for s in summaries)] \
        if summaries else []
    return {label: sum(s.scores[label] for s in summaries) / len(summaries) for label in labels}


def human_bytes(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000  # type: ignore[assignment]
    raise AssertionError


def human_seconds(seconds: float) -> str:
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


OTHER_MACHINE = "other machine"
RESOURCES = (  # (column, RunSummary field, format): the columns besides the metrics
    ("index", "index_bytes", lambda v: human_bytes(v)),
    ("terms/doc", "doc_terms", lambda v: f"{v:.1f}"),
    ("terms/query", "query_terms", lambda v: f"{v:.1f}"),
    ("docs/s", "docs_per_s", lambda v: f"{v:.1f}"),
    ("weights", "weights_mib", lambda v: f"{v:.0f} MiB"),
    ("peak RSS", "peak_rss_mib", lambda v: f"{v:.0f} MiB"),
)


def markdown_table(summaries: Sequence[RunSummary], averaged: dict[str, float] | None = None,
                   relative_to: str | None = None) -> str:
    """The report as a Markdown table; columns nobody has are left out, missing cells are '–'. With
    ``relative_to`` (a row's name), each metric gets its difference and each resource its ratio to it."""
    labels = list(dict.fromkeys(label for s in summaries for label in s.scores))
    resources = [r for r in RESOURCES if any(getattr(s, r[1]) is not None for s in summaries)]
    reference = next((s for s in summaries if s.name == relative_to), None)
    header = ["run"]
    for label in labels:
        header += [label] + ([f"Δ {label}"] if reference else [])
    for title, _, _ in resources:
        header += [title] + ([f"{title} vs {relative_to}"] if reference and title not in ("terms/doc", "terms/query")
                             else [])
    encode = any(s.encode_seconds is not None for s in summaries)
    header += ["encode"] * encode + ["not run"] * any(s.skipped for s in summaries)
    rows = []
    for s in summaries:
        row = [s.name]
        for label in labels:
            row.append(_score(s.scores.get(label)))
            if reference:
                row.append(_delta(s.scores.get(label), reference.scores.get(label)))
        for title, name, shown in resources:
            value = getattr(s, name)
            row.append(MISSING if value is None else shown(value))
            if reference and title not in ("terms/doc", "terms/query"):
                comparable = name != "docs_per_s" or _same_machine(s, reference)
                row.append(_ratio(value, getattr(reference, name)) if comparable else OTHER_MACHINE)
        row += [_encode_cell(s) or MISSING] * encode
        if "not run" in header:
            row.append(s.skipped or "")
        rows.append(row)
    if averaged is not None:
        cells = [cell for label in labels for cell in [_score(averaged.get(label))] + [MISSING] * bool(reference)]
        rows.append(["average", *cells] + [MISSING] * (len(header) - 1 - len(cells)))
    return tables.markdown_table(header, rows)


def _delta(value: float | None, reference: float | None) -> str:
    return MISSING if value is None or reference is None else f"{value - reference:+.4f}"


def _same_machine(summary: RunSummary, reference: RunSummary) -> bool:
    """Speeds compare only when both exports were encoded on one machine (unknown counts as the same)."""
    if summary.machine is None or reference.machine is None:
        return True
    return summary.machine == reference.machine != "mixed"


def _ratio(value: float | None, reference: float | None) -> str:
    return MISSING if not value or not reference else f"{value / reference:.2f}x"


def _score(value: float | None) -> str:
    return MISSING if value is None or math.isnan(value) else f"{value:.4f}"


def _encode_cell(summary: RunSummary) -> str | None:
    if summary.encode_seconds is None:
        return None
    shards = f" (sum of {summary.encode_shards} shards)" if (summary.encode_shards or 1) > 1 else ""
    return human_seconds(summary.encode_seconds) + shards


def write_json(summaries: Sequence[RunSummary], averaged: dict[str, float] | None, path: str | Path) -> None:
    report = {"runs": [asdict(s) for s in summaries]}
    if averaged is not None:
        report["average"] = averaged
    with atomic_text(path) as handle:
        handle.write(json.dumps(report, indent=2) + "\n")
