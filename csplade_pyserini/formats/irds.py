"""Topics, qrels and corpora of any ir_datasets collection, in the files Pyserini reads.

* topics: ``qid<TAB>text`` (``--topics topics.tsv``), from each query's ``default_text()``;
* qrels: TREC ``qid 0 docid relevance`` (``pyserini.eval.trec_eval``);
* corpus: a directory holding ``docs.jsonl`` with ``{"id", "contents"}`` per document, where
  ``contents`` is ``default_text()`` (``title + " " + text`` for BEIR, as Anserini's BEIR flat
  indexes build it). ``csplade encode`` and Anserini's ``JsonCollection`` both read it.

Datasets are read with ``ir_datasets.load``; files already under ``$IR_DATASETS_HOME`` work offline.
"""
from __future__ import annotations

import json
from pathlib import Path

from tqdm import tqdm

from ..errors import CspladeError
from .corpus import UniqueIds, check_id
from .files import atomic_text

CORPUS_FILE = "docs.jsonl"


def is_irds_id(name: str) -> bool:
    """True for a registered ir_datasets id that is not also a local path."""
    if Path(name).exists():
        return False
    import ir_datasets

    return name in ir_datasets.registry


def load_dataset(dataset_id: str):
    """``ir_datasets.load`` with a one-line error for an unknown id."""
    import ir_datasets

    if dataset_id not in ir_datasets.registry:
        raise CspladeError(f"unknown ir_datasets id {dataset_id!r}, and no such local file "
                           "(see https://ir-datasets.com)")
    return ir_datasets.load(dataset_id)


def doc_text(doc) -> str:
    """The document's text as ir_datasets defines it (BEIR: title + text)."""
    return doc.default_text()


def _require(dataset, dataset_id: str, part: str) -> None:
    if not getattr(dataset, f"has_{part}")():
        raise CspladeError(f"ir_datasets {dataset_id!r} has no {part}")


def _reading(dataset_id: str, part: str, exc: Exception) -> CspladeError:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return CspladeError(f"cannot read the {part} of ir_datasets {dataset_id!r}: {first}")


def one_line(text: str) -> str:
    return " ".join(text.split())


def _checked(identifier, dataset_id: str, what: str, number: int, seen: UniqueIds) -> str:
    """An id of a dataset's query or document, checked as the file readers check them."""
    where = f"ir_datasets {dataset_id!r}, {what} {number}"
    checked = check_id(identifier, where, what)
    seen.add(checked, where)
    return checked


def _not_empty(count: int, dataset_id: str, part: str) -> None:
    """Raised inside the atomic write, so that no empty file is left behind."""
    if not count:
        raise CspladeError(f"ir_datasets {dataset_id!r}: no {part}")


def export_topics(dataset_id: str, path: str | Path) -> int:
    """Write the queries of ``dataset_id`` as Pyserini TSV topics; returns how many."""
    dataset = load_dataset(dataset_id)
    _require(dataset, dataset_id, "queries")
    count = 0
    try:
        with atomic_text(path) as handle:
            seen = UniqueIds("query")
            for count, query in enumerate(dataset.queries_iter(), 1):
                qid = _checked(query.query_id, dataset_id, "query", count, seen)
                handle.write(f"{qid}\t{one_line(query.default_text())}\n")
            _not_empty(count, dataset_id, "queries")
    except (OSError, ValueError, RuntimeError) as exc:  # a missing file that ir_datasets would download
        raise _reading(dataset_id, "queries", exc) from None
    return count


def export_qrels(dataset_id: str, path: str | Path) -> int:
    """Write the relevance judgements of ``dataset_id`` in TREC format; returns how many lines."""
    dataset = load_dataset(dataset_id)
    _require(dataset, dataset_id, "qrels")
    count = 0
    try:
        with atomic_text(path) as handle:
            for count, qrel in enumerate(dataset.qrels_iter(), 1):
                where = f"ir_datasets {dataset_id!r}, judgement {count}"
                qid, doc_id = check_id(qrel.query_id, where, "query"), check_id(qrel.doc_id, where)
                handle.write(f"{qid} 0 {doc_id} {qrel.relevance}\n")
            _not_empty(count, dataset_id, "qrels")
    except (OSError, ValueError, RuntimeError) as exc:
        raise _reading(dataset_id, "qrels", exc) from None
    return count


def export_corpus(dataset_id: str, out_dir: str | Path) -> Path:
    """Write the documents of ``dataset_id`` as ``out_dir/docs.jsonl``; returns its path."""
    dataset = load_dataset(dataset_id)
    _require(dataset, dataset_id, "docs")
    path = Path(out_dir) / CORPUS_FILE
    try:
        total = dataset.docs_count()
        with atomic_text(path) as handle:
            seen = UniqueIds("document")
            docs = tqdm(dataset.docs_iter(), total=total, unit="doc", desc=f"export {dataset_id}")
            number = 0
            for number, doc in enumerate(docs, 1):
                doc_id = _checked(doc.doc_id, dataset_id, "document", number, seen)
                record = {"id": doc_id, "contents": one_line(doc.default_text())}
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            _not_empty(number, dataset_id, "docs")
    except (OSError, ValueError, RuntimeError) as exc:
        raise _reading(dataset_id, "docs", exc) from None
    return path
