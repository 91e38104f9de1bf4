"""``csplade bench-search``: BM25 and each encoder's export through Lucene and Seismic, one table.

    csplade bench-search --systems csplade-doc=WORK/encoded csplade=OTHER/encoded --topics T --qrels Q \\
        --bm25-index WORK/indexes/bm25 --workdir runs/bench-search --output runs/bench-search/table.md

Each system is an encoder name (its query encoder, as Pyserini loads it) and the export its documents
were encoded into (``csplade encode``). Indexes are built once into ``--workdir`` (Anserini, Seismic),
every search is single-threaded, and the ratios are against BM25 in the same run
(:mod:`csplade_pyserini.bench.engines`).
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass

from .. import options
from ..errors import CspladeError
from ..index.seismic import SeismicKnobs, SeismicSearchKnobs
from ..options import option
from .common import at_least, require


@dataclass
class BenchSearchSettings(SeismicKnobs, SeismicSearchKnobs):
    systems: list[str] = option([], "ENCODER=EXPORT pairs", nargs="+")
    topics: str = option("", "topics (qid<TAB>text)")
    qrels: str = option("", "qrels")
    bm25_index: str = option("", "a BM25 index of the same corpus (csplade index --bm25)")
    workdir: str = option("runs/bench-search", "indexes and runs")
    output: str = option("", "the markdown table to write (the JSON rows beside it, .json)")
    repetitions: int = option(3, "timed passes over the topics (the median is reported)")

    def validate(self) -> None:
        require(self, "systems", "topics", "qrels", "bm25_index", "output")
        at_least(self, "repetitions", 1)
        SeismicKnobs.validate(self)
        SeismicSearchKnobs.validate(self)
        for item in self.systems:
            if "=" not in item:
                raise CspladeError(f"--systems: expected ENCODER=EXPORT, got {item!r}")


def register(commands) -> None:
    parser = commands.add_parser("bench-search", help="BM25, Lucene and Seismic on finished exports: one table",
                                 description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_arguments(parser, BenchSearchSettings)
    parser.set_defaults(run=lambda args: run(options.from_args(BenchSearchSettings, args)))


def run(settings: BenchSearchSettings) -> int:
    import dataclasses
    import platform
    from importlib.metadata import version
    from pathlib import Path

    from ..bench.engines import compare_engines, engines_markdown, rows_json
    from ..formats.files import write_json, write_text
    from ..formats.trec import read_topics

    topics = read_topics(settings.topics)
    systems = dict(item.split("=", 1) for item in settings.systems)
    build = SeismicKnobs(**{f.name: getattr(settings, f.name) for f in dataclasses.fields(SeismicKnobs)})
    search = settings.search_knobs()
    rows = compare_engines({name: Path(path) for name, path in systems.items()}, topics, Path(settings.qrels),
                           Path(settings.bm25_index), Path(settings.workdir), build, search, settings.repetitions)
    meta = {"topics": f"{settings.topics} ({len(topics)} queries)", "machine": platform.processor() or "cpu",
            "threads": "one search thread; query encoding one query at a time",
            "seismic build": dataclasses.asdict(build), "seismic search": dataclasses.asdict(search),
            "software": f"pyserini {version('pyserini')}, pyseismic-lsr {version('pyseismic-lsr')}"}
    table = engines_markdown(rows, meta)
    output = Path(settings.output)
    write_text(output, table + "\n")
    write_json(output.with_suffix(".json"), {"rows": rows_json(rows), "meta": meta})
    print(table)
    return 0
