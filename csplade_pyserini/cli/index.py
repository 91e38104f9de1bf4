"""``csplade index VECS IDX``: Anserini impact index of a JsonVectorCollection (``--bm25``: of a corpus), or
with ``--engine seismic`` a Seismic index of it (approximate search: ``csplade search --engine seismic``).

Wraps ``python -m pyserini.index.lucene`` with the right flags, indexes only finished shards,
validates every line, builds under a temporary name and fails unless Anserini indexed every line.
"""
from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass

from .. import options
from ..errors import CspladeError
from ..index.seismic import SeismicKnobs
from ..options import option
from .common import at_least

ENGINES = ("lucene", "seismic")


@dataclass
class IndexSettings(SeismicKnobs):
    source: str = option("", "JsonVectorCollection directory or file (with --bm25: corpus JSONL directory or "
                             "file with id + contents)", positional=True)
    index: str = option("", "index directory to create", positional=True)
    engine: str = option("lucene", "lucene (Anserini) or seismic (approximate, pip install pyseismic-lsr)",
                         choices=ENGINES)
    bm25: bool = option(False, "build a plain BM25 index of a corpus instead")
    threads: int | None = option(None, "indexing threads (default: min(4, CPUs))")
    overwrite: bool = option(False, "replace an existing index")
    validate_lines: bool = option(True, "check every line first (--no-validate: only count the lines; the "
                                        "document count is still checked)", flags=("--validate",))
    quiet: bool = option(False, "hide Anserini's log")

    def validate(self) -> None:
        if self.threads is not None:
            at_least(self, "threads", 1)
        if self.engine == "seismic":
            if self.bm25:
                raise CspladeError("--bm25 builds a Lucene index; Seismic indexes vectors")
            super().validate()

    def knobs(self) -> SeismicKnobs:
        return SeismicKnobs(**{f.name: getattr(self, f.name) for f in dataclasses.fields(SeismicKnobs)})


def register(commands) -> None:
    parser = commands.add_parser("index", help="build a Lucene index with Anserini (impact, or --bm25)",
                                 description=__doc__)
    options.add_arguments(parser, IndexSettings)
    parser.set_defaults(run=lambda args: run(options.from_args(IndexSettings, args)))


def run(settings: IndexSettings) -> int:
    from ..index.lucene import build_index
    from ..index.seismic import build_seismic_index

    if settings.engine == "seismic":
        seismic = build_seismic_index(settings.source, settings.index, settings.knobs(), settings.overwrite)
        print(f"{settings.index}: {seismic.documents} documents indexed (seismic, {seismic.terms} terms, "
              f"{seismic.seconds} s)", file=sys.stderr)
        print(settings.index)
        return 0
    info = build_index(settings.source, settings.index, kind="bm25" if settings.bm25 else "impact",
                       threads=settings.threads, overwrite=settings.overwrite,
                       validate=settings.validate_lines, quiet=settings.quiet)
    print(f"{settings.index}: {info.indexed} documents indexed ({info.kind}, {info.seconds} s)",
          file=sys.stderr)
    if info.empty:
        print(f"note: {info.empty} documents have no terms and cannot be retrieved", file=sys.stderr)
    print(settings.index)
    return 0
