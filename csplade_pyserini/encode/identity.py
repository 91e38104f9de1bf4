"""What an export records to say what it is: fingerprints of the encoder and of the corpus.

* weights: a sha256 over the name, shape and first :data:`WEIGHT_VALUES` values of every parameter of
  the loaded LM (values rounded to bfloat16, so that float32 and bfloat16 loads of one model agree);
* vocabulary: a sha256 over the Lucene terms of every output dimension (what an index built from the
  export can be searched with);
* corpus: its path relative to the export, its size in bytes, its non-empty lines and a sha256 of all of
  them (one streaming pass over the files, no JSON parsing: a few seconds for SciFact next to half an hour
  of encoding; an edited word anywhere changes it).

Paths are recorded relative to the export directory, so an export names no absolute path of the
machine that made it.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from ..formats.corpus import corpus_files
from ..formats.files import portable_reference, read_lines

if TYPE_CHECKING:
    import torch

WEIGHT_VALUES = 256


def weights_fingerprint(lm: torch.nn.Module) -> str:
    """sha256 (hex) over every parameter's name, shape and first values."""
    digest = hashlib.sha256()
    for name, parameter in lm.named_parameters():
        digest.update(f"{name}:{tuple(parameter.shape)}:".encode())
        digest.update(_first_values(parameter))
    return digest.hexdigest()


def _first_values(parameter: torch.Tensor) -> bytes:
    """The first values of a parameter as bfloat16 bytes; a quantized tensor type that cannot be viewed
    flat (torchao's) is dequantized first."""
    import torch

    tensor = parameter.detach()
    try:
        flat = tensor.reshape(-1)
    except (NotImplementedError, RuntimeError):
        flat = tensor.dequantize().reshape(-1)
    return flat[:WEIGHT_VALUES].to(torch.bfloat16).float().cpu().numpy().tobytes()


def vocabulary_fingerprint(terms: Sequence[str]) -> str:
    """sha256 (hex) over the term of every output dimension, in order."""
    return hashlib.sha256("\n".join(terms).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CorpusIdentity:
    """A corpus file or directory as an export records it."""

    path: str  # relative to the export directory
    bytes: int
    lines: int  # non-empty lines: the documents of a JSONL/TSV corpus
    sha256: str  # (hex) over every non-empty line, in order


def corpus_identity(corpus: str | Path, export_dir: str | Path) -> CorpusIdentity:
    """One pass over the corpus files (UTF-8 and gzip errors are FILE:LINE errors)."""
    files = corpus_files(corpus)
    lines = 0
    digest = hashlib.sha256()
    for file in files:
        for _, line in read_lines(file):
            if line.strip():
                lines += 1
                digest.update(line.rstrip("\r\n").encode("utf-8") + b"\n")
    return CorpusIdentity(path=portable_reference(corpus, export_dir),
                          bytes=sum(f.stat().st_size for f in files), lines=lines, sha256=digest.hexdigest())
