"""Numeric precision of an encoder: float32/bfloat16/float16, auto, or a quantization method.

``auto`` picks bfloat16 on CUDA and on CPUs with native bf16 matmuls (AVX512-BF16 / AMX), float32
elsewhere: on an AVX2-only CPU bf16 matmuls are emulated and several times slower than float32. The
quantization methods (``torch-int8``, ``bnb-int8``, ``bnb-nf4``, ``bnb-fp4``, ``torchao-int8wo``,
``torchao-int4wo``, ``torchao-int8dq``: :mod:`.quantization`) compute in the ``auto`` float dtype
around their quantized weights (``torch-int8``: float32).
"""
from __future__ import annotations

from pathlib import Path

import torch

from ..errors import CspladeError
from .quantization import METHODS, check_available

FLOAT_DTYPES = {"float32": torch.float32, "fp32": torch.float32, "bfloat16": torch.bfloat16,
                "bf16": torch.bfloat16, "float16": torch.float16, "fp16": torch.float16}
CHOICES = ("float32", "bfloat16", "float16", "auto", *METHODS)


def cpu_has_native_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_precision(precision: str | torch.dtype | None, device: str = "cpu") -> str:
    """A canonical precision name (a float dtype's or a quantization method's) for ``device``."""
    if precision is None:
        return "float32"
    if isinstance(precision, torch.dtype):
        names = {v: k for k, v in FLOAT_DTYPES.items() if len(k) > 4}
        return names[precision]
    if precision == "auto":
        native = device.startswith("cuda") or cpu_has_native_bf16()
        return "bfloat16" if native else "float32"
    if precision in METHODS:
        check_available(precision, device)
        return precision
    if precision not in FLOAT_DTYPES:
        raise CspladeError(f"unknown dtype {precision!r}; choose one of {', '.join(CHOICES)}")
    return {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}.get(precision, precision)


def load_dtype(precision: str, device: str = "cpu") -> torch.dtype:
    """The float dtype weights are loaded and computed in (around quantized weights: ``auto``'s)."""
    if precision == "torch-int8":
        return torch.float32
    if precision in METHODS:
        return FLOAT_DTYPES[resolve_precision("auto", device)]
    return FLOAT_DTYPES[precision]
