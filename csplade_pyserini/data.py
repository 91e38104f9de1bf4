"""Readers and writers for the files a Pyserini user has: corpora, topics, qrels, TREC runs.

Every reader reports bad input as ``FILE:LINE: problem`` (a :class:`CspladeError`), never a traceback.
An ir_datasets id (``beir/scifact/test``) is accepted wherever a dataset is named.
"""
from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, TextIO

from .errors import CspladeError

ID_FIELDS = ("id", "_id", "docid", "doc_id")
TEXT_FIELDS = ("title", "text")


@dataclass(frozen=True)
class Document:
    doc_id: str
    text: str


def open_text(path: str | Path, mode: str = "rt") -> TextIO:
    """Open a plain or ``.gz`` text file as UTF-8, with a one-line error if it is missing."""
    path = Path(path)
    if "r" in mode and not path.is_file():
        raise CspladeError(f"{path}: no such file")
    if path.suffix == ".gz":
        return gzip.open(path, mode, encoding="utf-8")  # type: ignore[return-value]
    return open(path, mode, encoding="utf-8")


def corpus_files(path: str | Path) -> list[Path]:
    """The corpus files of a file or directory argument (one-line error if there are none)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and _is_corpus_file(p))
        if not files:
            raise CspladeError(f"{path}: directory holds no .jsonl/.json/.tsv corpus files")
        return files
    if not path.exists():
        raise CspladeError(f"{path}: no such file or directory")
    return [path]


def _is_corpus_file(path: Path) -> bool:
    name = path.name[:-3] if path.name.endswith(".gz") else path.name
    return name.endswith((".jsonl", ".json", ".tsv"))


def document_text(record: dict, where: str, text_fields: tuple[str, ...] | None = None) -> str:
    """``contents`` if present, else the present ``text_fields`` (title, text) joined by a space."""
    if text_fields is None and "contents" in record:
        value = record["contents"]
        if not isinstance(value, str):
            raise CspladeError(f"{where}: field 'contents' is not a string")
        return value
    fields = text_fields or TEXT_FIELDS
    parts = [record[f] for f in fields if isinstance(record.get(f), str) and record[f]]
    if not parts and not any(f in record for f in fields):
        raise CspladeError(f"{where}: no text field (expected 'contents' or one of {', '.join(fields)})")
    return " ".join(parts)


def read_corpus(
    path: str | Path, id_field: str | None = None, text_fields: tuple[str, ...] | None = None
) -> Iterator[Document]:
    """Documents from JSONL (``id``/``_id``/``docid`` + ``contents`` or title/text) or TSV (id, text)."""
    for file in corpus_files(Path(path)):
        tsv = file.name.removesuffix(".gz").endswith(".tsv")
        with open_text(file) as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                where = f"{file}:{number}"
                yield _tsv_document(line, where) if tsv else _json_document(line, where, id_field, text_fields)


def _tsv_document(line: str, where: str) -> Document:
    parts = line.rstrip("\n").split("\t")
    if len(parts) < 2:
        raise CspladeError(f"{where}: expected 'id<TAB>text'")
    return Document(parts[0], " ".join(parts[1:]))


def _json_document(line: str, where: str, id_field: str | None, text_fields) -> Document:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise CspladeError(f"{where}: invalid JSON ({exc.msg})") from None
    if not isinstance(record, dict):
        raise CspladeError(f"{where}: expected a JSON object")
    fields = (id_field,) if id_field else ID_FIELDS
    doc_id = next((record[f] for f in fields if f in record), None)
    if doc_id is None or doc_id == "":
        raise CspladeError(f"{where}: no id field (expected one of {', '.join(fields)})")
    return Document(str(doc_id), document_text(record, where, text_fields))


def count_lines(path: str | Path) -> int:
    """Non-empty lines over a corpus file or directory (for progress bars and shard sizes)."""
    total = 0
    for file in corpus_files(Path(path)):
        with open_text(file) as handle:
            total += sum(1 for line in handle if line.strip())
    return total


# -- topics, qrels and runs (TREC formats) ----------------------------------------------------------
def read_topics(path: str | Path) -> dict[str, str]:
    """``qid<TAB>text`` lines (Pyserini's TSV topics), or JSONL with id + text/contents/query."""
    topics: dict[str, str] = {}
    with open_text(path) as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            if line.lstrip().startswith("{"):
                doc = _json_document(line, where, None, ("query", "text"))
                topics[doc.doc_id] = doc.text
            else:
                qid, sep, text = line.rstrip("\n").partition("\t")
                if not sep:
                    raise CspladeError(f"{where}: expected 'qid<TAB>text'")
                topics[qid] = text
    return topics


def write_topics(topics: dict[str, str], path: str | Path) -> None:
    with atomic_text(path) as handle:
        for qid, text in topics.items():
            handle.write(f"{qid}\t{' '.join(text.split())}\n")


def read_qrels(path: str | Path) -> dict[str, dict[str, int]]:
    """TREC qrels ``qid 0 docid rel`` -> {qid: {docid: rel}}."""
    qrels: dict[str, dict[str, int]] = {}
    with open_text(path) as handle:
        for number, line in enumerate(handle, 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 4:
                raise CspladeError(f"{path}:{number}: expected 'qid iter docid relevance'")
            try:
                qrels.setdefault(parts[0], {})[parts[2]] = int(parts[3])
            except ValueError:
                raise CspladeError(f"{path}:{number}: relevance {parts[3]!r} is not an integer") from None
    return qrels


def write_qrels(qrels: dict[str, dict[str, int]], path: str | Path) -> None:
    with atomic_text(path) as handle:
        for qid, docs in qrels.items():
            for doc_id, rel in docs.items():
                handle.write(f"{qid} 0 {doc_id} {rel}\n")


def read_run(path: str | Path) -> dict[str, list[tuple[str, float]]]:
    """TREC run ``qid Q0 docid rank score tag`` -> {qid: [(docid, score), ...]} best first."""
    run: dict[str, list[tuple[str, float]]] = {}
    with open_text(path) as handle:
        for number, line in enumerate(handle, 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 6:
                raise CspladeError(f"{path}:{number}: expected 'qid Q0 docid rank score tag'")
            try:
                run.setdefault(parts[0], []).append((parts[2], float(parts[4])))
            except ValueError:
                raise CspladeError(f"{path}:{number}: score {parts[4]!r} is not a number") from None
    for hits in run.values():
        hits.sort(key=lambda hit: -hit[1])
    return run


class atomic_text:
    """Write a text file under a temporary name; rename onto ``path`` only on success."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.tmp = self.path.with_name(f".tmp.{self.path.name}")  # keeps the .gz suffix

    def __enter__(self) -> TextIO:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = open_text(self.tmp, "wt")
        return self.handle

    def __exit__(self, exc_type, exc, tb) -> None:
        self.handle.close()
        if exc_type is None:
            self.tmp.replace(self.path)
        else:
            self.tmp.unlink(missing_ok=True)
