"""Seismic indexes (Bruch et al., SIGIR 2024; ``pip install pyseismic-lsr``): approximate impact search.

A Seismic index of a JsonVectorCollection holds the export's *integer impacts*, the very values Lucene
stores, so that with its pruning switched off it ranks like Lucene's impact search and any difference
is Seismic's approximation. Terms are renamed to dense ids (``0``, ``1``, ...) kept in ``terms.json``: a
query's terms are mapped through it (a term no document has cannot score and is dropped). Seismic reads
query terms as fixed-width strings of 100 characters and its default index holds at most 65,536
distinct components; the short ids fit the first, and an export with more distinct terms (a 128k
vocabulary such as Llama-3's) gets Seismic's large-vocabulary index (``SeismicIndexLV``).

The directory holds ``index.index.seismic``, ``terms.json`` and ``csplade_seismic.json`` (what was indexed,
with which knobs); it is built under a temporary name and renamed when complete.
"""
from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .. import options
from ..errors import CspladeError
from ..formats.files import atomic_directory, check_output_directory, exclusive, portable_reference, write_json
from ..formats.vectors import read_vectors
from ..options import option
from .lucene import collection_files, encoder_of

INFO_FILE = "csplade_seismic.json"
TERMS_FILE = "terms.json"
INDEX_NAME = "index"  # Seismic appends .index.seismic
SMALL_VOCABULARY = 65_536  # components Seismic's default index addresses (u16)


@dataclass
class SeismicKnobs:
    """Seismic's build settings (its defaults; ``n_postings`` is per term on average)."""

    n_postings: int = option(3500, "seismic: postings kept per term on average (static pruning)")
    centroid_fraction: float = option(0.1, "seismic: a posting list's blocks, as a fraction of its length")
    min_cluster_size: int = option(2, "seismic: the fewest documents in a block")
    summary_energy: float = option(0.4, "seismic: the share of a block's weight its summary keeps")
    max_fraction: float = option(1.5, "seismic: a list keeps at most n_postings x this")
    doc_cut: int = option(15, "seismic: a document's largest terms used to cluster it")

    def validate(self) -> None:
        for name in ("n_postings", "min_cluster_size", "doc_cut"):
            if getattr(self, name) < 1:
                raise CspladeError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(self, name)}")
        for name in ("centroid_fraction", "summary_energy"):
            if not 0 < getattr(self, name) <= 1:
                raise CspladeError(f"--{name.replace('_', '-')} must be in (0, 1], got {getattr(self, name)}")
        if self.max_fraction <= 0:
            raise CspladeError(f"--max-fraction must be > 0, got {self.max_fraction}")


@dataclass
class SeismicSearchKnobs:
    """Seismic's query-time settings (``csplade search`` and ``csplade bench-search``)."""

    query_cut: int = option(64, "seismic: the query's largest terms used")
    heap_factor: float = option(0.9, "seismic: scan a block when its bound exceeds this x the k-th score")

    def validate(self) -> None:
        if self.query_cut < 1:
            raise CspladeError(f"--query-cut must be >= 1, got {self.query_cut}")
        if not 0 < self.heap_factor <= 1:
            raise CspladeError(f"--heap-factor must be in (0, 1], got {self.heap_factor}")

    def search_knobs(self) -> "SeismicSearchKnobs":
        return SeismicSearchKnobs(self.query_cut, self.heap_factor)


@dataclass
class SeismicInfo:
    """Saved as ``csplade_seismic.json``: the source, the counts, the knobs and the encoder."""

    source: str
    documents: int
    terms: int
    large_vocabulary: bool
    knobs: dict
    seconds: float
    encoder: dict | None = None

    @classmethod
    def load(cls, index: str | Path) -> "SeismicInfo":
        path = Path(index) / INFO_FILE
        if not path.is_file():
            raise CspladeError(f"{index}: not a Seismic index built by csplade (no {INFO_FILE})")
        return options.load_json(cls, path)


def seismic_module():
    try:
        import seismic
    except ImportError:
        raise CspladeError("Seismic is not installed: pip install pyseismic-lsr") from None
    return seismic


def build_seismic_index(source: str | Path, index: str | Path, knobs: SeismicKnobs | None = None,
                        overwrite: bool = False) -> SeismicInfo:
    """Index the finished export (or JsonVectorCollection) ``source`` into the Seismic index ``index``."""
    knobs = knobs or SeismicKnobs()
    knobs.validate()
    seismic = seismic_module()
    source, index = Path(source), check_output_directory(index)
    with exclusive(index):  # a second writer of the same index is refused at once
        return _build(seismic, source, index, knobs, overwrite)


def _build(seismic, source: Path, index: Path, knobs: SeismicKnobs, overwrite: bool) -> SeismicInfo:
    if index.exists() and not overwrite:
        raise CspladeError(f"{index}: already exists (use --overwrite to replace it)")
    files = collection_files(source)
    terms: dict[str, int] = {}
    documents = 0
    index.parent.mkdir(parents=True, exist_ok=True)
    with atomic_directory(index, replace=overwrite, marker=INFO_FILE) as building:
        started = time.monotonic()
        renamed = building / "vectors.jsonl"
        with open(renamed, "w", encoding="utf-8") as handle:
            for doc_id, vector, _ in read_vectors(files):
                ids = {str(terms.setdefault(term, len(terms))): weight for term, weight in vector.items()}
                handle.write(json.dumps({"id": doc_id, "contents": "", "vector": ids}) + "\n")
                documents += 1
        if not documents:
            raise CspladeError(f"{source}: no documents to index")
        large = len(terms) > SMALL_VOCABULARY
        engine = seismic.SeismicIndexLV if large else seismic.SeismicIndex
        try:
            with quiet():
                built = engine.build(str(renamed), n_postings=knobs.n_postings,
                                     centroid_fraction=knobs.centroid_fraction,
                                     min_cluster_size=knobs.min_cluster_size, summary_energy=knobs.summary_energy,
                                     max_fraction=knobs.max_fraction, doc_cut=knobs.doc_cut, load_content=False)
                built.save(str(building / INDEX_NAME))
        except (OSError, ValueError, RuntimeError) as exc:
            raise CspladeError(f"{source}: Seismic could not build the index: {first_line(exc)}") from None
        renamed.unlink()
        write_json(building / TERMS_FILE, terms)
        info = SeismicInfo(source=portable_reference(source, index), documents=documents, terms=len(terms),
                           large_vocabulary=large, knobs=asdict(knobs),
                           seconds=round(time.monotonic() - started, 1), encoder=encoder_of(source))
        write_json(building / INFO_FILE, asdict(info))
    return info


@contextlib.contextmanager
def quiet():
    """Silence the engine's own prints (Rust writes straight to file descriptor 1)."""
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
