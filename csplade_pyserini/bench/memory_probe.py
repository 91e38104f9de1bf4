"""Child process of the peak-memory benchmark: one configuration, fresh interpreter, JSON on stdout.

``python -m csplade_pyserini.bench.memory_probe '{"vocab": ..., "method": "chunked", ...}'`` makes
random hidden states ``[batch, length, hidden]`` and a random vocabulary projection (the LM head),
pools once as a warm-up and then ``repetitions`` more times, each measured as the peak above the
memory in use just before it: peak RSS on the CPU (the kernel's high-water mark, reset through
``/proc/self/clear_refs``), ``torch.cuda.max_memory_allocated`` on a GPU. Only torch is imported, so
a probe starts in a second or two.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import torch

from ..core.pooling import chunked_max_pool, naive_max_pool

STATUS = Path("/proc/self/status")


def _status_kib(field: str) -> int:
    match = re.search(rf"^{field}:\s+(\d+) kB", STATUS.read_text(), re.MULTILINE)
    if match is None:
        raise RuntimeError(f"{STATUS} has no {field}")
    return int(match.group(1))


def reset_peak(device: str) -> int:
    """Reset the peak counter; returns the bytes in use now."""
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        return torch.cuda.memory_allocated()
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
    return _status_kib("VmRSS") * 1024


def read_peak(device: str) -> int:
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        return torch.cuda.max_memory_allocated()
    return _status_kib("VmHWM") * 1024


def probe(spec: dict) -> dict:
    device, method, dtype = spec["device"], spec["method"], getattr(torch, spec["dtype"])
    batch, length = spec["batch"], spec["length"]
    generator = torch.Generator().manual_seed(0)
    head = torch.nn.Linear(spec["hidden"], spec["vocab"], bias=False).to(device=device, dtype=dtype)
    hidden = torch.randn(batch, length, spec["hidden"], generator=generator).to(device=device, dtype=dtype)
    pool_mask = torch.ones(batch, length, dtype=torch.bool, device=device)
    pool_mask[:, 0] = False  # as in real inputs: position 0 is never pooled

    def encode() -> torch.Tensor:
        if method == "naive":
            return naive_max_pool(hidden, pool_mask, head)
        return chunked_max_pool(hidden, pool_mask, head, spec["chunk"])

    peaks = []
    with torch.inference_mode():
        encode()
        for _ in range(spec["repetitions"]):
            before = reset_peak(device)
            weights = encode()
            peaks.append(read_peak(device) - before)
            del weights
    return {"peaks_bytes": peaks}


if __name__ == "__main__":
    print(json.dumps(probe(json.loads(sys.argv[1]))))
