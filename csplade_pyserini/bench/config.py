"""BenchConfig: every size the benchmark uses, saved in its JSON so a table says how it was made.

Every field is a flag of ``csplade bench`` and a key of its ``--config`` file (:mod:`..options`). Two
presets: :meth:`BenchConfig.full` (the defaults: the real model, sized to finish in about 20 minutes on
two CPU cores) and :meth:`BenchConfig.smoke_test` (``--smoke``, :data:`SMOKE_SIZES`: seconds on a tiny
model; proves the pipeline end to end, its numbers mean nothing).
"""
from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from typing import Any

from ..core.config import VARIANTS
from ..errors import CspladeError
from ..loading.presets import DEFAULT_PRESET, find_preset
from ..loading.quantization import METHODS
from ..options import option

FAMILIES = ("throughput", "memory", "retrieval", "quantization")
PRECISIONS = ("float32", "bfloat16", *METHODS)
LLAMA3_VOCAB = 128256
FALLBACK_MODEL = "smollm2-135m"
SMOKE_SIZES: dict[str, Any] = dict(  # --smoke: every code path once, in seconds on a tiny model
    smoke=True, batch_sizes=[1, 2], lengths=[16, 32], chunk_sizes=[None, 8], memory_lengths=[32, 128],
    memory_vocabs=[32000, LLAMA3_VOCAB], memory_batch=2, memory_hidden=32, docs=40, queries=12, doc_length=32,
    latency_queries=4, quant_docs=40, quant_queries=12, batch_size=8, prune_k=[None, 16])


def default_model() -> str:
    """The ``csplade`` preset when it exists, else the raw base model."""
    return DEFAULT_PRESET if find_preset(DEFAULT_PRESET) is not None else FALLBACK_MODEL


@dataclass
class BenchConfig:
    """What ``csplade bench`` measures, and on how much data: one field per flag (``options``).

    The throughput grid encodes synthetic documents of exactly ``length`` tokens per copy; the peak-memory
    grid runs random 2-layer Llamas; the retrieval subset of ``dataset`` holds at most ``queries`` queries,
    all their relevant documents, then a seeded sample of the others up to ``docs``; the precision study
    uses its own smaller subset. Precisions that cannot run on ``device`` are listed as not measured.
    Names outside a closed set (parts, variants, precisions) are checked by :meth:`validate`, so a bad one
    is the same one-line error from a flag and from a ``--config`` file.
    """

    model: str = option("csplade", "model directory, preset or hub id (smollm2-135m when the csplade preset "
                        "is missing)", flags=["--encoder"])
    dataset: str = option("beir/scifact/test", "ir_datasets id")
    device: str = option("cpu", "cpu, cuda or cuda:N")
    dtype: str = option("auto", "precision of the main model (auto = bf16 on CUDA or a CPU with native bf16, "
                        "else float32)")
    threads: int | None = option(None, "torch threads (default: torch's)")
    repetitions: int = option(3, "timed repetitions per figure (the median is reported), after one warm-up")
    seed: int = option(0, "seed of the document sample")
    batch_size: int = option(16, "encoding batch size of the retrieval parts")
    families: list[str] = option(list(FAMILIES), f"parts to run: {' '.join(FAMILIES)}", flags=["--parts"],
                                 metavar="PART")
    variants: list[str] = option(list(VARIANTS), f"throughput variants: {' '.join(VARIANTS)}",
                                 metavar="VARIANT")
    batch_sizes: list[int] = option([1, 4], "throughput batch sizes", metavar="N")
    lengths: list[int] = option([128, 512], "throughput document lengths in tokens", metavar="TOKENS")
    chunk_sizes: list[int | None] = option([None, 128], "chunked-pooling chunk sizes timed ('model' = the "
                                           "model's pool_chunk_size)", none="model", metavar="SIZE")
    memory_vocabs: list[int | None] = option([None, LLAMA3_VOCAB], "peak-memory vocabulary sizes ('model' = "
                                             "the model's)", none="model", metavar="VOCAB")
    memory_lengths: list[int] = option([128, 512], "peak-memory lengths in tokens", metavar="TOKENS")
    memory_batch: int = option(4, "peak-memory batch size")
    memory_hidden: int = option(64, "hidden size of the peak-memory models")
    docs: int = option(500, "documents in the retrieval subset")
    queries: int = option(300, "queries in the retrieval subset (at most)")
    doc_length: int = option(128, "tokens per document for the encoder")
    latency_queries: int = option(64, "queries encoded one by one for the query latency")
    prune_k: list[int | None] = option([None, 64, 32, 16], "query top-k pruning levels ('all' = no pruning)",
                                       none="all", metavar="K")
    quant_docs: int = option(100, "documents in the precision-study subset")
    quant_queries: int = option(50, "queries in the precision-study subset (at most)")
    precisions: list[str] = option(list(PRECISIONS), "model precisions of the quantization study: "
                                   f"{' '.join(PRECISIONS)}", metavar="PRECISION")
    coarse_scale: float = option(10.0, "the coarse impact scale compared with the model's weight_scale and "
                                 "with 8-bit and 4-bit impacts")
    smoke: bool = option(False, "tiny sizes (every part runs in about a minute; its numbers only show that "
                         "it runs); size flags still apply")

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        if self.repetitions < 1:
            raise CspladeError(f"--repetitions must be >= 1, got {self.repetitions}")
        if not self.families:
            raise CspladeError(f"--parts needs at least one of {', '.join(FAMILIES)}")
        unknown = sorted(set(self.families) - set(FAMILIES))
        if unknown:
            raise CspladeError(f"unknown benchmark part(s) {', '.join(unknown)}; "
                               f"choose from {', '.join(FAMILIES)}")
        bad = sorted(set(self.variants) - set(VARIANTS))
        if bad:
            raise CspladeError(f"unknown variant(s) {', '.join(bad)}; choose from {', '.join(VARIANTS)}")
        bad = sorted(set(self.precisions) - set(PRECISIONS))
        if bad:
            raise CspladeError(f"unknown precision(s) {', '.join(bad)}; choose from {', '.join(PRECISIONS)}")
        for name in ("batch_sizes", "lengths", "memory_lengths"):
            if not getattr(self, name) or min(getattr(self, name)) < 1:
                raise CspladeError(f"--{name.replace('_', '-')} needs positive integers")
        for name in ("docs", "queries", "quant_docs", "quant_queries", "doc_length", "latency_queries",
                     "memory_batch", "memory_hidden", "batch_size"):
            if getattr(self, name) < 1:
                raise CspladeError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(self, name)}")
        if any(k is not None and k < 1 for k in self.prune_k):
            raise CspladeError("--prune-k values must be >= 1 (or 'all')")
        if self.coarse_scale <= 0:
            raise CspladeError(f"--coarse-scale must be > 0, got {self.coarse_scale}")

    @classmethod
    def full(cls, **changes: Any) -> "BenchConfig":
        return cls(**changes)

    @classmethod
    def smoke_test(cls, **changes: Any) -> "BenchConfig":
        """Tiny sizes: every code path once, in seconds on a tiny model."""
        return cls(**{**copy.deepcopy(SMOKE_SIZES), **changes})

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
