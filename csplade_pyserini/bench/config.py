"""BenchConfig: every size the benchmark uses, saved in its JSON so a table says how it was made.

Two presets: :meth:`BenchConfig.full` (the real model, sized to finish in about 20 minutes on two
CPU cores) and :meth:`BenchConfig.smoke` (seconds on a tiny model: proves the pipeline end to end,
its numbers mean nothing).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from ..core.config import VARIANTS
from ..errors import CspladeError

FAMILIES = ("throughput", "memory", "retrieval", "quantization")
PRECISIONS = ("float32", "bfloat16", "int8", "bnb-int8", "bnb-int4", "torchao-int8wo")
LLAMA3_VOCAB = 128256


@dataclass
class BenchConfig:
    """What ``csplade bench`` measures, and on how much data.

    dtype: the precision of the main model (throughput, retrieval); ``auto`` = bf16 on CUDA or on a
        CPU with native bf16, else float32.
    repetitions: timed repetitions per figure (the median is reported), after one warm-up.
    variants / batch_sizes / lengths: the encoding-throughput grid (synthetic documents of exactly
        ``length`` tokens per copy); chunk_sizes: chunked-pooling chunk sizes timed (None = the
        model's ``pool_chunk_size``).
    memory_vocabs / memory_lengths / memory_batch: peak-memory grid on random 2-layer Llamas
        (hidden ``memory_hidden``); a vocabulary of None means the model's own.
    docs / queries: the effectiveness subset of ``dataset`` (at most ``queries`` queries, all their
        relevant documents, then a seeded sample of the others up to ``docs``); doc_length: tokens
        per document given to the encoder.
    latency_queries: queries encoded one at a time for the query-encoding latency.
    prune_k: query top-k pruning levels (None = all terms).
    quant_docs / quant_queries: the (smaller) subset of the model-precision study.
    precisions: model precisions compared (those that cannot run on ``device`` are listed as not
        measured); coarse_scale: the coarse impact scale compared with the
        model's ``weight_scale`` and with 8-bit and 4-bit impacts.
    """

    model: str = "csplade"
    dataset: str = "beir/scifact/test"
    device: str = "cpu"
    dtype: str = "auto"
    threads: int | None = None
    repetitions: int = 3
    seed: int = 0
    batch_size: int = 16
    families: list[str] = field(default_factory=lambda: list(FAMILIES))
    variants: list[str] = field(default_factory=lambda: list(VARIANTS))
    batch_sizes: list[int] = field(default_factory=lambda: [1, 4])
    lengths: list[int] = field(default_factory=lambda: [128, 512])
    chunk_sizes: list[int | None] = field(default_factory=lambda: [None, 128])
    memory_vocabs: list[int | None] = field(default_factory=lambda: [None, LLAMA3_VOCAB])
    memory_lengths: list[int] = field(default_factory=lambda: [128, 512])
    memory_batch: int = 4
    memory_hidden: int = 64
    docs: int = 500
    queries: int = 300
    doc_length: int = 128
    latency_queries: int = 64
    prune_k: list[int | None] = field(default_factory=lambda: [None, 64, 32, 16])
    quant_docs: int = 100
    quant_queries: int = 50
    precisions: list[str] = field(default_factory=lambda: list(PRECISIONS))
    coarse_scale: float = 10.0
    smoke: bool = False

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
        sizes: dict[str, Any] = dict(
            smoke=True, batch_sizes=[1, 2], lengths=[16, 32], chunk_sizes=[None, 8], memory_lengths=[32, 128],
            memory_vocabs=[32000, LLAMA3_VOCAB],
            memory_batch=2, memory_hidden=32, docs=40, queries=12, doc_length=32, latency_queries=4,
            quant_docs=40, quant_queries=12, batch_size=8, prune_k=[None, 16])
        return cls(**{**sizes, **changes})

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
