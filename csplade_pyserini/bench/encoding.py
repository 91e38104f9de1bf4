"""Encode a subset with a model, timing it: documents in timed slices, queries one at a time."""
from __future__ import annotations

from typing import Any, Sequence

import torch
from tqdm import tqdm

from ..core.model import CspladeModel, SparseVector
from ..formats.corpus import Document
from .timing import median, repeat, timed


def count_tokens(model: CspladeModel, texts: Sequence[str], side: str, batch_size: int = 64) -> int:
    """Tokens the encoder sees for ``texts`` (prefix, specials and ECHO's second copy included)."""
    return sum(model.inputs.build(list(texts[i:i + batch_size]), side).num_tokens
               for i in range(0, len(texts), batch_size))


def encode_documents(model: CspladeModel, documents: list[Document], batch_size: int,
                     slices: int) -> tuple[list[SparseVector], dict[str, Any]]:
    """Float sparse vectors of every document, and the encoding speed.

    After one warm-up batch, the documents are encoded in ``slices`` consecutive slices, each timed:
    the speed is the median over slices (each slice is one repetition on different documents).
    """
    texts = [d.text for d in documents]
    device = str(model.device)
    with torch.inference_mode():
        model.encode(texts[:batch_size], "doc", batch_size)
    bounds = [round(i * len(texts) / slices) for i in range(slices + 1)]
    vectors: list[SparseVector] = []
    docs_per_s, tokens_per_s = [], []
    for start, end in tqdm(list(zip(bounds, bounds[1:])), desc="encode documents", unit="slice"):
        part = texts[start:end]
        if not part:
            continue
        seconds, encoded = timed(lambda part=part: model.encode(part, "doc", batch_size), device)
        vectors.extend(encoded)
        docs_per_s.append(len(part) / seconds)
        tokens_per_s.append(count_tokens(model, part, "doc") / seconds)
    return vectors, {"docs_per_s": median(docs_per_s), "tokens_per_s": median(tokens_per_s),
                     "slices_docs_per_s": docs_per_s, "batch_size": batch_size, "documents": len(texts)}


def encode_queries(model: CspladeModel, topics: dict[str, str], batch_size: int) -> dict[str, SparseVector]:
    """Float sparse vectors of every query, no pruning beyond the model's own query settings."""
    qids = list(topics)
    vectors = model.encode([topics[q] for q in qids], "query", batch_size)
    return dict(zip(qids, vectors))


def query_latency(model: CspladeModel, texts: list[str], repetitions: int) -> dict[str, Any]:
    """Milliseconds per query encoded alone (batch 1, as a search engine gets them): median over
    repetitions of the mean over ``texts``."""
    device = str(model.device)

    def one_pass() -> None:
        for text in texts:
            model.encode([text], "query", 1)

    seconds = repeat(one_pass, repetitions, device)
    per_query = [s * 1000 / len(texts) for s in seconds]
    return {"ms_per_query": median(per_query), "repetitions_ms": per_query, "queries": len(texts)}
