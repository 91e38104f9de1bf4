"""CSPLADE term weights: ``w_j = max_i log(1 + ReLU(logit_ij))`` over the pooled positions i.

``chunked_max_pool`` projects a few positions at a time onto the vocabulary and keeps a running
max, so peak memory grows with batch x vocab instead of batch x length x vocab. Since
``log(1 + ReLU(.))`` is monotone, the max is taken over raw logits and the transform applied once to
the [batch, vocab] result. With ``checkpoint=True`` (training) each chunk's logits are recomputed in
the backward pass instead of being stored.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch.utils.checkpoint import checkpoint as _checkpoint

LogitFn = Callable[[torch.Tensor], torch.Tensor]


def _masked_chunk_max(head: LogitFn, hidden: torch.Tensor, pool_mask: torch.Tensor) -> torch.Tensor:
    logits = head(hidden)  # [B, c, V]
    blocked = ~pool_mask
    if torch.is_grad_enabled():
        logits = logits.masked_fill(blocked.unsqueeze(-1), float("-inf"))
    elif logits.is_contiguous():  # overwrite only the rows of unpooled positions, not the whole chunk
        rows = blocked.flatten().nonzero().squeeze(1)
        logits.view(-1, logits.shape[-1]).index_fill_(0, rows, float("-inf"))
    else:
        logits.masked_fill_(blocked.unsqueeze(-1), float("-inf"))
    return logits.amax(dim=1)


def saturate(max_logits: torch.Tensor) -> torch.Tensor:
    """log(1 + ReLU(x)) in float32."""
    return torch.log1p(torch.relu(max_logits.float()))


def chunked_max_pool(
    hidden: torch.Tensor,
    pool_mask: torch.Tensor,
    head: LogitFn,
    chunk_size: int = 32,
    checkpoint: bool = False,
) -> torch.Tensor:
    """[B, V] float32 weights from hidden states [B, L, H] and a bool ``pool_mask`` [B, L]."""
    running: torch.Tensor | None = None
    for start in range(0, hidden.shape[1], chunk_size):
        mask = pool_mask[:, start : start + chunk_size]
        if not bool(mask.any()):
            continue
        part = hidden[:, start : start + chunk_size]
        if checkpoint and torch.is_grad_enabled():
            chunk_max = _checkpoint(_masked_chunk_max, head, part, mask, use_reentrant=False)
        else:
            chunk_max = _masked_chunk_max(head, part, mask)
        running = chunk_max if running is None else torch.maximum(running, chunk_max)
    if running is None:  # nothing pooled in any row
        vocab = head(hidden[:1, :1]).shape[-1]
        return hidden.new_zeros((hidden.shape[0], vocab), dtype=torch.float32)
    return saturate(running)


def naive_max_pool(hidden: torch.Tensor, pool_mask: torch.Tensor, head: LogitFn) -> torch.Tensor:
    """The reference a user would write: full [B, L, V] logits, log1p-relu, masked max."""
    activations = torch.log1p(torch.relu(head(hidden).float()))
    return (activations * pool_mask.unsqueeze(-1)).amax(dim=1)
