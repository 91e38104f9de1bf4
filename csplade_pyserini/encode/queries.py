"""Encode topics into query vectors: Pyserini's pre-encoded query JSONL.

One ``{"id", "contents", "vector"}`` object per topic, ``vector`` = ``{term: int impact}`` exactly as
the query encoder of ``pyserini.search.lucene --impact --encoder MODEL`` makes it. Pyserini reads such a
file with ``--encoder queries.jsonl`` (its ``CachedDataQueryEncoder`` looks vectors up by the topic
text), so queries can be encoded once, on a GPU, and searched without loading the model.
"""
from __future__ import annotations

import json
from pathlib import Path

from tqdm import tqdm

from ..core.model import CspladeModel
from ..formats.files import atomic_text


def encode_topics(model: CspladeModel, texts: dict[str, str], output: str | Path,
                  batch_size: int = 32) -> int:
    """Write the query vectors of ``texts`` ({qid: text}) to ``output`` (atomic); returns how many."""
    ids = list(texts)
    with atomic_text(output) as handle, tqdm(total=len(ids), unit="query", desc="encode queries") as progress:
        for start in range(0, len(ids), batch_size * 8):
            block = ids[start: start + batch_size * 8]
            vectors = model.encode_impacts([texts[qid] for qid in block], "query", batch_size)
            for qid, vector in zip(block, vectors):
                record = {"id": qid, "contents": texts[qid], "vector": vector}
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            progress.update(len(block))
    return len(ids)
