"""``csplade search``: a TREC run for topics, from a Lucene impact index (through Pyserini's own
``python -m pyserini.search.lucene --impact --encoder``) or a Seismic index (approximate).

Queries are encoded one at a time by the same query encoder Pyserini uses (an inference-free encoder
such as ``csplade-doc`` needs no language model). With ``--engine seismic``, ``--query-cut`` and
``--heap-factor`` trade recall for speed (``--heap-factor 1`` and a large ``--query-cut`` scan the
most).
"""
from __future__ import annotations

import sys
from dataclasses import dataclass

from .. import options
from ..errors import CspladeError
from ..index.seismic import SeismicSearchKnobs
from ..options import option
from .common import at_least, require
from .index import ENGINES


@dataclass
class SearchSettings(SeismicSearchKnobs):
    index: str = option("", "index directory (csplade index)")
    topics: str = option("", "topics: qid<TAB>text TSV (csplade topics) or JSONL")
    encoder: str = option("csplade", "query encoder: preset name, model directory or Hugging Face id",
                          flags=("--model",))
    output: str = option("", "TREC run to write")
    engine: str = option("lucene", "lucene (Pyserini) or seismic", choices=ENGINES)
    hits: int = option(1000, "documents per query")

    def validate(self) -> None:
        require(self, "index", "topics", "output")
        at_least(self, "hits", 1)
        super().validate()


def register(commands) -> None:
    parser = commands.add_parser("search", help="search a Lucene or Seismic index into a TREC run",
                                 description=__doc__)
    options.add_arguments(parser, SearchSettings)
    parser.set_defaults(run=lambda args: run(options.from_args(SearchSettings, args)))


def run(settings: SearchSettings) -> int:
    from ..formats.files import check_not_input, check_output_file, exclusive
    from ..formats.trec import read_topics

    check_output_file(settings.output)
    check_not_input(settings.output, topics=settings.topics)
    topics = read_topics(settings.topics)
    if not topics:
        raise CspladeError(f"{settings.topics}: no topics")
    with exclusive(settings.output):
        if settings.engine == "lucene":
            from ..search.lucene import search

            search(settings.index, settings.topics, settings.output, encoder=settings.encoder,
                   hits=settings.hits)
        else:
            from ..plugin.encoders import CspladeQueryEncoder
            from ..search.seismic import SeismicSearcher, write_run

            searcher = SeismicSearcher(settings.index)  # a missing or broken index fails before the encoder
            encoder = CspladeQueryEncoder(settings.encoder)
            write_run(searcher, {qid: encoder.encode(text) for qid, text in topics.items()}, settings.output,
                      settings.hits, settings.query_cut, settings.heap_factor)
    print(f"{settings.output}: {len(topics)} queries", file=sys.stderr)
    print(settings.output)
    return 0
