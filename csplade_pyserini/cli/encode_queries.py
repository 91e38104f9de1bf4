"""``csplade encode-queries``: topics -> query vectors (Pyserini's pre-encoded query JSONL).

Search with them through ``python -m pyserini.search.lucene --impact --encoder QUERIES.jsonl`` (no model
is loaded there), or count their terms with ``csplade report``. Encoding on a GPU
(``--device cuda``) is the fast way to run large topic sets such as MS MARCO dev.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from .. import options
from ..options import option
from .common import EncoderOptions, at_least, require


@dataclass
class EncodeQueriesSettings(EncoderOptions):
    topics: str = option("", "topics: qid<TAB>text TSV (csplade topics) or JSONL")
    output: str = option("", "query-vector JSONL to write")
    batch_size: int = option(32, "queries per forward pass")

    def validate(self) -> None:
        super().validate()
        require(self, "topics", "output")
        at_least(self, "batch_size", 1)


def register(commands) -> None:
    parser = commands.add_parser("encode-queries", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 help="encode topics into a query-vector JSONL for Pyserini")
    options.add_arguments(parser, EncodeQueriesSettings)
    parser.set_defaults(run=lambda args: run(options.from_args(EncodeQueriesSettings, args)))


def run(settings: EncodeQueriesSettings) -> int:
    from ..encode.queries import encode_topics
    from ..errors import CspladeError
    from ..formats.files import check_not_input, check_output_file, exclusive
    from ..formats.trec import read_topics

    check_output_file(settings.output)
    check_not_input(settings.output, topics=settings.topics)
    with exclusive(settings.output):  # a second writer is refused at once
        topics = read_topics(settings.topics)  # a bad topics file fails before the model loads
        if not topics:
            raise CspladeError(f"{settings.topics}: no topics")
        count = encode_topics(settings.load(), topics, settings.output, settings.batch_size)
    print(f"{settings.output}: {count} queries", file=sys.stderr)
    print(settings.output)
    return 0
