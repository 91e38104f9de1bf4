"""Sparse vectors from [B, V] weights: the ids and weights kept for one side (top-k, threshold)."""
from __future__ import annotations

import torch

SparseVector = tuple[list[int], list[float]]  # token ids and their float weights, largest first


def sparsify(weights: torch.Tensor, top_k: int | None, threshold: float) -> list[SparseVector]:
    """Per row: ids and weights above ``threshold``, the ``top_k`` largest, sorted descending."""
    weights = weights.float()
    kept = (weights > max(threshold, 0.0)).sum(dim=1)
    k = int(kept.max()) if kept.numel() else 0
    if top_k is not None:
        k = min(k, top_k)
    values, ids = weights.topk(k, dim=1)
    counts = kept.clamp(max=k).tolist()
    return [(row_ids[:n], row_values[:n])
            for row_ids, row_values, n in zip(ids.tolist(), values.tolist(), counts)]
