"""Helpers for the recipes' smoke mode (SMOKE=1): a tiny random encoder and a small slice of a dataset.

    python recipes/smoke.py model DIR
        a 2-layer random Llama with a 300-token byte-level BPE tokenizer (csplade_pyserini/loading/tiny.py) and a
        csplade_config.json with short lengths and 32 terms per document (so that terms have an idf
        above Pyserini's --min-idf 0): loads, trains and encodes like a real model, in seconds.
    python recipes/smoke.py preset FILE MODEL_DIR
        a preset file naming MODEL_DIR (a start for recipes that train on top of a preset).
    python recipes/smoke.py subset --data DIR --output DIR [--queries N] [--docs N]
        every topics.tsv (+ the qrels.txt beside it) and corpus/docs.jsonl below DIR (csplade
        topics/qrels/corpus output), written to the same place below the output directory, cut down to
        the first N judged topics, their qrels, and the first N documents plus every judged document.

Smoke mode proves that a recipe's commands and flags work end to end; its numbers mean nothing.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


def make_model(directory: Path, hidden: int = 32) -> Path:
    """A tiny random encoder directory (written under a temporary name, then renamed)."""
    from csplade_pyserini.formats.files import atomic_directory
    from csplade_pyserini.loading.tiny import save_tiny

    if directory.exists():
        return directory
    with atomic_directory(directory) as staging:
        save_tiny(staging, "llama", hidden=hidden, query_max_length=16, doc_max_length=64, doc_top_k=32)
    return directory


def make_subset(data: Path, output: Path, queries: int, docs: int) -> None:
    """Copy ``data`` into ``output`` cut down: every topics.tsv (+ its qrels.txt) and corpus/docs.jsonl."""
    from csplade_pyserini.formats.files import atomic_text
    from csplade_pyserini.formats.trec import read_qrels, read_topics, write_qrels, write_topics

    judged: set[str] = set()
    for topics_file in sorted(data.rglob("topics.tsv")):
        where = output / topics_file.parent.relative_to(data)
        qrels_file = topics_file.with_name("qrels.txt")
        qrels = read_qrels(qrels_file) if qrels_file.is_file() else None
        topics = read_topics(topics_file)
        kept = [qid for qid in topics if qrels is None or qid in qrels][:queries]
        write_topics({qid: topics[qid] for qid in kept}, where / "topics.tsv")
        if qrels is not None:
            write_qrels({qid: qrels[qid] for qid in kept}, where / "qrels.txt")
            judged.update(doc_id for qid in kept for doc_id in qrels[qid])
    for corpus in sorted(data.rglob("corpus/docs.jsonl")):
        target = output / corpus.relative_to(data)
        with open(corpus, encoding="utf-8") as source, atomic_text(target) as handle:
            for number, line in enumerate(source):
                if number < docs or json.loads(line)["id"] in judged:
                    handle.write(line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    model = commands.add_parser("model", help="write a tiny random encoder directory")
    model.add_argument("directory", type=Path)
    model.add_argument("--hidden", type=int, default=32, help="width (bitsandbytes' 4-bit needs >= 64)")
    preset = commands.add_parser("preset", help="write a preset file naming a model directory")
    preset.add_argument("file", type=Path)
    preset.add_argument("model", type=Path)
    subset = commands.add_parser("subset", help="cut topics, qrels and corpus down to a smoke-sized slice")
    subset.add_argument("--data", type=Path, required=True)
    subset.add_argument("--output", type=Path, required=True)
    subset.add_argument("--queries", type=int, default=20)
    subset.add_argument("--docs", type=int, default=300)
    args = parser.parse_args()
    if args.command == "model":
        print(make_model(args.directory, args.hidden))
    elif args.command == "preset":
        model = os.path.relpath(args.model.resolve(), args.file.parent.resolve())
        args.file.write_text(json.dumps({"model": model, "description": "smoke start"}, indent=2) + "\n")
        print(args.file)
    else:
        make_subset(args.data, args.output, args.queries, args.docs)
        print(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
