"""Search a Lucene index through Pyserini's own command line (``python -m pyserini.search.lucene``).

BM25, or ``--impact --encoder NAME`` for a csplade model, in a subprocess with Java >= 21, so the run is
exactly what a Pyserini user gets from the same command. Pyserini reads a copy of the topics as csplade
read them (a byte-order mark, CR line endings or tabs inside a text would make its own reader search something
else). The run appears under its name only when the search finished.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..errors import CspladeError
from ..formats.files import partial_file
from ..formats.trec import read_topics, write_topics
from ..runtime.pyserini_module import run_pyserini


def search(
    index: str | Path,
    topics: str | Path,
    output: str | Path,
    encoder: str | None = None,
    hits: int = 1000,
    threads: int = 1,
    batch_size: int | None = None,
    min_idf: int | None = None,
    remove_query: bool = False,
    quiet: bool = True,
) -> Path:
    """Write a TREC run for ``topics`` (BM25 without ``encoder``, impact search with one); atomic."""
    output = Path(output)
    partial = partial_file(output)
    try:
        with tempfile.TemporaryDirectory(prefix=".topics-", dir=output.parent) as scratch:
            clean = Path(scratch) / "topics.tsv"
            write_topics(read_topics(topics), clean)
            args: list[object] = ["--index", index, "--topics", clean, "--output", partial, "--hits", hits,
                                  "--threads", threads, "--batch-size", batch_size or max(threads, 1) * 8]
            if encoder is None:
                args.append("--bm25")
            else:
                args += ["--impact", "--encoder", encoder]
                if min_idf is not None:
                    args += ["--min-idf", min_idf]
            if remove_query:
                args.append("--remove-query")
            run_pyserini("pyserini.search.lucene", args, quiet=quiet)
        if not partial.stat().st_size:
            raise CspladeError(f"pyserini.search.lucene wrote no run for {topics}")
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    return output
