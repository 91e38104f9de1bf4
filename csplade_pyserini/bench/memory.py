"""Peak memory of chunked vs naive pooling, one fresh process per configuration.

Chunked pooling holds ``[B, chunk, V]`` logits and the ``[B, V]`` running max, so its peak grows
with batch x vocabulary and not with length; the naive path holds ``[B, L, V]`` logits and its
elementwise temporaries, so its peak grows with batch x length x vocabulary. Each configuration runs
:mod:`.memory_probe` in a new interpreter on random hidden states and a random LM head of the
given vocabulary size (the LM forward before pooling is the same for both paths). On the CPU the
child pins glibc's mmap threshold, so that every freed tensor goes back to the OS and each
repetition's peak RSS counts only the memory it needed.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from tqdm import tqdm

from ..errors import CspladeError
from .parallel import in_parallel
from .timing import median

MIB = 1024 * 1024
ALLOCATOR_ENV = {"MALLOC_MMAP_THRESHOLD_": "65536", "MALLOC_TRIM_THRESHOLD_": "0"}


def run_child(module: str, spec: dict[str, Any], what: str) -> dict[str, Any]:
    """``python -m module SPEC`` in a fresh interpreter whose freed memory goes back to the OS at once; its last
    stdout line as JSON (a failure: one line naming ``what``)."""
    env = {**os.environ, **ALLOCATOR_ENV, "TOKENIZERS_PARALLELISM": "false"}
    result = subprocess.run([sys.executable, "-m", module, json.dumps(spec)], capture_output=True, text=True,
                            env=env)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise CspladeError(f"{what} failed: {last}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_probe(spec: dict[str, Any]) -> dict[str, Any]:
    return run_child("csplade_pyserini.bench.memory_probe", spec,
                     f"memory probe {spec['method']} vocab {spec['vocab']} length {spec['length']}")


def run_memory(vocabs: list[int], lengths: list[int], batch: int, hidden: int, chunk: int, dtype: str,
               device: str, repetitions: int, workers: int = 1) -> dict[str, Any]:
    """One row per (vocabulary, length, method); ``workers`` probes may run at once (each process
    measures only itself; keep 1 where large naive configurations could exhaust memory)."""
    rows = []
    itemsize = 2 if dtype in ("bfloat16", "float16") else 4
    grid = [(v, n, m) for v in vocabs for n in lengths for m in ("chunked", "naive")]
    specs = [{"vocab": vocab, "hidden": hidden, "length": length, "batch": batch, "method": method,
              "chunk": chunk, "dtype": dtype, "device": device, "repetitions": repetitions}
             for vocab, length, method in grid]
    with tqdm(total=len(specs), desc="memory", unit="process") as progress:
        def probe(spec: dict[str, Any]) -> dict[str, Any]:
            result = run_probe(spec)
            progress.update()
            return result

        probes = in_parallel(probe, specs, workers)
    for (vocab, length, method), result in zip(grid, probes):
        peaks = result["peaks_bytes"]
        peak = median(peaks)
        rows.append({
            "vocab": vocab, "length": length, "batch": batch, "method": method, "peak_mib": peak / MIB,
            "repetitions_mib": [p / MIB for p in peaks],
            "per_batch_vocab": peak / (batch * vocab * itemsize),
            "per_batch_length_vocab": peak / (batch * length * vocab * itemsize),
            "logits_mib": batch * (min(chunk, length) if method == "chunked" else length) * vocab
            * itemsize / MIB,
        })
    for row in rows:
        naive = next(r for r in rows if (r["vocab"], r["length"], r["method"]) ==
                     (row["vocab"], row["length"], "naive"))
        row["naive_over_this"] = naive["peak_mib"] / row["peak_mib"] if row["peak_mib"] > 0 else None
    measure = "torch.cuda.max_memory_allocated" if device.startswith("cuda") else "peak RSS (VmHWM)"
    return {"rows": rows, "measure": measure, "hidden": hidden, "chunk": chunk, "dtype": dtype}
