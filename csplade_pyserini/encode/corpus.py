"""Encode a corpus into a JsonVectorCollection shard: the ``csplade encode`` pipeline.

Documents are dealt to shards round-robin by their position in the corpus (document i goes to shard
``i % shard_num``), encoded in length-sorted batches, written in corpus order, and flushed after
every block so that an interrupted run resumes from the last complete line.
"""
from __future__ import annotations

from itertools import islice
from pathlib import Path
from typing import Iterable, Iterator

from tqdm import tqdm

from ..formats.corpus import Document, count_lines, read_corpus
from ..errors import CspladeError
from .collection import ExportInfo, ShardWriter
from ..core.model import CspladeModel

def shard_documents(documents: Iterable[Document], shard_id: int, shard_num: int) -> Iterator[Document]:
    for index, document in enumerate(documents):
        if index % shard_num == shard_id:
            yield document


def _blocks(documents: Iterator[Document], size: int) -> Iterator[list[Document]]:
    while block := list(islice(documents, size)):
        yield block


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
    """Write shard ``shard_id`` of ``corpus`` into ``out_dir/vectors/``; returns the shard's path."""
    out_dir = Path(out_dir)
    writer = ShardWriter(out_dir, shard_id, info.shard_num, info.compress)
    if writer.complete and not force:
        return writer.final_path
    if force:
        writer.final_path.unlink(missing_ok=True)
        writer.partial_path.unlink(missing_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    previous = ExportInfo.load(out_dir)
    if previous is not None and (previous.shard_num, previous.compress) != (info.shard_num, info.compress):
        raise CspladeError(f"{out_dir}: this export was started with --shard-num {previous.shard_num}"
                           f"{' --gzip' if previous.compress else ''}; use the same flags or a new --output")
    model.config.save(out_dir)
    info.save(out_dir)
    done = writer.resume()
    total = -(-max(count_lines(corpus) - shard_id, 0) // info.shard_num)
    documents = shard_documents(read_corpus(corpus, id_field, text_fields), shard_id, info.shard_num)
    with tqdm(total=total, initial=len(done), unit="doc", desc=f"encode shard {shard_id}") as progress:
        for block in _blocks(documents, batch_size * 8):
            todo = [d for d in block if d.doc_id not in done]
            vectors = model.encode_impacts([d.text for d in todo], "doc", batch_size)
            for document, vector in zip(todo, vectors):
                writer.write(document.doc_id, document.text, vector)
            writer.flush()
            progress.update(len(todo))
    return writer.finish()
