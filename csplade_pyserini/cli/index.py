"""``csplade index VECS IDX``: Anserini impact index of a JsonVectorCollection (``--bm25``: of a corpus).

Wraps ``python -m pyserini.index.lucene`` with the right flags, indexes only finished shards,
validates every line, builds under a temporary name and fails unless Anserini indexed every line.
"""
from __future__ import annotations

import argparse
import sys


def register(commands) -> None:
    parser = commands.add_parser("index", help="build a Lucene index with Anserini (impact, or --bm25)",
                                 description=__doc__)
    parser.add_argument("source", help="JsonVectorCollection directory or file (with --bm25: corpus JSONL "
                                       "directory or file with id + contents)")
    parser.add_argument("index", help="index directory to create")
    parser.add_argument("--bm25", action="store_true", help="build a plain BM25 index of a corpus instead")
    parser.add_argument("--threads", type=int, help="indexing threads (default: min(4, CPUs))")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing index")
    parser.add_argument("--no-validate", dest="validate", action="store_false",
                        help="skip the line-by-line check (the document count is still checked)")
    parser.add_argument("--quiet", action="store_true", help="hide Anserini's log")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..index.lucene import build_index

    info = build_index(args.source, args.index, kind="bm25" if args.bm25 else "impact", threads=args.threads,
                       overwrite=args.overwrite, validate=args.validate, quiet=args.quiet)
    print(f"{args.index}: {info.indexed} documents indexed ({info.kind}, {info.seconds} s)", file=sys.stderr)
    if info.empty:
        print(f"note: {info.empty} documents have no terms and cannot be retrieved", file=sys.stderr)
    print(args.index)
    return 0
