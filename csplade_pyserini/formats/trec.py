"""TREC files: topics (``qid<TAB>text``, Pyserini's TSV, or JSONL), qrels and runs.

Query ids are checked where they enter, as document ids are (non-empty, no whitespace, no repeats);
every malformed line is a ``FILE:LINE`` error.
"""
from __future__ import annotations

import math
from pathlib import Path

from ..errors import CspladeError
from .corpus import UniqueIds, check_id, document_text, is_blank, json_record
from .files import atomic_text, read_lines

Run = dict[str, list[tuple[str, float]]]


def read_topics(path: str | Path) -> dict[str, str]:
    """``qid<TAB>text`` lines (Pyserini's TSV topics), or JSONL with an id and query/text."""
    topics: dict[str, str] = {}
    seen = UniqueIds("query")
    for number, line in read_lines(path):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        if line.lstrip().startswith("{"):
            record = json_record(line, where)
            name = next((f for f in ("id", "_id", "qid", "query_id") if f in record), None)
            if name is None:
                raise CspladeError(f"{where}: no id field (expected id, _id, qid or query_id)")
            qid = check_id(record[name], where, "query")
            text = document_text(record, where, ("query",) if "query" in record else ("text",))
        else:
            raw, sep, text = line.rstrip("\n").partition("\t")
            if not sep or "\t" in text:
                found = f", got {line.count(chr(9)) + 1} tab-separated fields (Pyserini would search only the " \
                        "second)" if sep else ""
                raise CspladeError(f"{where}: expected 'qid<TAB>text'{found}")
            qid = check_id(raw, where, "query")
        if is_blank(text):  # an empty query would be an empty vector, and Pyserini fails on it
            raise CspladeError(f"{where}: query {qid!r} has no text")
        seen.add(qid, where)
        topics[qid] = text
    return topics


def write_topics(topics: dict[str, str], path: str | Path) -> None:
    with atomic_text(path) as handle:
        for qid, text in topics.items():
            handle.write(f"{qid}\t{' '.join(text.split())}\n")


def read_qrels(path: str | Path) -> dict[str, dict[str, int]]:
    """TREC qrels ``qid 0 docid rel`` -> {qid: {docid: rel}}."""
    qrels: dict[str, dict[str, int]] = {}
    for number, line in read_lines(path):
        parts = line.split()
        if not parts:
            continue
        where = f"{path}:{number}"
        if len(parts) != 4:
            raise CspladeError(f"{where}: expected 'qid iter docid relevance', got {len(parts)} fields")
        try:
            relevance = int(parts[3])
        except ValueError:
            raise CspladeError(f"{where}: relevance {parts[3]!r} is not an integer") from None
        if parts[2] in qrels.get(parts[0], {}):
            raise CspladeError(f"{where}: document {parts[2]!r} is judged twice for query {parts[0]!r}")
        qrels.setdefault(parts[0], {})[parts[2]] = relevance
    return qrels


def write_qrels(qrels: dict[str, dict[str, int]], path: str | Path) -> None:
    with atomic_text(path) as handle:
        for qid, docs in qrels.items():
            for doc_id, rel in docs.items():
                handle.write(f"{qid} 0 {doc_id} {rel}\n")


def read_run(path: str | Path) -> Run:
    """TREC run ``qid Q0 docid rank score tag`` -> {qid: [(docid, score), ...]} best first."""
    run: Run = {}
    listed: set[tuple[str, str]] = set()
    for number, line in read_lines(path):
        parts = line.split()
        if not parts:
            continue
        where = f"{path}:{number}"
        if len(parts) != 6:
            raise CspladeError(f"{where}: expected 'qid Q0 docid rank score tag', got {len(parts)} fields")
        try:
            score = float(parts[4])
        except ValueError:
            raise CspladeError(f"{where}: score {parts[4]!r} is not a number") from None
        if not math.isfinite(score):
            raise CspladeError(f"{where}: score {parts[4]!r} is not a finite number")
        if not parts[3].lstrip("-").isdigit():
            raise CspladeError(f"{where}: rank {parts[3]!r} is not an integer")
        if (parts[0], parts[2]) in listed:
            raise CspladeError(f"{where}: document {parts[2]!r} is listed twice for query {parts[0]!r}")
        listed.add((parts[0], parts[2]))
        run.setdefault(parts[0], []).append((parts[2], score))
    if not run:
        raise CspladeError(f"{path}: no run lines in this file")
    for hits in run.values():
        hits.sort(key=lambda hit: -hit[1])
    return run
