"""JsonVectorCollection lines (``{"id", "contents", "vector": {term: impact}}``), as Anserini indexes them.

Anserini stores an impact as the term frequency: floats are truncated, zero and negative weights are
dropped silently, and impacts near 2^31 either crash indexing or make a posting unfindable. So a
vector is accepted only with Lucene-safe terms and Python int impacts in [1, ``MAX_IMPACT``] whose sum
over the document stays below 2^31 (a field's length is an int).
"""
from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Iterable, Iterator

from ..errors import CspladeError
from .corpus import UniqueIds, check_id, json_record
from .files import read_lines

MAX_TERM_CHARS = 255  # Lucene WhitespaceTokenizer's default maximum token length
MAX_IMPACT = 10**8  # the largest impact Anserini was seen to index and find (1e9 crashes its indexer)
_UNSAFE_CATEGORIES = {"Zs", "Zl", "Zp", "Cc", "Cs"}


def unsafe_char(char: str) -> bool:
    """Characters a term cannot hold as they are (Anserini splits on whitespace; ``%`` escapes)."""
    return char == "%" or char.isspace() or unicodedata.category(char) in _UNSAFE_CATEGORIES

MAX_DOCUMENT_IMPACT = 2**31 - 1


def check_vector(vector: dict, where: str) -> None:
    """Raise unless every key is a safe non-empty term and every weight an int in [1, MAX_IMPACT]."""
    total = 0
    for term, weight in vector.items():
        if not isinstance(term, str) or not term or len(term) > MAX_TERM_CHARS or \
                any(char != "%" and unsafe_char(char) for char in term):
            raise CspladeError(f"{where}: term {term!r} is not a Lucene-safe term")
        if type(weight) is not int or not 1 <= weight <= MAX_IMPACT:
            raise CspladeError(f"{where}: weight {weight!r} of term {term!r} is not an int in "
                               f"[1, {MAX_IMPACT}] (Lucene drops or cannot find larger impacts)")
        total += weight
    if total > MAX_DOCUMENT_IMPACT:
        raise CspladeError(f"{where}: the impacts add up to {total}, more than a Lucene field holds "
                           f"(2^31 - 1)")


def read_vectors(files: Iterable[Path], validate: bool = True) -> Iterator[tuple[str, dict, str]]:
    """(id, vector, "FILE:LINE") of every record; with ``validate``, ids are unique and vectors safe."""
    seen = UniqueIds("document")
    for file in files:
        for number, line in read_lines(file):
            if not line.strip():
                continue
            where = f"{file}:{number}"
            record = json_record(line, where)
            vector = record.get("vector")
            if not isinstance(vector, dict):
                raise CspladeError(f"{where}: field 'vector' is missing or not an object")
            doc_id = check_id(record.get("id"), where) if validate else str(record.get("id"))
            if validate:
                seen.add(doc_id, where)
                check_vector(vector, where)
            yield doc_id, vector, where
