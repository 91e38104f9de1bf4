"""Contrastive training data: queries with positives and a pool of hard negatives, and the documents.

Sources: an ir_datasets id (qrels-based like ``beir/scifact/train``, or docpairs like
``msmarco-passage/train/triples-small``), or local files (queries + corpus + qrels, triples TSV with
texts or ids). Hard negatives come from a TREC run (``--hard-negatives run.bm25.trec``, or
``--hard-negatives scoreddocs`` for the dataset's own ranking): its top documents that are not positives.

Bad or inconsistent data is never a crash and never silently dropped: every skipped item is counted in
a :class:`DataReport`, printed before training and saved as ``data_report.json``.
"""
from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping

from ..errors import CspladeError
from ..formats.corpus import read_corpus
from ..formats.files import read_lines
from ..formats.irds import doc_text, load_dataset
from ..formats.teacher import check_teacher, read_teacher
from ..formats.trec import read_qrels, read_run, read_topics
from .config import TrainConfig

SCOREDDOCS = "scoreddocs"


@dataclass
class Example:
    """One training query: its text, its positive documents, its hard-negative pool (best first) and,
    for distillation, the teacher's score of each candidate."""

    query: str
    positives: list[str]
    negatives: list[str] = field(default_factory=list)
    teacher: dict[str, float] | None = None

    def teacher_score(self, doc_id: str) -> float:
        """The teacher's score; a random filler document gets the lowest score of this query's list."""
        assert self.teacher is not None
        return self.teacher.get(doc_id, min(self.teacher.values()))


@dataclass
class DataReport:
    """Counts of what was read, and of everything skipped or patched up (with the reason)."""

    counts: Counter = field(default_factory=Counter)

    def add(self, what: str, n: int = 1) -> None:
        if n:
            self.counts[what] += n

    def lines(self) -> list[str]:
        return [f"{what}: {n}" for what, n in self.counts.items()]

    def save(self, directory: str | Path) -> Path:
        path = Path(directory) / "data_report.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(dict(self.counts), indent=2) + "\n")
        return path


class DocStore:
    """Document texts by id: a dict, or a lookup function (an ir_datasets docs store)."""

    def __init__(self, texts: Mapping[str, str] | None = None,
                 lookup: Callable[[list[str]], dict[str, str]] | None = None) -> None:
        self.texts = texts
        self.lookup = lookup

    def get_many(self, ids: list[str]) -> dict[str, str]:
        if self.texts is not None:
            return {i: self.texts[i] for i in ids if i in self.texts}
        return self.lookup(ids)  # type: ignore[misc]

    def known(self, ids: Iterable[str], chunk: int = 10000) -> set[str]:
        """The subset of ``ids`` that exist."""
        ids = list(dict.fromkeys(ids))
        if self.texts is not None:
            return {i for i in ids if i in self.texts}
        found: set[str] = set()
        for start in range(0, len(ids), chunk):
            found.update(self.get_many(ids[start: start + chunk]))
        return found

    def all_ids(self) -> list[str]:
        return list(self.texts or {})


@dataclass
class TrainingData:
    examples: list[Example]
    docs: DocStore
    random_pool: list[str]  # documents that fill a short hard-negative pool (the corpus, when in memory)
    report: DataReport


# -- loading --------------------------------------------------------------------------------------------
def load_training_data(config: TrainConfig) -> TrainingData:
    """Read, cross-check and assemble the training examples named by ``config``."""
    report = DataReport()
    if config.data:
        queries, docs, positives, pairs = _from_irds(config, report)
    elif config.triples and not (config.queries and config.corpus):
        queries, docs, positives, pairs = _from_text_triples(config.triples, report)
    else:
        queries = read_topics(config.queries) if config.queries else {}
        docs = DocStore({d.doc_id: d.text for d in read_corpus(config.corpus)})
        if config.triples:
            positives, pairs = _id_triples(config.triples)
        else:
            positives, pairs = _positives(_qrel_lines(read_qrels(config.qrels)), config.min_relevance,
                                          report), {}
    report.add("queries read", len(queries))
    examples, hard = _examples(queries, docs, positives, pairs, report)
    if config.teacher_scores:
        _add_teacher(config.teacher_scores, queries, hard, docs, not config.hard_negatives,
                     config.negatives_depth, report)
    if config.hard_negatives:
        source = config.hard_negatives
        run = _scoreddocs(config) if source == SCOREDDOCS else read_run(source)
        _add_run_negatives(examples, hard, run, docs, config.negatives_depth, report)
    if config.max_queries is not None and len(examples) > config.max_queries:
        report.add("queries left out by max_queries", len(examples) - config.max_queries)
        examples = examples[: config.max_queries]
    if not examples:
        raise CspladeError("no usable training query: every query lacks text or a known positive "
                           f"({'; '.join(report.lines())})")
    pool = docs.all_ids() if docs.texts is not None else sorted(
        {d for e in examples for d in e.positives + e.negatives})  # a store too big to list: the docs in use
    short = sum(1 for e in examples if len(e.negatives) < config.negatives)
    report.add(f"queries with fewer than {config.negatives} hard negatives (random documents fill in)", short)
    report.add("training queries", len(examples))
    return TrainingData(examples, docs, pool, report)


def _qrel_lines(qrels: dict[str, dict[str, int]]) -> Iterator[tuple[str, str, int]]:
    for qid, judged in qrels.items():
        for doc_id, rel in judged.items():
            yield qid, doc_id, rel


def _positives(qrels: Iterable[tuple[str, str, int]], min_relevance: int,
               report: DataReport) -> dict[str, list[str]]:
    positives: dict[str, list[str]] = {}
    for qid, doc_id, rel in qrels:
        if rel >= min_relevance:
            positives.setdefault(qid, []).append(doc_id)
        else:
            positives.setdefault(qid, [])
            report.add("qrels below min_relevance (not positives)")
    return positives


def _examples(queries: dict[str, str], docs: DocStore, positives: dict[str, list[str]],
              pairs: dict[str, list[str]], report: DataReport) -> tuple[list[Example], dict[str, Example]]:
    """Cross-check qrels/pairs against queries and documents; keep queries with text and a known positive."""
    referenced = [d for ds in positives.values() for d in ds] + [d for ds in pairs.values() for d in ds]
    known = docs.known(referenced)
    examples, by_qid = [], {}
    for qid, docs_of_q in positives.items():
        if qid not in queries:
            report.add("judged queries with no query text (skipped)")
            continue
        good = [d for d in dict.fromkeys(docs_of_q) if d in known]
        report.add("positives naming unknown documents (dropped)", len(set(docs_of_q)) - len(good))
        if not good:
            report.add("queries with no known positive (skipped)")
            continue
        negatives = [d for d in dict.fromkeys(pairs.get(qid, [])) if d in known and d not in good]
        report.add("pair negatives naming unknown documents (dropped)",
                   sum(1 for d in set(pairs.get(qid, [])) if d not in known))
        example = Example(queries[qid], good, negatives)
        examples.append(example)
        by_qid[qid] = example
    report.add("queries with no judgement (unused)", sum(1 for q in queries if q not in positives))
    return examples, by_qid


def _add_run_negatives(examples: list[Example], by_qid: dict[str, Example],
                       run: dict[str, list[tuple[str, float]]], docs: DocStore, depth: int,
                       report: DataReport) -> None:
    """Each query's hard-negative pool: its top ``depth`` run documents that are not positives."""
    report.add("run queries not among the training queries (ignored)", sum(1 for q in run if q not in by_qid))
    candidates = {qid: [d for d, _ in hits] for qid, hits in run.items() if qid in by_qid}
    known = docs.known(d for hits in candidates.values() for d in hits)
    missing = 0
    for qid, hits in candidates.items():
        example = by_qid[qid]
        positives = set(example.positives)
        pool = list(dict.fromkeys(example.negatives))
        for doc_id in hits:
            if doc_id not in known:
                missing += 1
            elif doc_id not in positives and doc_id not in pool and len(pool) < depth:
                pool.append(doc_id)
        example.negatives = pool
    report.add("run entries naming unknown documents (dropped)", missing)
    report.add("training queries absent from the run", sum(1 for q in by_qid if q not in candidates))


def _add_teacher(path: str, queries: Mapping[str, str], by_qid: dict[str, Example], docs: DocStore,
                 as_negatives: bool, depth: int, report: DataReport) -> None:
    """Teacher scores for every training query (and its positives); their top candidates as negatives."""
    scores, where = read_teacher(path)
    named = {d for hits in scores.values() for d in hits}
    check_teacher(scores, where, queries, docs.known(named), path)
    for qid, example in by_qid.items():
        hits = scores.get(qid)
        if hits is None:
            raise CspladeError(f"{path}: no teacher scores for training query {qid!r}")
        missing = next((d for d in example.positives if d not in hits), None)
        if missing is not None:
            raise CspladeError(f"{where[qid]}: no teacher score for the positive document {missing!r} of query "
                               f"{qid!r} (score positives with csplade teach --qrels)")
        example.teacher = hits
        if as_negatives:
            ranked = sorted(hits, key=lambda d: -hits[d])
            example.negatives = [d for d in ranked if d not in example.positives][:depth]
    report.add("teacher-scored training queries", len(by_qid))
    report.add("teacher queries not among the training queries (ignored)", sum(1 for q in scores if q not in by_qid))


def _triple_fields(path: str, layout: str) -> Iterator[list[str]]:
    """The three TAB-separated fields of each non-blank line of a triples file."""
    for number, line in read_lines(path):
        if not line.strip():
            continue
        parts = line.rstrip("\n").split("\t")
        if len(parts) != 3:
            raise CspladeError(f"{path}:{number}: expected '{layout}'")
        yield parts


def _id_triples(path: str) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    positives: dict[str, list[str]] = {}
    negatives: dict[str, list[str]] = {}
    for parts in _triple_fields(path, "qid<TAB>positive id<TAB>negative id"):
        positives.setdefault(parts[0], []).append(parts[1])
        negatives.setdefault(parts[0], []).append(parts[2])
    return positives, negatives


def _from_text_triples(path: str, report: DataReport):
    """``query<TAB>positive<TAB>negative`` texts, grouped by query; documents get ids by text."""
    queries: dict[str, str] = {}
    texts: dict[str, str] = {}
    doc_ids: dict[str, str] = {}
    positives: dict[str, list[str]] = {}
    negatives: dict[str, list[str]] = {}
    for parts in _triple_fields(path, "query<TAB>positive<TAB>negative"):
        if not all(p.strip() for p in parts):
            report.add("triples with an empty text (skipped)")
            continue
        qid = queries.setdefault(parts[0], f"q{len(queries)}")
        ids = [doc_ids.setdefault(t, f"d{len(doc_ids)}") for t in parts[1:]]
        for doc_id, text in zip(ids, parts[1:]):
            texts[doc_id] = text
        positives.setdefault(qid, []).append(ids[0])
        negatives.setdefault(qid, []).append(ids[1])
    return {qid: text for text, qid in queries.items()}, DocStore(texts), positives, negatives


def _from_irds(config: TrainConfig, report: DataReport):
    dataset = load_dataset(config.data)
    if not (dataset.has_queries() and dataset.has_docs()):
        raise CspladeError(f"ir_datasets {config.data!r} has no queries or no documents to train on")
    queries = {q.query_id: q.default_text() for q in dataset.queries_iter()}
    docs = _irds_docs(dataset)
    pairs: dict[str, list[str]] = {}
    if dataset.has_qrels() and (config.hard_negatives or not dataset.has_docpairs()):
        positives = _positives(((q.query_id, q.doc_id, q.relevance) for q in dataset.qrels_iter()),
                               config.min_relevance, report)
    elif dataset.has_docpairs():
        positives = {}
        for pair in dataset.docpairs_iter():
            positives.setdefault(pair.query_id, []).append(pair.doc_id_a)
            pairs.setdefault(pair.query_id, []).append(pair.doc_id_b)
    else:
        raise CspladeError(f"ir_datasets {config.data!r} has neither qrels nor docpairs")
    return queries, docs, positives, pairs


def _irds_docs(dataset, in_memory_limit: int = 1_000_000) -> DocStore:
    if dataset.docs_count() <= in_memory_limit:
        return DocStore({d.doc_id: doc_text(d) for d in dataset.docs_iter()})
    store = dataset.docs_store()
    return DocStore(lookup=lambda ids: {i: doc_text(d) for i, d in store.get_many(ids).items()})


def _scoreddocs(config: TrainConfig) -> dict[str, list[tuple[str, float]]]:
    dataset = load_dataset(config.data or "")
    if not dataset.has_scoreddocs():
        raise CspladeError(f"--hard-negatives {SCOREDDOCS}: ir_datasets {config.data!r} has no scoreddocs")
    run: dict[str, list[tuple[str, float]]] = {}
    for hit in dataset.scoreddocs_iter():
        run.setdefault(hit.query_id, []).append((hit.doc_id, hit.score))
    for hits in run.values():
        hits.sort(key=lambda h: -h[1])
    return run


# -- batches --------------------------------------------------------------------------------------------
class ContrastiveBatches:
    """Deterministic batches: batch ``g`` of process ``rank`` depends only on (seed, g, rank).

    Queries are visited epoch after epoch in a seeded order; each query's positive and its ``negatives``
    hard negatives (sampled from its pool, never a positive; random documents when the pool is short)
    are drawn from a generator seeded by (seed, epoch, query), so a resumed run sees exactly the batches
    the interrupted run would have seen.
    """

    def __init__(self, data: TrainingData, batch_size: int, negatives: int, seed: int,
                 rank: int = 0, world: int = 1) -> None:
        self.data = data
        self.batch_size = batch_size
        self.negatives = negatives
        self.seed = seed
        self.rank = rank
        self.world = world
        self._order: tuple[int, list[int]] | None = None

    @property
    def queries_per_batch(self) -> int:
        return self.batch_size * self.world

    def _epoch_order(self, epoch: int) -> list[int]:
        if self._order is None or self._order[0] != epoch:
            order = list(range(len(self.data.examples)))
            random.Random(f"{self.seed}:order:{epoch}").shuffle(order)
            self._order = (epoch, order)
        return self._order[1]

    def sample(self, index: int, epoch: int) -> tuple[str, list[str]]:
        """(query text, [positive id, negative ids...]) for example ``index`` in ``epoch``."""
        example = self.data.examples[index]
        rng = random.Random(f"{self.seed}:sample:{epoch}:{index}")
        positive = rng.choice(example.positives)
        pool = example.negatives
        chosen = rng.sample(pool, self.negatives) if len(pool) >= self.negatives else list(pool)
        if len(chosen) < self.negatives:
            exclude = set(example.positives) | set(chosen)
            chosen += self._random_fill(rng, exclude, self.negatives - len(chosen))
        return example.query, [positive] + chosen

    def _random_fill(self, rng: random.Random, exclude: set[str], needed: int) -> list[str]:
        pool = self.data.random_pool
        picked: list[str] = []
        for _ in range(100 * needed):
            doc_id = rng.choice(pool)
            if doc_id not in exclude:
                picked.append(doc_id)
                exclude.add(doc_id)
                if len(picked) == needed:
                    return picked
        rest = [d for d in pool if d not in exclude]
        if len(rest) < needed - len(picked):
            raise CspladeError(f"too few documents ({len(pool)}) to draw {self.negatives} negatives "
                               "per query")
        return picked + rng.sample(rest, needed - len(picked))

    def batch(self, global_index: int) -> "Batch":
        """Query texts, document texts (the docs of query i at [i*(1+k), (i+1)*(1+k))) and teacher scores."""
        n = len(self.data.examples)
        start = global_index * self.queries_per_batch + self.rank * self.batch_size
        queries, doc_ids, teacher = [], [], []
        for position in range(start, start + self.batch_size):
            epoch = position // n
            index = self._epoch_order(epoch)[position % n]
            query, ids = self.sample(index, epoch)
            queries.append(query)
            doc_ids.extend(ids)
            example = self.data.examples[index]
            if example.teacher is not None:
                teacher.append([example.teacher_score(d) for d in ids])
        texts = self.data.docs.get_many(sorted(set(doc_ids)))
        return Batch(queries, [texts[d] for d in doc_ids], teacher if len(teacher) == len(queries) else None)


@dataclass
class Batch:
    """One micro-batch: queries, their documents in order, and the teacher's scores of those documents."""

    queries: list[str]
    docs: list[str]
    teacher: list[list[float]] | None = None
