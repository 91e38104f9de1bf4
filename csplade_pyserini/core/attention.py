"""Bidirectional attention for the ``bi`` variant: the causal mask removed from a decoder.

A 4D additive mask of zeros over real tokens makes both ``eager`` and ``sdpa`` attention bidirectional
(padding keys stay hidden). :func:`bidirectional` also clears ``is_causal`` on the attention modules
for the duration of one forward pass (kernels that take no mask read that flag) and restores it, so
the LM a caller passed in is left as it was. Only the model types in :data:`TESTED_MODEL_TYPES` are
accepted: on others the switch is untested and is refused, loudly (as Tevatron gates its patches).
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import torch

from ..errors import CspladeError

TESTED_MODEL_TYPES = ("llama", "mistral", "qwen2", "gpt2")


def check_bidirectional(lm: torch.nn.Module) -> None:
    """Refuse a model type on which the bidirectional switch has not been tested."""
    model_type = getattr(getattr(lm, "config", None), "model_type", None)
    if model_type not in TESTED_MODEL_TYPES:
        raise CspladeError(f"variant bi is tested only on model types {', '.join(TESTED_MODEL_TYPES)}; "
                           f"{model_type!r} may silently stay causal (use causal or echo)")


@contextmanager
def bidirectional(lm: torch.nn.Module) -> Iterator[None]:
    """``is_causal`` cleared on every attention module inside the block, restored after it."""
    changed = [module for module in lm.modules() if getattr(module, "is_causal", False) is True]
    for module in changed:
        module.is_causal = False
    try:
        yield
    finally:
        for module in changed:
            module.is_causal = True


def bidirectional_attention_mask(padding: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """[B, 1, L, L] additive mask: every real token sees every real token; padding keys are hidden."""
    blocked = ~padding[:, None, None, :]
    mask = torch.zeros(padding.shape[0], 1, padding.shape[1], padding.shape[1], dtype=dtype,
                       device=padding.device)
    return mask.masked_fill(blocked, torch.finfo(dtype).min)
