"""Teacher-score files: one scored candidate list per query, for distillation.

Two formats are read:

* JSONL (what ``csplade teach`` writes; naver/splade's ``{qid: {docid: score}}`` one query per line):
  ``{"qid": "q1", "scores": {"d3": 12.5, "d9": 11.0}}``;
* a TREC run with scores (``qid Q0 docid rank score tag``), e.g. a Pyserini run of any retriever.

:func:`check_teacher` ties a file to the training data: every query id must be a training query and
every document id a corpus document, or it is a ``FILE:LINE`` error, never a silent skip.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Iterable, Mapping

from ..errors import CspladeError
from .files import atomic_text, read_lines
from .trec import read_run

Scores = dict[str, dict[str, float]]


def write_teacher(scores: Mapping[str, Mapping[str, float]], path: str | Path) -> int:
    """Write one ``{"qid", "scores"}`` line per query with candidates, best document first (a query the
    teacher found nothing for has no line: it has nothing to teach); returns the count of lines."""
    written = 0
    with atomic_text(path) as handle:
        for qid, hits in scores.items():
            if hits:
                ranked = dict(sorted(hits.items(), key=lambda hit: -hit[1]))
                handle.write(json.dumps({"qid": qid, "scores": ranked}, ensure_ascii=False) + "\n")
                written += 1
    return written


def read_teacher(path: str | Path) -> tuple[Scores, dict[str, str]]:
    """(``{qid: {docid: score}}``, ``{qid: "FILE:LINE"}``) from a teacher JSONL or a TREC run."""
    path = Path(path)
    first = next((line for _, line in read_lines(path) if line.strip()), "")
    if not first:
        raise CspladeError(f"{path}: no teacher scores in this file")
    if first.lstrip().startswith("{"):
        return _read_jsonl(path)
    run = read_run(path)
    return ({qid: dict(hits) for qid, hits in run.items()}, {qid: str(path) for qid in run})


def _read_jsonl(path: Path) -> tuple[Scores, dict[str, str]]:
    scores: Scores = {}
    where: dict[str, str] = {}
    for number, line in read_lines(path):
        if not line.strip():
            continue
        at = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CspladeError(f"{at}: invalid JSON ({exc.msg})") from None
        if not isinstance(record, dict) or not isinstance(record.get("qid"), (str, int)) \
                or isinstance(record.get("qid"), bool):
            raise CspladeError(f"{at}: expected an object with a string 'qid'")
        hits = record.get("scores")
        if not isinstance(hits, dict) or not hits:
            raise CspladeError(f"{at}: field 'scores' must be a non-empty object of docid: score")
        qid = str(record["qid"])
        if qid in scores:
            raise CspladeError(f"{at}: query {qid!r} appears a second time (first at {where[qid]})")
        for docid, score in hits.items():
            if isinstance(score, bool) or not isinstance(score, (int, float)) or not math.isfinite(score):
                raise CspladeError(f"{at}: score of document {docid!r} is not a finite number: {score!r}")
        scores[qid] = {str(d): float(s) for d, s in hits.items()}
        where[qid] = at
    return scores, where


def check_teacher(scores: Scores, where: Mapping[str, str], queries: Iterable[str], documents: Iterable[str],
                  source: str) -> None:
    """One-line error for a query id outside ``queries`` or a document id outside ``documents``."""
    known_queries, known_docs = set(queries), set(documents)
    for qid, hits in scores.items():
        if qid not in known_queries:
            raise CspladeError(f"{where.get(qid, source)}: query {qid!r} is not a training query")
        unknown = next((d for d in hits if d not in known_docs), None)
        if unknown is not None:
            raise CspladeError(f"{where.get(qid, source)}: document {unknown!r} (query {qid!r}) is not in "
                               f"the corpus")
