"""Training losses: the chunked adaptation loss equals a direct computation; contrastive pieces."""
import math

import pytest
import torch
import torch.nn.functional as F

from csplade_pyserini.train.losses import (
    IGNORE,
    adaptation_loss,
    flops,
    flops_weight,
    info_nce,
    keep_top_k,
    mask_for_mntp,
    next_token_targets,
)


def _setup(seed=0, batch=3, length=7, width=5, vocab=11):
    torch.manual_seed(seed)
    hidden = torch.randn(batch, length, width, requires_grad=True)
    head = torch.nn.Linear(width, vocab, bias=False)
    input_ids = torch.randint(0, vocab, (batch, length))
    padding = torch.ones(batch, length, dtype=torch.bool)
    padding[1, 5:] = False
    padding[2, 3:] = False
    allowed = torch.ones(vocab, dtype=torch.bool)
    allowed[0] = False
    return hidden, head, input_ids, padding, allowed


@pytest.mark.parametrize("chunk_size", [1, 4, 1024])
def test_adaptation_loss_equals_direct_next_token_losses(chunk_size):
    hidden, head, input_ids, padding, allowed = _setup()
    targets = next_token_targets(input_ids, padding)
    out = adaptation_loss(hidden, targets, padding, head, allowed, chunk_size)
    (out.clm + 0.5 * out.relu).backward()
    grad = hidden.grad.clone()

    hidden.grad = None
    logits = head(hidden)  # [B, L, V]
    shift_logits, shift_targets = logits[:, :-1], input_ids[:, 1:].masked_fill(~padding[:, 1:], IGNORE)
    clm = F.cross_entropy(shift_logits.reshape(-1, 11), shift_targets.reshape(-1), ignore_index=IGNORE,
                          reduction="sum")
    relu = F.cross_entropy(torch.log1p(torch.relu(shift_logits)).reshape(-1, 11), shift_targets.reshape(-1),
                           ignore_index=IGNORE, reduction="sum")
    (clm + 0.5 * relu).backward()
    torch.testing.assert_close(out.clm, clm)
    torch.testing.assert_close(out.relu, relu)
    torch.testing.assert_close(grad, hidden.grad)
    assert int(out.count) == int((shift_targets != IGNORE).sum())
    # statistics over real positions and allowed entries
    real = logits.detach()[padding][:, allowed]
    assert out.zero_fraction.item() == pytest.approx((real <= 0).float().mean().item(), abs=1e-6)
    pooled = logits.detach().masked_fill(~padding[..., None], float("-inf")).amax(1)[:, allowed]
    assert out.pooled_terms.tolist() == (pooled > 0).sum(1).float().tolist()


def test_relu_loss_is_high_when_activations_die():
    """L_ReLU cannot be lowered by pushing logits negative: dead activations give the uniform CE."""
    targets = torch.tensor([2])
    dead = torch.full((1, 6), -3.0)
    alive = torch.full((1, 6), -3.0)
    alive[0, 2] = 4.0
    dead_loss = F.cross_entropy(torch.log1p(torch.relu(dead)), targets)
    alive_loss = F.cross_entropy(torch.log1p(torch.relu(alive)), targets)
    assert dead_loss.item() == pytest.approx(math.log(6))
    assert alive_loss < dead_loss


def test_mntp_masks_tokens_and_predicts_them_from_the_previous_position():
    torch.manual_seed(1)
    input_ids = torch.arange(1, 41).reshape(2, 20)
    padding = torch.ones_like(input_ids, dtype=torch.bool)
    padding[1, 15:] = False
    masked_ids, targets = mask_for_mntp(input_ids, padding, mask_id=0, probability=0.4)
    masked = masked_ids == 0
    assert masked.any() and not masked[:, 0].any() and not (masked & ~padding).any()
    assert (masked_ids[~masked] == input_ids[~masked]).all()
    expected = torch.full_like(input_ids, IGNORE)
    expected[:, :-1] = torch.where(masked[:, 1:], input_ids[:, 1:], IGNORE)
    assert torch.equal(targets, expected)


def test_keep_top_k_passes_gradient_only_to_kept_entries():
    weights = torch.tensor([[0.1, 3.0, 2.0, 0.5], [1.0, 0.0, 0.2, 4.0]], requires_grad=True)
    kept = keep_top_k(weights, 2)
    assert kept.tolist() == [[0.0, 3.0, 2.0, 0.0], [1.0, 0.0, 0.0, 4.0]]
    kept.sum().backward()
    assert weights.grad.tolist() == [[0.0, 1.0, 1.0, 0.0], [1.0, 0.0, 0.0, 1.0]]
    assert keep_top_k(weights, None) is weights


def test_info_nce_matches_a_direct_softmax_and_respects_candidates():
    torch.manual_seed(0)
    q, d = torch.rand(2, 5), torch.rand(6, 5)
    positives = torch.tensor([0, 3])
    loss, scores = info_nce(q, d, positives, temperature=0.5)
    direct = -(torch.log_softmax(q @ d.T / 0.5, dim=1)[[0, 1], positives]).mean()
    torch.testing.assert_close(loss, direct)
    candidates = torch.zeros(2, 6, dtype=torch.bool)
    candidates[0, :3] = candidates[1, 3:] = True
    own, _ = info_nce(q, d, positives, candidates=candidates)
    direct_own = -(torch.log_softmax(q[0] @ d[:3].T, 0)[0] + torch.log_softmax(q[1] @ d[3:].T, 0)[0]) / 2
    torch.testing.assert_close(own, direct_own)


def test_flops_and_its_quadratic_warmup():
    w = torch.tensor([[1.0, 0.0, 2.0], [3.0, 0.0, 0.0]])
    assert flops(w).item() == pytest.approx(2.0 ** 2 + 0 + 1.0 ** 2)
    assert flops_weight(0.1, 0, 10) == 0.0
    assert flops_weight(0.1, 5, 10) == pytest.approx(0.025)
    assert flops_weight(0.1, 20, 10) == pytest.approx(0.1)
    assert flops_weight(0.1, 0, 0) == pytest.approx(0.1)
