"""A fixed, stated subset of a test collection, small enough to encode on a CPU within the budget.

The first ``queries`` judged queries (in topic order) are kept while all their relevant documents fit
into ``docs``; the rest of ``docs`` is a seeded sample of the other documents. The subset is written
as files Pyserini reads: ``corpus/docs.jsonl`` (id + contents), ``topics.tsv`` and ``qrels.txt``.
"""
from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import CspladeError
from ..formats.corpus import Document, read_corpus
from ..formats.files import atomic_text
from ..formats.irds import CORPUS_FILE, export_corpus, export_qrels, export_topics
from ..formats.trec import read_qrels, read_topics, write_qrels, write_topics


@dataclass
class Subset:
    name: str
    directory: Path
    queries: int
    docs: int
    relevant_docs: int
    sampled_docs: int
    seed: int
    topics: dict[str, str] = field(default_factory=dict, repr=False)
    documents: list[Document] = field(default_factory=list, repr=False)

    @property
    def corpus_dir(self) -> Path:
        return self.directory / "corpus"

    @property
    def topics_file(self) -> Path:
        return self.directory / "topics.tsv"

    @property
    def qrels_file(self) -> Path:
        return self.directory / "qrels.txt"

    def describe(self) -> dict:
        data = asdict(self)
        for key in ("topics", "documents", "directory"):
            data.pop(key)
        return data


def export_dataset(dataset_id: str, directory: Path) -> Path:
    """The dataset's corpus, topics and qrels as files (kept in ``directory`` and reused)."""
    done = directory / "complete.json"
    if done.is_file() and json.loads(done.read_text()).get("dataset") == dataset_id:
        return directory
    export_corpus(dataset_id, directory / "corpus")
    export_topics(dataset_id, directory / "topics.tsv")
    export_qrels(dataset_id, directory / "qrels.txt")
    done.write_text(json.dumps({"dataset": dataset_id}) + "\n")
    return directory


def make_subset(source: Path, out_dir: Path, name: str, max_queries: int, max_docs: int, seed: int) -> Subset:
    """Select and write a subset of the exported dataset in ``source`` (see the module docstring)."""
    topics = read_topics(source / "topics.tsv")
    qrels = read_qrels(source / "qrels.txt")
    documents = list(read_corpus(source / "corpus" / CORPUS_FILE))
    known = {d.doc_id for d in documents}
    chosen: list[str] = []
    relevant: set[str] = set()
    for qid in [q for q in topics if q in qrels][:max_queries]:
        judged = {d for d, rel in qrels[qid].items() if rel > 0 and d in known}
        if not judged:
            continue
        if len(relevant | judged) > max_docs:
            break
        chosen.append(qid)
        relevant |= judged
    if not chosen:
        raise CspladeError(f"{source}: no judged query whose relevant documents fit into --docs {max_docs}")
    others = sorted(known - relevant)
    sampled = set(random.Random(seed).sample(others, min(len(others), max_docs - len(relevant))))
    kept = [d for d in documents if d.doc_id in relevant or d.doc_id in sampled]
    subset = Subset(name, out_dir, len(chosen), len(kept), len(relevant), len(sampled), seed,
                    {q: topics[q] for q in chosen}, kept)
    with atomic_text(subset.corpus_dir / CORPUS_FILE) as handle:
        for doc in kept:
            handle.write(json.dumps({"id": doc.doc_id, "contents": doc.text}, ensure_ascii=False) + "\n")
    write_topics(subset.topics, subset.topics_file)
    write_qrels({q: qrels[q] for q in chosen}, subset.qrels_file)
    return subset
