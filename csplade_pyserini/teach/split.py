"""A dev split for choosing settings without touching the test set.

:func:`split_topics` holds out a seeded sample of judged queries (SciFact *train*, or pseudo-queries);
:func:`dev_corpus` builds the documents the dev queries are ranked among during training: every judged
document of a dev query, each dev query's top teacher candidates (hard distractors), then a seeded
random sample of the rest of the corpus up to ``size`` documents.
"""
from __future__ import annotations

import random
from typing import Mapping, Sequence

from ..errors import CspladeError
from ..formats.corpus import Document

Qrels = dict[str, dict[str, int]]


def split_topics(topics: Mapping[str, str], qrels: Qrels, dev_queries: int,
                 seed: int = 0) -> tuple[dict[str, str], dict[str, str]]:
    """(fit topics, dev topics): ``dev_queries`` judged queries drawn with ``seed``, the rest to fit on."""
    judged = [qid for qid in topics if any(rel > 0 for rel in qrels.get(qid, {}).values())]
    if not 0 < dev_queries < len(judged):
        raise CspladeError(f"--dev-queries must be in [1, {len(judged) - 1}] (judged queries: {len(judged)}), "
                           f"got {dev_queries}")
    dev = set(random.Random(f"{seed}:dev").sample(judged, dev_queries))
    return ({q: t for q, t in topics.items() if q not in dev}, {q: t for q, t in topics.items() if q in dev})


def missing_judged(documents: Sequence[Document], dev_qrels: Qrels) -> list[str]:
    """Judged dev documents that the corpus does not hold (they cannot be in the dev corpus), sorted."""
    ids = {d.doc_id for d in documents}
    return sorted({d for judged in dev_qrels.values() for d in judged if d not in ids})


def dev_corpus(documents: Sequence[Document], dev_qrels: Qrels, candidates: Mapping[str, Mapping[str, float]],
               size: int, per_query: int = 10, seed: int = 0) -> list[Document]:
    """Judged documents + the top ``per_query`` candidates of each dev query + random others, corpus order."""
    by_id = {d.doc_id: d for d in documents}
    chosen: dict[str, None] = {}
    for qid, judged in dev_qrels.items():
        chosen.update(dict.fromkeys(d for d in judged if d in by_id))
    for qid in dev_qrels:
        ranked = sorted(candidates.get(qid, {}).items(), key=lambda hit: -hit[1])
        chosen.update(dict.fromkeys(d for d, _ in ranked[:per_query] if d in by_id))
    if not chosen:
        raise CspladeError("no judged dev document is in the corpus")
    rest = [d.doc_id for d in documents if d.doc_id not in chosen]
    fill = max(0, size - len(chosen))
    chosen.update(dict.fromkeys(random.Random(f"{seed}:dev-docs").sample(rest, min(fill, len(rest)))))
    return [d for d in documents if d.doc_id in chosen]
