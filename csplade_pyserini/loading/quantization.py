"""Weight quantization of a loaded (adapters merged) causal LM, with the libraries the paper used.

| method | library | what it does |
|---|---|---|
| ``torch-int8`` | torch | dynamic int8: per-tensor int8 weights, activations quantised per batch (CPU) |
| ``bnb-int8`` | bitsandbytes | LLM.int8(): int8 weights, outlier columns kept in 16 bit |
| ``bnb-nf4`` / ``bnb-fp4`` | bitsandbytes | 4-bit NormalFloat / float weights (block-wise), bf16 compute |
| ``torchao-int8wo`` | torchao | int8 weight-only (per-channel), activations stay in float |
| ``torchao-int4wo`` | torchao | int4 weight-only (group size 32) |
| ``torchao-int8dq`` | torchao | int8 dynamic activations + int8 weights |

Every method quantizes the transformer's linear layers and leaves the LM head (the vocabulary
projection every CSPLADE weight comes from, tied to the input embedding in SmolLM2) in the float
compute dtype. bitsandbytes quantizes at load time, so the merged model is saved to a temporary
directory and reloaded through transformers' ``BitsAndBytesConfig``; torchao quantizes in place with
``quantize_``. The quantized model runs one two-token forward pass before it is returned, so a method the
library cannot run on this device (or for this model's shapes) is a one-line error at load time naming
the library's own message, never a failure in the middle of an encoding.
"""
from __future__ import annotations

import importlib.util
import tempfile
import warnings
from typing import TYPE_CHECKING, Any

from ..errors import CspladeError

if TYPE_CHECKING:  # torch is imported where it is used: METHODS stays importable by light modules
    import torch

METHODS = ("torch-int8", "bnb-int8", "bnb-nf4", "bnb-fp4", "torchao-int8wo", "torchao-int4wo", "torchao-int8dq")
LIBRARIES = {"torch": "torch", "bnb": "bitsandbytes", "torchao": "torchao"}


def library(method: str) -> str:
    return LIBRARIES[method.split("-", 1)[0]]


def check_available(method: str, device: str) -> None:
    """One-line error when ``method``'s library is missing or cannot run on ``device``."""
    if method not in METHODS:
        raise CspladeError(f"unknown quantization {method!r}; choose one of {', '.join(METHODS)}")
    name = library(method)
    if importlib.util.find_spec(name) is None:
        raise CspladeError(f"--dtype {method} needs the {name} package: pip install {name}")
    if method == "torch-int8" and device != "cpu":
        raise CspladeError("torch-int8 dynamic quantization runs on the CPU only (use --device cpu)")


def quantize(lm: torch.nn.Module, method: str, device: str, compute_dtype: torch.dtype) -> torch.nn.Module:
    """``lm`` with its linear layers (not the LM head) quantized by ``method``."""
    import torch

    check_available(method, device)
    try:
        if method == "torch-int8":
            quantized = _torch_int8(lm)
        elif method.startswith("bnb-"):
            quantized = _bitsandbytes(lm, method, device, compute_dtype)
        else:
            quantized = _torchao(lm, method)
        with torch.inference_mode():  # some kernels fail only when called (bitsandbytes 4-bit on tiny layers)
            quantized(input_ids=torch.tensor([[0, 1]], device=device), use_cache=False)
        return quantized
    except CspladeError:
        raise
    except Exception as exc:  # noqa: BLE001 - the library's own reason, as one line
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CspladeError(f"--dtype {method}: {library(method)} cannot quantize this model on {device}: "
                           f"{type(exc).__name__}: {first}") from None


def _torch_int8(lm: torch.nn.Module) -> torch.nn.Module:
    import torch

    head = lm.get_output_embeddings()
    names = {name for name, module in lm.named_modules() if isinstance(module, torch.nn.Linear) and module is not head}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch marks its quantized tensors as deprecated
        return torch.ao.quantization.quantize_dynamic(lm.float(), names, dtype=torch.qint8)


def _bitsandbytes(lm: torch.nn.Module, method: str, device: str,
                  compute_dtype: torch.dtype) -> torch.nn.Module:
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    head = [name for name, module in lm.named_modules() if module is lm.get_output_embeddings()]
    if method == "bnb-int8":
        config = BitsAndBytesConfig(load_in_8bit=True, llm_int8_skip_modules=head)
    else:
        config = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type=method.removeprefix("bnb-"),
                                    bnb_4bit_compute_dtype=compute_dtype, llm_int8_skip_modules=head)
    with tempfile.TemporaryDirectory(prefix="csplade-bnb-") as folder:
        lm.save_pretrained(folder)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # bitsandbytes notes that inputs are cast for its kernels
            quantized = AutoModelForCausalLM.from_pretrained(folder, quantization_config=config, device_map=device,
                                                             dtype=compute_dtype)
    return quantized.eval()


def _torchao(lm: torch.nn.Module, method: str) -> torch.nn.Module:
    import torch
    from torchao.quantization import (
        Int4WeightOnlyConfig,
        Int8DynamicActivationInt8WeightConfig,
        Int8WeightOnlyConfig,
        quantize_,
    )

    config = {"torchao-int8wo": Int8WeightOnlyConfig(), "torchao-int4wo": Int4WeightOnlyConfig(group_size=32),
              "torchao-int8dq": Int8DynamicActivationInt8WeightConfig()}[method]
    head = lm.get_output_embeddings()
    quantize_(lm, config, filter_fn=lambda module, name: isinstance(module, torch.nn.Linear) and module is not head)
    return lm.eval()


def weight_bytes(module: torch.nn.Module) -> int:
    """Bytes of the tensors in ``module.state_dict()`` (tied weights once; quantized tensors at their packed
    size, their scales included)."""
    seen: set[tuple[int, int]] = set()
    return sum(_tensor_bytes(value, seen) for value in module.state_dict().values())


def _tensor_bytes(value: Any, seen: set[tuple[int, int]]) -> int:
    import torch

    if isinstance(value, (tuple, list)):
        return sum(_tensor_bytes(item, seen) for item in value)
    if not isinstance(value, torch.Tensor):
        return 0
    if hasattr(value, "__tensor_flatten__"):  # a torchao tensor subclass: its inner data and scales
        names, _ = value.__tensor_flatten__()
        return sum(_tensor_bytes(getattr(value, name), seen) for name in names)
    key = (value.data_ptr(), value.numel())
    if key in seen:
        return 0
    seen.add(key)
    return value.numel() * value.element_size()
