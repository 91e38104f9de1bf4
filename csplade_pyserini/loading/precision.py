"""Numeric precision of an encoder: float32/bfloat16/float16, auto, or a quantization method.

``auto`` picks bfloat16 on CUDA and on CPUs with native bf16 matmuls (AVX512-BF16 / AMX), float32
elsewhere: on an AVX2-only CPU bf16 matmuls are emulated and several times slower than float32. The
quantization methods (``torch-int8``, ``bnb-int8``, ``bnb-nf4``, ``bnb-fp4``, ``torchao-int8wo``,
``torchao-int4wo``, ``torchao-int8dq``: :mod:`.quantization`) compute in the ``auto`` float dtype
around their quantized weights (``torch-int8``: float32).
"""
from __future__ import annotations

import platform
from pathlib import Path

import torch

from ..errors import CspladeError
from .quantization import METHODS, check_available

FLOAT_DTYPES = {"float32": torch.float32, "fp32": torch.float32, "bfloat16": torch.bfloat16,
                "bf16": torch.bfloat16, "float16": torch.float16, "fp16": torch.float16}
CHOICES = ("float32", "bfloat16", "float16", "auto", *METHODS)


def _cpuinfo() -> str:
    try:
        return Path("/proc/cpuinfo").read_text()
    except OSError:
        return ""


def cpu_model() -> str:
    for line in _cpuinfo().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def cpu_features() -> list[str]:
    """The vector extensions that decide CPU matmul speed (AVX2, AVX-512, native bf16, AMX)."""
    flags = set(_cpuinfo().split())
    return [f for f in ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_int8") if f in flags]


def cpu_has_native_bf16() -> bool:
    return bool({"avx512_bf16", "amx_bf16"} & set(cpu_features()))


def cpu_signature() -> str:
    """What CPU speed depends on, in one line: model, vector extensions, torch threads (speeds measured
    under different signatures are not comparable)."""
    features = " ".join(cpu_features()) or "no AVX2"
    return f"{cpu_model()} ({features}), {torch.get_num_threads()} threads"


def device_signature(device: str | torch.device) -> str:
    """:func:`cpu_signature` on the CPU, the GPU's name on CUDA."""
    device = torch.device(device)
    return torch.cuda.get_device_name(device) if device.type == "cuda" else cpu_signature()


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
