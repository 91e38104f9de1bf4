"""CSPLADE term weights: ``w_j = max_i log(1 + ReLU(logit_ij))`` over the pooled positions i.

``chunked_max_pool`` gathers the pooled positions of the whole batch once into one contiguous [N, H]
matrix (no padding, prefix or ECHO first copy), projects ``chunk_size x B`` of those rows at a time onto
the vocabulary (one plain matrix product: a strided [B, c, H] slice would make the projection copy the
head's weight for a batched product) and keeps a running max per text. Peak memory grows with batch x
vocab instead of batch x length x vocab, and only pooled positions cost a projection. Since
``log(1 + ReLU(.))`` is monotone, the max is taken over raw logits and the transform applied once to the
[batch, vocab] result. With ``checkpoint=True`` (training) each chunk's logits are recomputed in the
backward pass instead of being stored.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch.utils.checkpoint import checkpoint as _checkpoint

LogitFn = Callable[[torch.Tensor], torch.Tensor]


def _segment_max(head: LogitFn, rows: torch.Tensor, bounds: tuple[int, ...]) -> torch.Tensor:
    """[k, V] max logits of the k consecutive segments of ``rows`` [n, H] ending at ``bounds``."""
    logits = head(rows)
    starts = (0, *bounds[:-1])
    return torch.stack([logits[start:end].amax(dim=0) for start, end in zip(starts, bounds)])


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
    batch = hidden.shape[0]
    rows = hidden[pool_mask]  # [N, H], row-major: each text's pooled positions are consecutive
    counts = pool_mask.sum(dim=1).tolist()
    if not rows.shape[0]:  # nothing pooled in any row
        vocab = head(hidden[:1, 0]).shape[-1]
        return hidden.new_zeros((batch, vocab), dtype=torch.float32)
    ends = torch.tensor(counts).cumsum(0).tolist()
    owners = [b for b in range(batch) if counts[b]]
    running: dict[int, torch.Tensor] = {}
    step = max(1, chunk_size * batch)
    for start in range(0, rows.shape[0], step):
        stop = min(start + step, rows.shape[0])
        inside = [b for b in owners if ends[b] > start and ends[b] - counts[b] < stop]  # texts in this chunk
        bounds = tuple(min(ends[b], stop) - start for b in inside)
        part = rows[start:stop]
        if checkpoint and torch.is_grad_enabled():
            maxima = _checkpoint(_segment_max, head, part, bounds, use_reentrant=False)
        else:
            maxima = _segment_max(head, part, bounds)
        for b, value in zip(inside, maxima):
            running[b] = value if b not in running else torch.maximum(running[b], value)
    floor = torch.full_like(next(iter(running.values())), float("-inf"))
    return saturate(torch.stack([running.get(b, floor) for b in range(batch)]))


def naive_max_pool(hidden: torch.Tensor, pool_mask: torch.Tensor, head: LogitFn) -> torch.Tensor:
    """The reference a user would write: full [B, L, V] logits, log1p-relu, masked max."""
    activations = torch.log1p(torch.relu(head(hidden).float()))
    return (activations * pool_mask.unsqueeze(-1)).amax(dim=1)
