"""JsonVectorCollection output: one ``{"id", "contents", "vector"}`` object per line.

A shard is written to ``part-SSSSS-of-NNNNN.jsonl.partial`` (a suffix Anserini does not read) and
renamed to ``.jsonl`` / ``.jsonl.gz`` only when complete, so an interrupted export never looks
finished. Re-opening an unfinished shard keeps its complete lines (a torn last line is cut off) and
reports their ids, so encoding resumes where it stopped.
"""
from __future__ import annotations

import gzip
import json
import os
import shutil
from pathlib import Path

from .errors import CspladeError
from .terms import MAX_TERM_CHARS, _unsafe

PARTIAL_SUFFIX = ".partial"


def shard_name(shard_id: int, shard_num: int, compress: bool) -> str:
    return f"part-{shard_id:05d}-of-{shard_num:05d}.jsonl" + (".gz" if compress else "")


def check_vector(vector: dict, where: str) -> None:
    """Raise unless every key is a safe non-empty term and every weight a Python int >= 1."""
    for term, weight in vector.items():
        if not isinstance(term, str) or not term or len(term) > MAX_TERM_CHARS or any(map(_unsafe_char, term)):
            raise CspladeError(f"{where}: term {term!r} is not a Lucene-safe term")
        if type(weight) is not int or weight < 1:
            raise CspladeError(f"{where}: weight {weight!r} of term {term!r} is not an int >= 1")


def _unsafe_char(char: str) -> bool:
    return char != "%" and _unsafe(char)


class ShardWriter:
    """Streams one shard of a JsonVectorCollection, atomically, with resume."""

    def __init__(self, out_dir: str | Path, shard_id: int = 0, shard_num: int = 1, compress: bool = False) -> None:
        if not 0 <= shard_id < shard_num:
            raise CspladeError(f"--shard-id must be in [0, {shard_num}), got {shard_id}")
        self.out_dir = Path(out_dir)
        self.final_path = self.out_dir / shard_name(shard_id, shard_num, compress)
        self.partial_path = self.out_dir / (shard_name(shard_id, shard_num, False) + PARTIAL_SUFFIX)
        self.compress = compress
        self._handle = None
        self.written = 0

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
                    done.add(str(json.loads(raw)["id"]))
                except (ValueError, KeyError):
                    break
                good += len(raw)
        with open(self.partial_path, "r+b") as handle:
            handle.truncate(good)
        self.written = len(done)
        return done

    def write(self, doc_id: str, contents: str, vector: dict[str, int]) -> None:
        check_vector(vector, f"document {doc_id!r}")
        if self._handle is None:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            self._handle = open(self.partial_path, "a", encoding="utf-8")
        record = {"id": doc_id, "contents": contents, "vector": vector}
        self._handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.written += 1

    def flush(self) -> None:
        if self._handle is not None:
            self._handle.flush()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def finish(self) -> Path:
        """Make the shard visible under its final name (compressing it if asked)."""
        self.close()
        if not self.partial_path.exists():  # an empty shard
            self.out_dir.mkdir(parents=True, exist_ok=True)
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


def count_vectors(path: str | Path) -> int:
    """Documents in a JsonVectorCollection file or directory (finished shards only)."""
    path = Path(path)
    files = [path] if path.is_file() else sorted(p for p in path.iterdir()
                                                 if p.name.endswith((".jsonl", ".jsonl.gz", ".json")))
    total = 0
    for file in files:
        opener = gzip.open if file.suffix == ".gz" else open
        with opener(file, "rt", encoding="utf-8") as handle:
            total += sum(1 for line in handle if line.strip())
    return total
