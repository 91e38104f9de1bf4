"""Build Lucene indexes with Anserini (``python -m pyserini.index.lucene``), checked and atomic.

* ``impact``: a JsonVectorCollection (``csplade encode`` / ``pyserini.encode`` output) indexed with
  ``--impact --pretokenized`` (impacts stored as term frequencies, terms taken verbatim);
* ``bm25``: a JsonCollection corpus (``csplade corpus`` output) with Anserini's default analyzer.

Anserini reads *every* file under its ``--input`` directory, recursively, hidden ones included:
``csplade_config.json``, ``export.json`` and unfinished ``*.partial`` shards too. Only finished
``*.jsonl``/``*.jsonl.gz`` files are therefore handed over (as links in a staging directory), and a
directory with an unfinished shard is refused. Every line is validated first (FILE:LINE errors; a
float, zero or negative weight would otherwise be truncated or dropped silently). Anserini abandons
a file at a bad line and still exits 0, so its ``indexed`` + ``empty`` counters must add up to the
number of lines. The index is built under a temporary name and renamed only on success.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Iterable

from tqdm import tqdm

from .. import options
from ..encode.collection import PARTIAL_SUFFIX, VECTORS_DIR, ExportInfo, collection_dir, unfinished_shards
from ..errors import CspladeError
from ..formats.corpus import read_corpus_files
from ..formats.files import (
    atomic_directory,
    check_output_directory,
    exclusive,
    portable_reference,
    read_lines,
    write_json,
)
from ..formats.vectors import read_vectors
from ..runtime.pyserini_module import run_pyserini

INDEX_INFO = "csplade_index.json"
KINDS = {
    "impact": ["--collection", "JsonVectorCollection", "--generator", "DefaultLuceneDocumentGenerator",
               "--impact", "--pretokenized"],
    "bm25": ["--collection", "JsonCollection", "--generator", "DefaultLuceneDocumentGenerator",
             "--storePositions", "--storeDocvectors", "--storeRaw"],
}
COLLECTION_SUFFIXES = (".jsonl", ".jsonl.gz")
# "indexed:   5,183" (Java prints the counters with the locale's digit grouping)
_COUNTER = re.compile(r"\b(indexed|unindexable|empty|skipped|errors):\s+(\d[\d,.'\u00a0\u202f]*)\s*$")


@dataclass
class IndexInfo:
    """Saved as ``csplade_index.json`` in the index: what was indexed, how, and the counters."""

    kind: str
    source: str
    files: list[str]
    documents: int
    indexed: int
    empty: int
    threads: int
    pyserini: str
    seconds: float
    counters: dict[str, int] = field(default_factory=dict)
    encoder: dict[str, str | None] | None = None  # of a csplade export: name, vocabulary fingerprint

    @classmethod
    def load(cls, index: str | Path) -> "IndexInfo | None":
        """The ``csplade_index.json`` of an index (None for an index ``csplade index`` did not build)."""
        path = Path(index) / INDEX_INFO
        return options.load_json(cls, path) if path.is_file() else None


def collection_files(source: str | Path) -> list[Path]:
    """The finished ``.jsonl``/``.jsonl.gz`` files of a collection file or directory (top level).

    For an export directory of ``csplade encode`` (with ``vectors/``), every shard named by its
    ``export.json`` must be finished.
    """
    source = Path(source)
    if source.is_file():
        return [source]
    if not source.is_dir():
        raise CspladeError(f"{source}: no such file or directory")
    unfinished = unfinished_shards(source) + sorted(source.glob(f"*{PARTIAL_SUFFIX}"))
    if unfinished:
        raise CspladeError(f"{unfinished[0]}: unfinished shard; complete it with `csplade encode` "
                           f"(it resumes) before indexing")
    expected = _expected_shards(source)
    source = collection_dir(source)
    files = sorted(p for p in source.iterdir()
                   if p.is_file() and not p.name.startswith(".") and p.name.endswith(COLLECTION_SUFFIXES))
    if not files:
        raise CspladeError(f"{source}: no .jsonl or .jsonl.gz files to index")
    if expected is not None and len(files) != expected:
        raise CspladeError(f"{source}: {len(files)} of {expected} shards are finished; encode the missing "
                           f"--shard-id values before indexing")
    return files


def _expected_shards(export_dir: Path) -> int | None:
    info = ExportInfo.load(export_dir)
    return None if info is None else info.shard_num


def count_documents(files: list[Path], kind: str, validate: bool = True) -> int:
    """Documents over ``files``; with ``validate``, every line must be a well-formed document (FILE:LINE
    errors: JSON, ids that are missing, not strings, with whitespace or repeated, bad vectors or contents),
    without it the non-empty lines are counted."""
    if not validate:
        return sum(1 for file in files for _, line in read_lines(file) if line.strip())
    if kind == "impact":
        records: Iterable = read_vectors(files)
    else:  # Anserini's JsonCollection reads 'id' and 'contents', nothing else
        records = read_corpus_files(files, id_field="id", text_fields=("contents",))
    return sum(1 for _ in tqdm(records, unit="doc", desc="check collection"))


def encoder_of(source: Path) -> dict[str, str | None] | None:
    """The encoder of a ``csplade encode`` export (or of its ``vectors/``), as its ``export.json`` names it
    (model directories relative to the export) with its vocabulary fingerprint; None for other sources."""
    info = ExportInfo.load(source.parent if source.name == VECTORS_DIR else source)
    return None if info is None else {"name": info.encoder, "vocabulary": info.vocabulary}


def parse_counters(lines: list[str]) -> dict[str, int]:
    """Anserini's final counters (``indexed``, ``empty``, ``errors``...) from its log."""
    counters: dict[str, int] = {}
    for line in lines:
        match = _COUNTER.search(line)
        if match:
            counters[match.group(1)] = int(re.sub(r"\D", "", match.group(2)))
    return counters


def check_counters(counters: dict[str, int], documents: int, source: Path) -> None:
    if "indexed" not in counters:
        raise CspladeError(f"{source}: Anserini's log has no 'indexed:' counter; "
                           f"cannot confirm the index is complete")
    problems = {k: counters.get(k, 0) for k in ("unindexable", "skipped", "errors") if counters.get(k, 0)}
    indexed, empty = counters["indexed"], counters.get("empty", 0)
    if indexed + empty != documents or problems:
        extra = "".join(f", {k} {v}" for k, v in problems.items())
        raise CspladeError(f"{source}: Anserini indexed {indexed} of {documents} documents "
                           f"(empty {empty}{extra}); a file was abandoned at a bad line, see the log above")
    if not indexed:
        raise CspladeError(f"{source}: every one of the {documents} documents is empty (no terms); an index "
                           f"of 0 documents is not kept")


def default_threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def build_index(
    source: str | Path,
    index: str | Path,
    kind: str = "impact",
    threads: int | None = None,
    overwrite: bool = False,
    validate: bool = True,
    quiet: bool = False,
) -> IndexInfo:
    """Index ``source`` into ``index`` (``kind`` = impact or bm25); returns the saved :class:`IndexInfo`."""
    if kind not in KINDS:
        raise CspladeError(f"unknown index kind {kind!r}; choose one of {', '.join(KINDS)}")
    source, index = Path(source), check_output_directory(index)
    with exclusive(index):  # a second `csplade index` to the same path is refused at once
        return _build_index(source, index, kind, threads, overwrite, validate, quiet)


def _build_index(source: Path, index: Path, kind: str, threads: int | None, overwrite: bool, validate: bool,
                 quiet: bool) -> IndexInfo:
    if index.exists() and not overwrite:
        raise CspladeError(f"{index}: already exists (use --overwrite to replace it)")
    files = collection_files(source)
    documents = count_documents(files, kind, validate)
    if not documents:
        raise CspladeError(f"{source}: no documents to index")
    threads = threads or default_threads()
    index.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{index.name}.input-", dir=index.parent))
    try:
        for number, file in enumerate(files):
            (staging / f"{number:05d}-{file.name}").symlink_to(file.resolve())
        with atomic_directory(index, replace=overwrite, marker=INDEX_INFO) as building:
            started = time.monotonic()
            arguments = [*KINDS[kind], "--input", staging, "--index", building, "--threads", threads]
            lines = run_pyserini("pyserini.index.lucene", arguments, quiet=quiet)
            counters = parse_counters(lines)
            check_counters(counters, documents, source)
            info = IndexInfo(kind=kind, source=portable_reference(source, index),
                             files=[f.name for f in files],
                             documents=documents, indexed=counters["indexed"], empty=counters.get("empty", 0),
                             threads=threads, pyserini=version("pyserini"),
                             seconds=round(time.monotonic() - started, 1), counters=counters,
                             encoder=encoder_of(source) if kind == "impact" else None)
            write_json(building / INDEX_INFO, asdict(info))
        return info
    finally:
        shutil.rmtree(staging, ignore_errors=True)
