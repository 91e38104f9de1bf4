"""Chunked max pooling equals the naive [B, L, V] computation, values and gradients."""
import pytest
import torch

from csplade_pyserini.core.pooling import chunked_max_pool, naive_max_pool


def _case(seed=0, batch=3, length=23, hidden=16, vocab=50):
    generator = torch.Generator().manual_seed(seed)
    states = torch.randn(batch, length, hidden, generator=generator)
    head = torch.nn.Linear(hidden, vocab, bias=False)
    torch.nn.init.normal_(head.weight, generator=generator)
    mask = torch.rand(batch, length, generator=generator) > 0.3
    mask[:, 0] = False
    mask[2] = False  # a row with nothing pooled
    return states, head, mask


@pytest.mark.parametrize("chunk", [1, 4, 7, 23, 64])
def test_chunked_equals_naive(chunk):
    states, head, mask = _case()
    expected = naive_max_pool(states, mask, head)
    got = chunked_max_pool(states, mask, head, chunk_size=chunk)
    torch.testing.assert_close(got, expected)
    assert (got[2] == 0).all()


def test_masked_positions_do_not_contribute():
    states, head, mask = _case()
    changed = states.clone()
    changed[~mask] += 100.0  # huge activations where nothing is pooled
    torch.testing.assert_close(chunked_max_pool(changed, mask, head, 5), chunked_max_pool(states, mask, head, 5))


@pytest.mark.parametrize("checkpoint", [False, True])
def test_gradients_match_naive(checkpoint):
    states, head, mask = _case()
    states.requires_grad_(True)
    naive = naive_max_pool(states, mask, head).sum()
    (naive_grad,) = torch.autograd.grad(naive, states)
    chunked = chunked_max_pool(states, mask, head, chunk_size=4, checkpoint=checkpoint).sum()
    (chunked_grad,) = torch.autograd.grad(chunked, states)
    torch.testing.assert_close(chunked_grad, naive_grad)


def test_only_pooled_rows_are_projected_as_one_contiguous_matrix():
    states, head, mask = _case()
    projected = []

    def recording_head(rows):
        assert rows.dim() == 2 and rows.is_contiguous()  # a plain matrix product, no batched weight copy
        projected.append(rows.shape[0])
        return head(rows)

    torch.testing.assert_close(chunked_max_pool(states, mask, recording_head, chunk_size=4),
                               naive_max_pool(states, mask, head))
    assert sum(projected) == int(mask.sum())  # padding, prefixes and ECHO's first copy cost nothing
    assert max(projected) <= 4 * states.shape[0]  # memory: chunk x batch rows of logits at a time


def test_a_batch_with_nothing_pooled_gives_zeros():
    states, head, mask = _case()
    got = chunked_max_pool(states, torch.zeros_like(mask), head, chunk_size=4)
    assert got.shape == (3, 50) and not got.any()
