"""``csplade report``: one table of named runs: metrics, index size, terms per doc/query, encode time.

Each ``--run`` is a list of KEY=VALUE fields: ``name``, ``run`` (TREC run) and ``qrels`` are required;
``index`` (its size on disk), ``export`` (a ``csplade encode`` output or any JsonVectorCollection: terms
per document and encode time; with ``csplade encode``'s stats also documents per second, the encoder's
weight memory and the encoding process's peak RSS), ``query-vectors`` (JSONL of query vectors: terms per
query), ``encode-seconds`` and ``metrics`` (comma-separated, default: --metrics) are optional. A row of a
run that could not be made is ``name=... skipped=REASON``. ``--relative-to NAME`` adds each column's ratio
to row NAME (metrics: the difference). Example:

    csplade report --json report.json \\
        --run name=csplade run=runs/csplade.trec qrels=qrels.txt index=indexes/csplade export=vectors \\
              query-vectors=queries.jsonl \\
        --run name=bm25 run=runs/bm25.trec qrels=qrels.txt index=indexes/bm25
"""
from __future__ import annotations

import argparse

FIELDS = ("name", "run", "qrels", "metrics", "index", "export", "query-vectors", "encode-seconds", "skipped")


def register(commands) -> None:
    parser = commands.add_parser("report", help="summarise runs: metrics, index size, sparsity, encode time",
                                 description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", dest="runs", action="append", nargs="+", required=True, metavar="KEY=VALUE",
                        help=f"one row; keys: {', '.join(FIELDS)}")
    parser.add_argument("--metrics", nargs="+", default=["nDCG@10", "R@100"],
                        help="nDCG@k, R@k (R@1k), MRR@k, MAP, P@k or trec_eval measures "
                             "(default: %(default)s)")
    parser.add_argument("--average", action="store_true", help="add a row with the mean of each metric")
    parser.add_argument("--json", help="also write the report as JSON to this file")
    parser.add_argument("--relative-to", metavar="NAME",
                        help="add ratios (and metric differences) to the row of this name")
    parser.set_defaults(run=run)


def parse_run(fields: list[str], default_metrics: list[str]):
    """A RunSpec from ``KEY=VALUE`` strings (one-line errors for unknown or missing keys)."""
    from pathlib import Path

    from ..errors import CspladeError
    from ..evaluate.report import RunSpec

    values: dict[str, str] = {}
    for item in fields:
        key, sep, value = item.partition("=")
        if not sep or key not in FIELDS:
            raise CspladeError(f"--run: {item!r} is not KEY=VALUE with KEY one of {', '.join(FIELDS)}")
        if key in values:
            raise CspladeError(f"--run: {key} given twice")
        values[key] = value
    if values.get("name") and "skipped" in values:
        return RunSpec(name=values["name"], run=Path(), qrels=Path(), skipped=values["skipped"] or "not run")
    missing = [key for key in ("name", "run", "qrels") if not values.get(key)]
    if missing:
        raise CspladeError(f"--run {' '.join(fields)}: missing {', '.join(missing)}")
    seconds = _seconds(values["encode-seconds"]) if "encode-seconds" in values else None

    def path(key: str) -> Path | None:
        return Path(values[key]) if values.get(key) else None

    metrics = [m for m in values["metrics"].split(",") if m] if values.get("metrics") else default_metrics
    return RunSpec(name=values["name"], run=Path(values["run"]), qrels=Path(values["qrels"]),
                   metrics=tuple(metrics), index=path("index"), export=path("export"),
                   query_vectors=path("query-vectors"), encode_seconds=seconds)


def _seconds(text: str) -> float:
    """``encode-seconds``: a finite number >= 0."""
    from ..errors import CspladeError

    try:
        seconds = float(text)
        if 0 <= seconds < float("inf"):
            return seconds
    except ValueError:
        pass
    raise CspladeError(f"--run: encode-seconds={text!r} is not a number of seconds >= 0")


def run(args: argparse.Namespace) -> int:
    from ..evaluate.report import average, markdown_table, parse_metric, summarise, write_json

    for metric in args.metrics:
        parse_metric(metric)  # a bad metric fails before any evaluation
    from ..errors import CspladeError

    specs = [parse_run(fields, args.metrics) for fields in args.runs]
    if args.relative_to and args.relative_to not in [spec.name for spec in specs]:
        raise CspladeError(f"--relative-to {args.relative_to!r}: no --run has that name")
    summaries = [summarise(spec) for spec in specs]
    averaged = average(summaries) if args.average else None
    print(markdown_table(summaries, averaged, args.relative_to))
    if args.json:
        write_json(summaries, averaged, args.json)
    return 0
