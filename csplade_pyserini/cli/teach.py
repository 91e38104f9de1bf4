"""``csplade pseudo-queries`` / ``filter-queries`` / ``teach`` / ``split``: training data for a corpus.

The steps of ``recipes/adapt-corpus.sh``: make queries for a corpus that has none, score every query's
candidates with a teacher (BM25, a sentence-transformers bi-encoder, or their fusion), keep the
pseudo-queries whose source document the teacher ranks near the top, and hold out a dev split.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass

from .. import options
from ..errors import CspladeError
from ..options import option
from .common import at_least, require

TEACHERS = ("bm25", "dense", "fusion")
METHODS = ("generate", "crop")


@dataclass
class PseudoQuerySettings:
    corpus: str = option("", "corpus JSONL/TSV file or directory")
    output: str = option("", "directory for topics.tsv + qrels.txt (each query's source document)")
    method: str = option("generate", "generate (an instruct LM) or crop (random word spans)", choices=METHODS)
    model: str = option("smollm2-135m", "instruct LM for generate: base model name, directory or hub id")
    max_docs: int | None = option(None, "use a seeded sample of this many documents (default: all)")
    per_doc: int = option(1, "queries per document")
    seed: int = option(0, "seed of the document sample, the sampling and the crops")
    batch_size: int = option(16, "documents per generate call")
    max_doc_tokens: int = option(200, "document tokens shown to the LM")
    max_new_tokens: int = option(32, "tokens generated per query")
    min_query_words: int = option(3, "generate: shorter generations are dropped")
    min_words: int = option(8, "crop: shortest span in words")
    max_words: int = option(20, "crop: longest span in words")
    prompt: str = option("", "generation prompt with {text} (default: a two-example few-shot prompt ending in "
                             "'Query:')")
    chat: bool = option(False, "wrap the prompt in the tokenizer's chat template (for an instruction prompt)")
    dtype: str = option("auto", "precision of the LM (auto: bf16 where the CPU has it)")
    device: str = option("cpu", "cpu, cuda, cuda:N")

    def validate(self) -> None:
        require(self, "corpus", "output")
        for name in ("per_doc", "batch_size", "max_doc_tokens", "max_new_tokens", "min_words", "max_words",
                     "min_query_words"):
            at_least(self, name, 1)
        if self.max_docs is not None:
            at_least(self, "max_docs", 1)


@dataclass
class FilterSettings:
    topics: str = option("", "pseudo-query topics (csplade pseudo-queries output)")
    qrels: str = option("", "their qrels (each query's source document)")
    teacher: str = option("", "teacher scores of these queries (csplade teach)")
    output: str = option("", "directory for the kept topics.tsv + qrels.txt")
    top_k: int = option(3, "keep a query when the teacher ranks its source document in its top k")

    def validate(self) -> None:
        require(self, "topics", "qrels", "teacher", "output")
        at_least(self, "top_k", 1)


@dataclass
class TeachSettings:
    topics: str = option("", "topics to score candidates for (qid<TAB>text TSV or JSONL)", flags=("--queries",))
    corpus: str = option("", "corpus JSONL/TSV file or directory")
    output: str = option("", "teacher scores JSONL to write ({qid, scores: {docid: score}} per line)")
    teacher: str = option("fusion", "bm25, dense, or fusion of both (min-max, interpolated)", choices=TEACHERS)
    bm25_index: str | None = option(None, "BM25 index of the corpus (csplade index --bm25), for bm25/fusion")
    dense_model: str = option("all-minilm-l6-v2", "sentence-transformers model (all-minilm-l6-v2 is packaged)")
    qrels: str | None = option(None, "judged documents are always scored by the dense model too")
    depth: int = option(100, "candidates per query from each retriever")
    bm25_weight: float = option(0.5, "fusion: weight of the normalised BM25 score (dense: 1 - weight)")
    threads: int = option(2, "BM25 search threads")
    device: str = option("cpu", "device of the dense model")

    def validate(self) -> None:
        require(self, "topics", "corpus", "output")
        at_least(self, "depth", 1)
        at_least(self, "threads", 1)
        if self.teacher in ("bm25", "fusion") and not self.bm25_index:
            raise CspladeError(f"teacher {self.teacher} needs --bm25-index (build it with csplade index --bm25)")
        if not 0.0 <= self.bm25_weight <= 1.0:
            raise CspladeError(f"bm25_weight must be in [0, 1], got {self.bm25_weight}")


@dataclass
class SplitSettings:
    topics: str = option("", "judged topics to split")
    qrels: str = option("", "their qrels")
    output: str = option("", "directory for fit-topics.tsv, fit-qrels.txt, dev-topics.tsv, dev-qrels.txt")
    dev_queries: int = option(100, "queries held out for dev")
    seed: int = option(0, "seed of the dev sample")

    def validate(self) -> None:
        require(self, "topics", "qrels", "output")
        at_least(self, "dev_queries", 1)


@dataclass
class DevCorpusSettings:
    qrels: str = option("", "qrels of the dev queries")
    corpus: str = option("", "the whole corpus")
    output: str = option("", "the dev corpus JSONL to write")
    teacher: str | None = option(None, "teacher scores of the dev queries: their top candidates join")
    docs: int = option(700, "documents in the dev corpus")
    per_query: int = option(5, "top teacher candidates of each dev query put in")
    seed: int = option(0, "seed of the random documents")

    def validate(self) -> None:
        require(self, "qrels", "corpus", "output")
        at_least(self, "docs", 1)
        at_least(self, "per_query", 1)


def register(commands) -> None:
    for name, cls, run, text in (
            ("pseudo-queries", PseudoQuerySettings, run_pseudo_queries,
             "make queries for a corpus: generated by an instruct LM or cropped spans"),
            ("filter-queries", FilterSettings, run_filter,
             "keep pseudo-queries whose source document the teacher ranks near the top"),
            ("teach", TeachSettings, run_teach,
             "score each query's candidates with BM25, a dense bi-encoder, or their fusion"),
            ("split", SplitSettings, run_split, "hold out dev queries from judged topics"),
            ("dev-corpus", DevCorpusSettings, run_dev_corpus,
             "the documents dev queries are ranked among: judged, teacher candidates, random")):
        parser = commands.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        options.add_arguments(parser, cls)
        parser.set_defaults(run=lambda args, cls=cls, run=run: run(options.from_args(cls, args)))


def run_pseudo_queries(settings: PseudoQuerySettings) -> int:
    import random

    from ..formats.corpus import read_corpus
    from ..teach import pseudo_queries as pq

    documents = list(read_corpus(settings.corpus))
    if not documents:
        raise CspladeError(f"{settings.corpus}: no documents")
    if settings.max_docs is not None and settings.max_docs < len(documents):
        documents = random.Random(f"{settings.seed}:docs").sample(documents, settings.max_docs)
    if settings.method == "crop":
        queries = list(pq.crop(documents, settings.seed, settings.min_words, settings.max_words, settings.per_doc))
    else:
        from ..loading.load import load_lm, parse_device
        from ..loading.precision import load_dtype, resolve_precision

        device = parse_device(settings.device)
        lm, tokenizer = load_lm(settings.model, load_dtype(resolve_precision(settings.dtype, device)), device)
        generator = pq.QueryGenerator(lm, tokenizer, settings.prompt or pq.PROMPT, settings.max_doc_tokens,
                                      settings.max_new_tokens, chat=settings.chat)
        queries = pq.generate(documents, generator, settings.output, settings.seed, settings.batch_size,
                              settings.per_doc, settings.min_query_words)
    topics, _ = pq.write_pseudo_queries(queries, settings.output)
    print(f"{topics}: {len(queries)} pseudo-queries for {len(documents)} documents", file=sys.stderr)
    print(settings.output)
    return 0


def run_filter(settings: FilterSettings) -> int:
    from ..formats.teacher import read_teacher
    from ..formats.trec import read_qrels, read_topics
    from ..teach.pseudo_queries import PseudoQuery, keep_consistent, write_pseudo_queries

    topics, qrels = read_topics(settings.topics), read_qrels(settings.qrels)
    scores, _ = read_teacher(settings.teacher)
    kept = keep_consistent(topics, qrels, scores, settings.top_k)
    queries = [PseudoQuery(qid, next(iter(qrels[qid])), topics[qid]) for qid in kept]
    write_pseudo_queries(queries, settings.output)
    print(f"{settings.output}: kept {len(kept)} of {len(topics)} queries (source document in the teacher's "
          f"top {settings.top_k})", file=sys.stderr)
    print(settings.output)
    return 0


def run_teach(settings: TeachSettings) -> int:
    from ..formats.corpus import read_corpus
    from ..formats.teacher import write_teacher
    from ..formats.trec import read_qrels, read_topics
    from ..teach import teacher

    queries = read_topics(settings.topics)
    if not queries:
        raise CspladeError(f"{settings.topics}: no queries")
    documents = list(read_corpus(settings.corpus))
    if not documents:
        raise CspladeError(f"{settings.corpus}: no documents")
    judged = read_qrels(settings.qrels) if settings.qrels else {}
    include = {qid: [d for d, rel in docs.items() if rel > 0] for qid, docs in judged.items()}
    bm25 = dense = None
    if settings.teacher in ("bm25", "fusion"):
        bm25 = teacher.bm25_scores(settings.bm25_index, queries, settings.depth, settings.threads)
    if settings.teacher in ("dense", "fusion"):
        from ..teach.dense import DenseScorer

        scorer = DenseScorer(settings.dense_model, settings.device)
        dense = teacher.dense_scores(scorer, documents, queries, settings.depth, include)
    if bm25 is not None and dense is not None:
        scores = teacher.fuse(bm25, dense, settings.bm25_weight)
    else:
        scores = bm25 if bm25 is not None else dense
    count = write_teacher(scores, settings.output)
    if count < len(queries):
        print(f"note: the teacher found no candidate for {len(queries) - count} of {len(queries)} queries "
              f"(left out)", file=sys.stderr)
    print(f"{settings.output}: teacher scores for {count} queries", file=sys.stderr)
    print(settings.output)
    return 0


def run_split(settings: SplitSettings) -> int:
    from pathlib import Path

    from ..formats.trec import read_qrels, read_topics, write_qrels, write_topics
    from ..teach.split import split_topics

    topics, qrels = read_topics(settings.topics), read_qrels(settings.qrels)
    fit, dev = split_topics(topics, qrels, settings.dev_queries, settings.seed)
    out = Path(settings.output)
    for name, part in (("fit", fit), ("dev", dev)):
        write_topics(part, out / f"{name}-topics.tsv")
        write_qrels({q: qrels[q] for q in part if q in qrels}, out / f"{name}-qrels.txt")
    print(f"{out}: {len(fit)} fit and {len(dev)} dev queries", file=sys.stderr)
    print(out)
    return 0


def run_dev_corpus(settings: DevCorpusSettings) -> int:
    from ..formats.corpus import read_corpus, write_corpus
    from ..formats.teacher import read_teacher
    from ..formats.trec import read_qrels
    from ..teach.split import dev_corpus, missing_judged

    candidates = read_teacher(settings.teacher)[0] if settings.teacher else {}
    corpus, qrels = list(read_corpus(settings.corpus)), read_qrels(settings.qrels)
    missing = missing_judged(corpus, qrels)
    if missing:
        print(f"{settings.qrels}: {len(missing)} judged document(s) not in {settings.corpus}, left out of the dev "
              f"corpus (first: {missing[0]})", file=sys.stderr)
    documents = dev_corpus(corpus, qrels, candidates, settings.docs, settings.per_query, settings.seed)
    count = write_corpus(documents, settings.output)
    print(f"{settings.output}: {count} dev documents", file=sys.stderr)
    print(settings.output)
    return 0
