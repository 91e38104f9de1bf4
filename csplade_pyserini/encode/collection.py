"""JsonVectorCollection output: one ``{"id", "contents", "vector"}`` object per line.

An export directory holds ``vectors/`` (the JsonVectorCollection: finished shards
``part-SSSSS-of-NNNNN.jsonl[.gz]`` and nothing else, since Anserini indexes every file below its
``--input``), ``partial/`` (shards being written), ``stats/`` (one :class:`ShardStats` per finished
shard: documents, non-zero terms, encoding time) and the metadata (``csplade_config.json``,
``export.json``). A shard moves into ``vectors/`` only when complete, so an interrupted export never
looks finished. Re-opening an unfinished shard keeps its complete lines (a torn last line is cut off)
and reports their ids, so encoding resumes where it stopped. ``export.json`` (:class:`ExportInfo`)
records the encoder, its dtype and the corpus: encoding more into an export made otherwise is refused
(:func:`export_differences`), so one export never mixes two encoders, corpora or configs.
"""
from __future__ import annotations

import dataclasses
import gzip
import json
import os
import resource
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import options
from ..core.config import CONFIG_NAME, CspladeConfig
from ..errors import CspladeError
from ..formats.files import check_output_directory, write_json
from ..formats.vectors import check_vector
from .identity import CorpusIdentity, vocabulary_fingerprint, weights_fingerprint

if TYPE_CHECKING:
    from ..core.model import CspladeModel

PARTIAL_SUFFIX = ".partial"
VECTORS_DIR = "vectors"
PARTIAL_DIR = "partial"
STATS_DIR = "stats"
EXPORT_INFO = "export.json"
# what must match for encoding to go on in an existing export (batch_size only changes the speed)
IDENTITY = ("encoder", "weights", "vocabulary", "dtype", "shard_num", "compress", "corpus", "corpus_bytes",
            "corpus_lines", "corpus_sha256", "id_field", "fields")
FINGERPRINTS = ("weights", "vocabulary", "corpus_sha256")
READ_AS = ("id_field", "fields")  # how the corpus is read: compared even when not given (None = the default)
# CspladeConfig fields that do not change the vectors
UNCOMPARED_CONFIG = ("base_model", "pool_chunk_size")


@dataclass
class ExportInfo:
    """Saved as ``export.json`` beside the vectors (with the encoder's csplade_config.json), so the export
    describes itself: which encoder made it from which corpus (see :mod:`.identity`), and how."""

    encoder: str  # preset name, hub id, or a model directory relative to the export
    corpus: str  # relative to the export directory
    shard_num: int
    compress: bool
    dtype: str
    batch_size: int
    weights: str | None = None  # identity.weights_fingerprint of the LM
    vocabulary: str | None = None  # identity.vocabulary_fingerprint of its terms
    corpus_bytes: int | None = None
    corpus_lines: int | None = None
    corpus_sha256: str | None = None
    id_field: str | None = None  # the corpus's id field (None: the default fields)
    fields: list[str] | None = None  # its text fields (None: contents, else title + text)

    @classmethod
    def describe(cls, encoder: str, corpus: CorpusIdentity, shard_num: int, compress: bool, dtype: str,
                 batch_size: int, id_field: str | None = None, fields: list[str] | None = None) -> "ExportInfo":
        return cls(encoder=encoder, corpus=corpus.path, shard_num=shard_num, compress=compress, dtype=dtype,
                   batch_size=batch_size, corpus_bytes=corpus.bytes, corpus_lines=corpus.lines,
                   corpus_sha256=corpus.sha256, id_field=id_field, fields=fields)

    def with_model(self, model: CspladeModel) -> "ExportInfo":
        """A copy with the fingerprints of a loaded :class:`CspladeModel`."""
        return dataclasses.replace(self, weights=weights_fingerprint(model.lm),
                                   vocabulary=vocabulary_fingerprint(model.vocabulary.terms))

    def save(self, directory: Path) -> None:
        write_json(Path(directory) / EXPORT_INFO, asdict(self))

    @classmethod
    def load(cls, directory: Path) -> "ExportInfo | None":
        path = Path(directory) / EXPORT_INFO
        return options.load_json(cls, path) if path.is_file() else None

    def differences(self, recorded: "ExportInfo") -> list[str]:
        """``field old -> new`` for each identity field this description knows and ``recorded`` differs in."""
        return [_change(name, getattr(recorded, name), getattr(self, name)) for name in IDENTITY
                if (getattr(self, name) is not None or name in READ_AS)
                and getattr(recorded, name) != getattr(self, name)]


def _change(name: str, old: Any, new: Any) -> str:
    def short(value: Any) -> str:  # fingerprints by their first 12 hex digits
        return f"{value[:12]}..." if name in FINGERPRINTS and isinstance(value, str) else repr(value)
    return f"{name} {short(old)} -> {short(new)}"


def export_differences(export_dir: str | Path, info: ExportInfo,
                       config: CspladeConfig | None = None) -> list[str]:
    """What differs between an existing export and one made with ``info`` (and ``config``): [] when
    ``export_dir`` holds no export yet; vectors without an ``export.json`` are a difference too."""
    export_dir = Path(export_dir)
    recorded = ExportInfo.load(export_dir)
    if recorded is None:
        started = any((export_dir / name).exists() for name in (VECTORS_DIR, PARTIAL_DIR, STATS_DIR))
        return [f"vectors without {EXPORT_INFO}"] if started else []
    changes = info.differences(recorded)
    if config is not None:
        if not CspladeConfig.exists(export_dir):
            return changes + [f"no {CONFIG_NAME}"]
        old, new = CspladeConfig.load(export_dir).to_dict(), config.to_dict()
        changes += [_change(name, old[name], new[name]) for name in old
                    if name not in UNCOMPARED_CONFIG and old[name] != new[name]]
    return changes


def discard_export(export_dir: str | Path) -> None:
    """Remove every shard, its statistics and the metadata of an export (``--force`` with other settings)."""
    export_dir = Path(export_dir)
    for name in (VECTORS_DIR, PARTIAL_DIR, STATS_DIR):
        shutil.rmtree(export_dir / name, ignore_errors=True)
    for name in (EXPORT_INFO, CONFIG_NAME):
        (export_dir / name).unlink(missing_ok=True)


@dataclass
class ShardStats:
    """Saved as ``stats/<shard>.json`` when a shard is finished (what ``csplade report`` summarises)."""

    documents: int
    terms: int  # non-zero terms over all its documents
    seconds: float  # wall time of the run that finished the shard (model loading excluded)
    resumed: int = 0  # documents written by an earlier, interrupted run (not in ``seconds``)
    weights_mib: float | None = None  # the encoder's weight memory (quantized tensors at their size)
    peak_rss_mib: float | None = None  # peak resident memory of the process that finished the shard
    machine: str | None = None  # where it was encoded (:func:`~..loading.precision.device_signature`)

    def save(self, path: Path) -> None:
        write_json(path, asdict(self))


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def shard_stats(export_dir: str | Path) -> list[ShardStats] | None:
    """The stats of every finished shard of an export directory, or None if a shard has none."""
    export_dir = Path(export_dir)
    vectors = export_dir / VECTORS_DIR
    shards = sorted(p for p in vectors.iterdir() if p.name.endswith((".jsonl", ".jsonl.gz"))) \
        if vectors.is_dir() else []
    stats = []
    for shard in shards:
        path = export_dir / STATS_DIR / f"{shard.name}.json"
        if not path.is_file():
            return None
        stats.append(options.load_json(ShardStats, path))
    return stats or None


def shard_name(shard_id: int, shard_num: int, compress: bool) -> str:
    return f"part-{shard_id:05d}-of-{shard_num:05d}.jsonl" + (".gz" if compress else "")


class ShardWriter:
    """Streams one shard of a JsonVectorCollection, atomically, with resume."""

    def __init__(self, export_dir: str | Path, shard_id: int = 0, shard_num: int = 1,
                 compress: bool = False) -> None:
        if not 0 <= shard_id < shard_num:
            raise CspladeError(f"--shard-id must be in [0, {shard_num}), got {shard_id}")
        export_dir = check_output_directory(export_dir)
        self.final_path = export_dir / VECTORS_DIR / shard_name(shard_id, shard_num, compress)
        partial_name = shard_name(shard_id, shard_num, False) + PARTIAL_SUFFIX
        self.partial_path = export_dir / PARTIAL_DIR / partial_name
        self.stats_path = export_dir / STATS_DIR / f"{self.final_path.name}.json"
        self.compress = compress
        self._handle = None
        self.written = 0
        self.terms = 0
        self.resumed = 0
        self.started = time.monotonic()

    @property
    def complete(self) -> bool:
        return self.final_path.is_file()

    def resume(self) -> set[str]:
        """Ids already in the unfinished shard (its torn last line, if any, is cut off)."""
        if not self.partial_path.is_file():
            return set()
        done: set[str] = set()
        good = 0
        with open(self.partial_path, "rb") as handle:
            for raw in handle:
                if not raw.endswith(b"\n"):
                    break
                try:
                    record = json.loads(raw)
                    done.add(str(record["id"]))
                    self.terms += len(record.get("vector") or {})
                except (ValueError, KeyError):
                    break
                good += len(raw)
        with open(self.partial_path, "r+b") as handle:
            handle.truncate(good)
        self.written = self.resumed = len(done)
        return done

    def write(self, doc_id: str, contents: str, vector: dict[str, int]) -> None:
        check_vector(vector, f"document {doc_id!r}")
        if self._handle is None:
            self.partial_path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = open(self.partial_path, "a", encoding="utf-8")
        record = {"id": doc_id, "contents": contents, "vector": vector}
        self._handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.written += 1
        self.terms += len(vector)

    def flush(self) -> None:
        if self._handle is not None:
            self._handle.flush()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def finish(self, weights_mib: float | None = None, machine: str | None = None) -> Path:
        """Make the shard visible under its final name (compressing it if asked), its stats beside it."""
        self.close()
        seconds = round(time.monotonic() - self.started, 2)
        ShardStats(self.written, self.terms, seconds, self.resumed, weights_mib, peak_rss_mib(),
                   machine).save(self.stats_path)
        self.final_path.parent.mkdir(parents=True, exist_ok=True)
        if not self.partial_path.exists():  # an empty shard
            self.partial_path.parent.mkdir(parents=True, exist_ok=True)
            self.partial_path.touch()
        if self.compress:
            staging = self.partial_path.with_name(self.partial_path.name + ".gz")
            with open(self.partial_path, "rb") as src, gzip.open(staging, "wb") as dst:
                shutil.copyfileobj(src, dst)
            _fsync(staging)
            os.replace(staging, self.final_path)
            self.partial_path.unlink()
        else:
            _fsync(self.partial_path)
            os.replace(self.partial_path, self.final_path)
        return self.final_path


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def collection_dir(path: str | Path) -> Path:
    """The JsonVectorCollection of an export directory (its ``vectors/``), or ``path`` itself."""
    path = Path(path)
    return path / VECTORS_DIR if (path / VECTORS_DIR).is_dir() else path


def unfinished_shards(export_dir: str | Path) -> list[Path]:
    """Shards of an export directory that are still being written."""
    partial = Path(export_dir) / PARTIAL_DIR
    return sorted(partial.glob(f"*{PARTIAL_SUFFIX}")) if partial.is_dir() else []
