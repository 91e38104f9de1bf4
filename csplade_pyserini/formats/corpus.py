"""Corpus files: JSONL (``id``/``_id``/``docid`` + ``contents``, or ``title`` + ``text``) or TSV (id, text).

Every reader reports bad input as ``FILE:LINE: problem`` (a :class:`CspladeError`), never a traceback:
invalid JSON or UTF-8, a text field that is not a string, and ids that are missing, empty, contain
whitespace (a TAB breaks every TREC run line), are neither strings nor integers, or repeat.
"""
from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..errors import CspladeError
from .files import atomic_text, read_lines

ID_FIELDS = ("id", "_id", "docid", "doc_id")
TEXT_FIELDS = ("title", "text")


@dataclass(frozen=True)
class Document:
    doc_id: str
    text: str


MAX_ID_BYTES = 32766  # Lucene's longest indexed term: an id field longer than that fails at index time


def check_id(value: Any, where: str, what: str = "document") -> str:
    """A document or query id as a string: a non-empty string or integer without whitespace."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise CspladeError(f"{where}: {what} id {value!r} is not a string or an integer")
    text = unicode_text(str(value), where, f"{what} id")
    if not text:
        raise CspladeError(f"{where}: empty {what} id")
    if any(char.isspace() for char in text):
        raise CspladeError(f"{where}: {what} id {text!r} contains whitespace")
    if len(text.encode("utf-8")) > MAX_ID_BYTES:
        raise CspladeError(f"{where}: {what} id of {len(text.encode('utf-8'))} bytes {text[:40]!r}... is longer "
                           f"than Lucene stores ({MAX_ID_BYTES} bytes)")
    return text


class UniqueIds:
    """Remembers where each id was first seen; a repeat is a one-line error naming both places."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.first: dict[str, str] = {}

    def add(self, identifier: str, where: str) -> None:
        previous = self.first.setdefault(identifier, where)
        if previous is not where:
            raise CspladeError(f"{where}: {self.what} id {identifier!r} repeats (first at {previous})")


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
    return name.endswith((".jsonl", ".json", ".tsv")) and not name.startswith(".")


def document_text(record: dict, where: str, text_fields: tuple[str, ...] | None = None) -> str:
    """``contents`` if present, else the present ``text_fields`` (title, text) joined by a space.

    Every field used must be a string (or null / absent, for one of several fields)."""
    if text_fields is None and "contents" in record:
        value = record["contents"]
        if not isinstance(value, str):
            raise CspladeError(f"{where}: field 'contents' is not a string")
        return unicode_text(value, where, "contents")
    fields = text_fields or TEXT_FIELDS
    if not any(f in record for f in fields):
        expected = fields if text_fields else ("contents", *fields)
        raise CspladeError(f"{where}: no text field (expected {' or '.join(map(repr, expected))})")
    parts = []
    for name in fields:
        value = record.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise CspladeError(f"{where}: field {name!r} is not a string")
        if value:
            parts.append(unicode_text(value, where, name))
    return " ".join(parts)


def is_blank(text: str) -> bool:
    """Nothing but whitespace and invisible format characters (zero-width spaces and joiners, BOMs)."""
    return all(char.isspace() or unicodedata.category(char) == "Cf" for char in text)


def unicode_text(value: str, where: str, field: str) -> str:
    """``value`` unless it holds a lone surrogate (JSON allows ``"\\ud800"``; no tokenizer or UTF-8 file does)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CspladeError(f"{where}: field {field!r} is not valid Unicode (a lone surrogate "
                           f"{exc.object[exc.start:exc.end]!r} at character {exc.start})") from None
    return value


def read_corpus(path: str | Path, id_field: str | None = None,
                text_fields: tuple[str, ...] | None = None) -> Iterator[Document]:
    """Documents of a corpus file or directory, in order; ids are checked and must be unique."""
    return read_corpus_files(corpus_files(Path(path)), id_field, text_fields)


def read_corpus_files(files: Iterable[Path], id_field: str | None = None,
                      text_fields: tuple[str, ...] | None = None) -> Iterator[Document]:
    """Documents of corpus files (JSONL or, by name, TSV), in order; ids are unique over all of them."""
    seen = UniqueIds("document")
    for file in files:
        tsv = file.name.removesuffix(".gz").endswith(".tsv")
        for number, line in read_lines(file):
            if not line.strip():
                continue
            where = f"{file}:{number}"
            document = (_tsv_document(line, where) if tsv
                        else _json_document(line, where, id_field, text_fields))
            seen.add(document.doc_id, where)
            yield document


def _tsv_document(line: str, where: str) -> Document:
    parts = line.rstrip("\n").split("\t")
    if len(parts) < 2:
        raise CspladeError(f"{where}: expected 'id<TAB>text'")
    return Document(check_id(parts[0], where), " ".join(parts[1:]))


def json_record(line: str, where: str) -> dict:
    """One JSON object per line."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise CspladeError(f"{where}: invalid JSON ({exc.msg})") from None
    if not isinstance(record, dict):
        raise CspladeError(f"{where}: expected a JSON object")
    return record


def _json_document(line: str, where: str, id_field: str | None, text_fields) -> Document:
    record = json_record(line, where)
    fields = (id_field,) if id_field else ID_FIELDS
    name = next((f for f in fields if f in record), None)
    if name is None:
        raise CspladeError(f"{where}: no id field (expected one of {', '.join(fields)})")
    return Document(check_id(record[name], where), document_text(record, where, text_fields))


def write_corpus(documents: Iterable[Document], path: str | Path) -> int:
    """A JSONL corpus (``{"id", "contents"}`` per line), atomically; returns the number of documents."""
    count = 0
    with atomic_text(path) as handle:
        for document in documents:
            record = {"id": document.doc_id, "contents": document.text}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    return count
