"""Encode a corpus into a JsonVectorCollection shard: the ``csplade encode`` pipeline.

Documents are dealt to shards round-robin by their position in the corpus (document i goes to shard
``i % shard_num``), encoded in length-sorted batches, written in corpus order, and flushed after
every block so that an interrupted run resumes from the last complete line. What can be checked
without a model is checked first (:func:`check_corpus`, :func:`check_export`): the whole corpus is read
once, and an existing export must have been made with the same encoder, config, dtype and corpus.
"""
from __future__ import annotations

import dataclasses
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator

from tqdm import tqdm

from ..errors import CspladeError
from ..formats.corpus import Document, read_corpus
from ..loading.precision import device_signature
from ..loading.quantization import weight_bytes
from .collection import ExportInfo, ShardWriter, discard_export, export_differences

if TYPE_CHECKING:
    from ..core.config import CspladeConfig
    from ..core.model import CspladeModel


def shard_documents(documents: Iterable[Document], shard_id: int, shard_num: int) -> Iterator[Document]:
    for index, document in enumerate(documents):
        if index % shard_num == shard_id:
            yield document


def _blocks(documents: Iterator[Document], size: int) -> Iterator[list[Document]]:
    while block := list(islice(documents, size)):
        yield block


def check_corpus(corpus: str | Path, id_field: str | None = None,
                 text_fields: tuple[str, ...] | None = None) -> None:
    """Read every document once: bad lines, ids and text fields are FILE:LINE errors, no document is one."""
    if not sum(1 for _ in read_corpus(corpus, id_field, text_fields)):
        raise CspladeError(f"{corpus}: no documents")


def check_export(out_dir: str | Path, info: ExportInfo, shard_id: int, force: bool = False,
                 config: CspladeConfig | None = None) -> list[str]:
    """What differs from the export already in ``out_dir`` (an error unless ``force``); a shard without
    documents is an error too. ``info`` describes the corpus (:meth:`ExportInfo.describe`)."""
    if shard_id >= info.corpus_lines:
        raise CspladeError(f"--shard-id {shard_id} of --shard-num {info.shard_num} gets no documents: the "
                           f"corpus has {info.corpus_lines}; use a --shard-num of at most "
                           f"{info.corpus_lines}")
    changes = export_differences(out_dir, info, config)
    if changes and not force:
        raise CspladeError(f"{out_dir}: this export was made with another encoder, config or corpus "
                           f"({'; '.join(changes)}); use --force to discard it and encode again, or another "
                           f"--output")
    return changes


def encode_corpus(
    model: CspladeModel,
    corpus: str | Path,
    out_dir: str | Path,
    info: ExportInfo,
    shard_id: int = 0,
    batch_size: int = 16,
    force: bool = False,
    id_field: str | None = None,
    text_fields: tuple[str, ...] | None = None,
) -> Path:
    """Write shard ``shard_id`` of ``corpus`` into ``out_dir/vectors/``; returns the shard's path.

    ``info`` describes the corpus (:meth:`ExportInfo.describe`); the model's fingerprints are added here.
    ``force``: encode the shard again, and discard an export made otherwise first.
    """
    out_dir = Path(out_dir)
    info = info.with_model(model)
    config = dataclasses.replace(model.config, base_model=None)  # an export names no path of this machine
    if check_export(out_dir, info, shard_id, force, config):
        discard_export(out_dir)
    writer = ShardWriter(out_dir, shard_id, info.shard_num, info.compress)
    if writer.complete and not force:
        return writer.final_path
    if force:
        writer.final_path.unlink(missing_ok=True)
        writer.partial_path.unlink(missing_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    config.save(out_dir)
    info.save(out_dir)
    done = writer.resume()
    total = -(-(info.corpus_lines - shard_id) // info.shard_num)
    documents = shard_documents(read_corpus(corpus, id_field, text_fields), shard_id, info.shard_num)
    with tqdm(total=total, initial=len(done), unit="doc", desc=f"encode shard {shard_id}") as progress:
        for block in _blocks(documents, batch_size * 8):
            todo = [d for d in block if d.doc_id not in done]
            vectors = model.encode_impacts([d.text for d in todo], "doc", batch_size)
            for document, vector in zip(todo, vectors):
                writer.write(document.doc_id, document.text, vector)
            writer.flush()
            progress.update(len(todo))
    _check_not_empty(writer, shard_id)
    return writer.finish(weights_mib=weight_bytes(model.lm) / 2**20, machine=device_signature(model.device))


def _check_not_empty(writer: ShardWriter, shard_id: int) -> None:
    """A shard whose every vector is empty is an error (and is not kept to be resumed)."""
    if writer.written and not writer.terms:
        writer.close()
        writer.partial_path.unlink(missing_ok=True)
        raise CspladeError(f"every one of the {writer.written} documents of shard {shard_id} got an empty "
                           f"vector; check the encoder and its doc_max_length, doc_top_k, doc_threshold "
                           f"and weight_scale")
