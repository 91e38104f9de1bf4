"""Numeric precision of an encoder: float32/bfloat16/float16, int8 dynamic quantisation, or auto.

``auto`` picks bfloat16 on CUDA and on CPUs with native bf16 matmuls (AVX512-BF16 / AMX), float32
elsewhere: on an AVX2-only CPU bf16 matmuls are emulated and several times slower than float32.
``int8`` (CPU) loads float32 and swaps every ``nn.Linear`` (LM head included) for torch's dynamically
quantised int8 version: int8 weights, activations quantised per batch.
"""
from __future__ import annotations

from pathlib import Path

import torch

from ..errors import CspladeError

FLOAT_DTYPES = {"float32": torch.float32, "fp32": torch.float32, "bfloat16": torch.bfloat16,
                "bf16": torch.bfloat16, "float16": torch.float16, "fp16": torch.float16}
CHOICES = ("float32", "bfloat16", "float16", "int8", "auto")


def cpu_has_native_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_precision(precision: str | torch.dtype | None, device: str = "cpu") -> str:
    """A canonical precision name ('float32', 'bfloat16', 'float16' or 'int8') for ``device``."""
    if precision is None:
        return "float32"
    if isinstance(precision, torch.dtype):
        names = {v: k for k, v in FLOAT_DTYPES.items() if len(k) > 4}
        return names[precision]
    if precision == "auto":
        native = device.startswith("cuda") or cpu_has_native_bf16()
        return "bfloat16" if native else "float32"
    if precision == "int8":
        if device != "cpu":
            raise CspladeError("int8 dynamic quantisation runs on the CPU only (use --device cpu)")
        return "int8"
    if precision not in FLOAT_DTYPES:
        raise CspladeError(f"unknown dtype {precision!r}; choose one of {', '.join(CHOICES)}")
    return {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}.get(precision, precision)


def load_dtype(precision: str) -> torch.dtype:
    """The dtype weights are loaded in (int8 quantises a float32 model)."""
    return torch.float32 if precision == "int8" else FLOAT_DTYPES[precision]


def quantize_int8(lm: torch.nn.Module) -> torch.nn.Module:
    """Dynamic int8 quantisation of every Linear layer (CPU inference only)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch marks its quantized tensors as deprecated
        return torch.ao.quantization.quantize_dynamic(lm, {torch.nn.Linear}, dtype=torch.qint8)
