"""``csplade topics|qrels|corpus DATASET_ID``: ir_datasets collections as files Pyserini reads."""
from __future__ import annotations

import argparse
import sys

EXAMPLE = "beir/scifact/test"


def register(commands) -> None:
    topics = commands.add_parser(
        "topics", help="write a dataset's queries as Pyserini TSV topics",
        description=f"Write qid<TAB>text topics of an ir_datasets id (e.g. {EXAMPLE}).")
    topics.add_argument("dataset", help="ir_datasets id")
    topics.add_argument("--output", required=True, help="topics file (.tsv)")
    topics.set_defaults(run=run_topics)

    qrels = commands.add_parser(
        "qrels", help="write a dataset's relevance judgements as TREC qrels",
        description=f"Write 'qid 0 docid rel' qrels of an ir_datasets id (e.g. {EXAMPLE}).")
    qrels.add_argument("dataset", help="ir_datasets id")
    qrels.add_argument("--output", required=True, help="qrels file")
    qrels.set_defaults(run=run_qrels)

    corpus = commands.add_parser("corpus",
                                 help="write a dataset's (or a local corpus's) documents as corpus JSONL",
                                 description="Write DIR/docs.jsonl ({id, contents}; contents = title + ' ' + "
                                             "text) for `csplade encode` and `csplade index --bm25`, from an "
                                             "ir_datasets id or a local JSONL/TSV corpus (title/text fields "
                                             "joined, ids checked).")
    corpus.add_argument("dataset", help="ir_datasets id, or a local corpus file or directory")
    corpus.add_argument("--output", required=True, help="output directory")
    corpus.set_defaults(run=run_corpus)


def run_topics(args: argparse.Namespace) -> int:
    from ..formats.irds import export_topics

    count = export_topics(args.dataset, args.output)
    print(f"{args.output}: {count} topics", file=sys.stderr)
    return 0


def run_qrels(args: argparse.Namespace) -> int:
    from ..formats.irds import export_qrels

    count = export_qrels(args.dataset, args.output)
    print(f"{args.output}: {count} judgements", file=sys.stderr)
    return 0


def run_corpus(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..errors import CspladeError
    from ..formats.corpus import read_corpus, write_corpus
    from ..formats.irds import CORPUS_FILE, export_corpus

    if not Path(args.dataset).exists():
        print(export_corpus(args.dataset, args.output))
        return 0
    path = Path(args.output) / CORPUS_FILE
    count = write_corpus(read_corpus(args.dataset), path)
    if not count:
        path.unlink()
        raise CspladeError(f"{args.dataset}: no documents")
    print(f"{path}: {count} documents", file=sys.stderr)
    print(path)
    return 0
