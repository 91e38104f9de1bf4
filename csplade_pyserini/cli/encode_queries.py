"""``csplade encode-queries``: topics -> query vectors (Pyserini's pre-encoded query JSONL).

Search with them through ``python -m pyserini.search.lucene --impact --encoder QUERIES.jsonl`` (no model
is loaded there), or count their terms with ``csplade report``. Encoding on a GPU
(``--device cuda``) is the fast way to run large topic sets such as MS MARCO dev.
"""
from __future__ import annotations

import argparse
import sys

from .common import add_model_options, load_from_args


def register(commands) -> None:
    parser = commands.add_parser("encode-queries", description=__doc__,
                                 help="encode topics into a query-vector JSONL for Pyserini")
    parser.add_argument("--topics", required=True, help="topics: qid<TAB>text TSV (csplade topics) or JSONL")
    parser.add_argument("--output", required=True, help="query-vector JSONL to write")
    parser.add_argument("--batch-size", type=int, default=32)
    add_model_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..formats.trec import read_topics
    from ..errors import CspladeError
    from ..encode.queries import encode_topics

    topics = read_topics(args.topics)  # a bad topics file fails before the model loads
    if not topics:
        raise CspladeError(f"{args.topics}: no topics")
    count = encode_topics(load_from_args(args), topics, args.output, args.batch_size)
    print(f"{args.output}: {count} queries", file=sys.stderr)
    print(args.output)
    return 0
