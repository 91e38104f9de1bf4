"""Losses of both training phases and the sparsity statistics logged next to them.

Adaptation (paper Eq. 2): ``L = L_CLM + lambda_relu * L_ReLU`` from one forward pass.
``L_CLM`` is next-token cross-entropy on the raw logits H. ``L_ReLU`` is the *same* cross-entropy, with
the same targets, computed on the saturated activations ``log(1 + ReLU(H))`` used as if they were
logits. To lower it, the activation of the true next token must stay positive and above the others,
so the log-saturated vocabulary activations - the ones max-pooled into CSPLADE vectors - cannot all die
(the "dying ReLU" collapse of contrastive training started from a raw causal LM).

Contrastive: InfoNCE over dot products (in-batch + hard negatives, temperature), FLOPS (Paria et al.
2020: sum over terms of the squared batch-mean activation) on queries and documents with SPLADE's
quadratic warm-up, and an optional L1 on queries.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

IGNORE = -100


# -- adaptation ---------------------------------------------------------------------------------------
@dataclass
class AdaptationLoss:
    """Sums over the predicted positions (divide by ``count`` for means) and activation statistics."""

    clm: torch.Tensor
    relu: torch.Tensor
    count: torch.Tensor
    zero_fraction: torch.Tensor  # over predicted positions: share of allowed entries with log1p(relu) == 0
    pooled_terms: torch.Tensor  # per sequence: non-zero allowed entries of the max over its positions

    def total(self, lambda_relu: float) -> torch.Tensor:
        count = self.count.clamp(min=1)
        return self.clm / count + lambda_relu * self.relu / count


def _chunk(head: Callable[[torch.Tensor], torch.Tensor], hidden: torch.Tensor, targets: torch.Tensor,
           keep: torch.Tensor, allowed: torch.Tensor):
    """Losses of positions [B, c], plus (detached) zero counts and per-sequence max logits [B, V]."""
    logits = head(hidden).float()  # [B, c, V]
    flat, flat_targets = logits.reshape(-1, logits.shape[-1]), targets.reshape(-1)
    clm = F.cross_entropy(flat, flat_targets, ignore_index=IGNORE, reduction="sum")
    relu = F.cross_entropy(torch.log1p(torch.relu(flat)), flat_targets, ignore_index=IGNORE, reduction="sum")
    with torch.no_grad():
        detached = logits.detach()
        zeros = ((detached <= 0) & allowed & keep.unsqueeze(-1)).sum(dtype=torch.float64)
        pooled = detached.masked_fill(~keep.unsqueeze(-1), float("-inf")).amax(dim=1)
    return clm, relu, zeros, pooled


def adaptation_loss(
    hidden: torch.Tensor,
    targets: torch.Tensor,
    stat_mask: torch.Tensor,
    head: Callable[[torch.Tensor], torch.Tensor],
    allowed: torch.Tensor,
    chunk_size: int = 1024,
) -> AdaptationLoss:
    """L_CLM and L_ReLU sums for hidden states [B, L, H] whose position p predicts ``targets[b, p]``.

    ``targets`` holds ``IGNORE`` where nothing is predicted; ``stat_mask`` [B, L] marks the real-token
    positions over which the activation statistics are taken (over the ``allowed`` vocabulary entries,
    the ones that can become index terms). The vocabulary projection runs over about ``chunk_size``
    positions (B x a slice of the length) at a time and is recomputed in the backward pass (activation
    checkpointing), so memory never holds [B, L, V] logits.
    """
    batch, length, _ = hidden.shape
    step = max(1, chunk_size // batch)
    clm = hidden.new_zeros((), dtype=torch.float32)
    relu = hidden.new_zeros((), dtype=torch.float32)
    zeros = torch.zeros((), dtype=torch.float64, device=hidden.device)
    pooled = torch.full((batch, allowed.shape[0]), float("-inf"), device=hidden.device)
    for start in range(0, length, step):
        part = slice(start, start + step)
        if not bool((targets[:, part] != IGNORE).any() or stat_mask[:, part].any()):
            continue
        args = (head, hidden[:, part], targets[:, part], stat_mask[:, part], allowed)
        if torch.is_grad_enabled():
            c, r, z, p = checkpoint(_chunk, *args, use_reentrant=False)
        else:
            c, r, z, p = _chunk(*args)
        clm, relu, zeros = clm + c, relu + r, zeros + z
        pooled = torch.maximum(pooled, p)
    positions = stat_mask.sum().clamp(min=1) * allowed.sum()
    pooled_terms = ((pooled > 0) & allowed).sum(dim=1).float()
    count = (targets != IGNORE).sum()
    return AdaptationLoss(clm, relu, count, (zeros / positions).float(), pooled_terms)


def next_token_targets(input_ids: torch.Tensor, padding_mask: torch.Tensor) -> torch.Tensor:
    """CLM targets: position p predicts token p+1 (when p+1 is a real token)."""
    targets = torch.full_like(input_ids, IGNORE)
    targets[:, :-1] = input_ids[:, 1:].masked_fill(~padding_mask[:, 1:], IGNORE)
    return targets


def mask_for_mntp(input_ids: torch.Tensor, padding_mask: torch.Tensor, mask_id: int,
                  probability: float) -> tuple[torch.Tensor, torch.Tensor]:
    """MNTP (LLM2Vec): replace a random ``probability`` share of real tokens (never position 0) by
    ``mask_id``; the position *before* each masked token predicts the original token.

    Returns (masked input ids, targets: IGNORE except just before masked tokens). Uses torch's global
    generator, which the training loop reseeds every step.
    """
    masked = (torch.rand(input_ids.shape, device=input_ids.device) < probability) & padding_mask
    masked[:, 0] = False
    targets = torch.full_like(input_ids, IGNORE)
    targets[:, :-1] = input_ids[:, 1:].masked_fill(~masked[:, 1:], IGNORE)
    return input_ids.masked_fill(masked, mask_id), targets


# -- contrastive --------------------------------------------------------------------------------------
def keep_top_k(weights: torch.Tensor, k: int | None) -> torch.Tensor:
    """Zero all but the k largest weights of each row; gradients flow only into the kept entries."""
    if k is None or k >= weights.shape[1]:
        return weights
    values, ids = weights.topk(k, dim=1)
    return torch.zeros_like(weights).scatter(1, ids, values)


def info_nce(queries: torch.Tensor, docs: torch.Tensor, positives: torch.Tensor, temperature: float = 1.0,
             candidates: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Cross-entropy of each query's positive among its candidate documents.

    queries [Q, V], docs [D, V]; ``positives`` [Q] indexes each query's positive in ``docs``;
    ``candidates`` [Q, D] bool restricts which documents a query is scored against (None = all, the
    in-batch setting). Returns (mean loss, [Q, D] scores).
    """
    scores = queries @ docs.T
    logits = scores / temperature
    if candidates is not None:
        logits = logits.masked_fill(~candidates, float("-inf"))
    return F.cross_entropy(logits, positives), scores


def flops(weights: torch.Tensor) -> torch.Tensor:
    """FLOPS regulariser: sum over terms of the squared mean absolute activation over the batch."""
    return (weights.abs().mean(dim=0) ** 2).sum()


def l1(weights: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of each vector's L1 norm."""
    return weights.abs().sum(dim=1).mean()


def flops_weight(lam: float, step: int, warmup: int) -> float:
    """SPLADE's quadratic warm-up: lambda_t = lambda * min(1, t / T)^2 (T = 0: constant)."""
    if warmup <= 0:
        return lam
    return lam * min(1.0, step / warmup) ** 2


def sparsity(weights: torch.Tensor) -> tuple[float, float]:
    """(mean number of non-zero terms per vector, share of vectors that are all zero)."""
    nonzero = (weights > 0).sum(dim=1).float()
    return float(nonzero.mean()), float((nonzero == 0).float().mean())
