"""The model core: pooling matches a direct computation, BI removes the causal mask, saves reload."""
import pytest
import torch

from csplade_pyserini.core.config import CspladeConfig
from csplade_pyserini.core.model import CspladeModel
from csplade_pyserini.loading.load import load_model
from csplade_pyserini.loading.tiny import build_lm, build_tokenizer

ARCHS = ["llama", "mistral", "qwen2", "gpt2"]
TEXTS = ["proteins regulate cell death", "the dog", "gene expression changes during immune response"]


@pytest.fixture(scope="module")
def tokenizer():
    return build_tokenizer()


def _model(tokenizer, arch="llama", attn="sdpa", **config):
    return CspladeModel(build_lm(arch, len(tokenizer), attn), tokenizer, CspladeConfig(**config))


@pytest.mark.parametrize("variant", ["causal", "echo", "bi"])
def test_weights_equal_a_direct_max_over_the_pooled_positions(tokenizer, variant):
    model = _model(tokenizer, variant=variant)
    batch = model.tokenize(TEXTS, "doc")
    with torch.no_grad():
        hidden = model.hidden_states(batch)
        logits = model.lm.get_output_embeddings()(hidden)
    weights = model.weights(TEXTS, "doc")
    for row in range(len(TEXTS)):
        pooled = logits[row][batch.pool_mask[row]]
        expected = torch.log1p(torch.relu(pooled)).amax(dim=0) * model.allowed
        torch.testing.assert_close(weights[row], expected)


@pytest.mark.parametrize("variant", ["causal", "echo", "bi"])
def test_padding_never_changes_a_vector(tokenizer, variant):
    model = _model(tokenizer, variant=variant)
    alone = model.weights([TEXTS[1]], "doc")
    padded = model.weights(TEXTS, "doc")[1]  # TEXTS[1] is the shortest: padded in this batch
    torch.testing.assert_close(padded, alone[0], atol=1e-5, rtol=1e-5)


def _first_position_output(model, last_word):
    batch = model.tokenize([f"proteins regulate cell {last_word}"], "doc")
    with torch.no_grad():
        return model.hidden_states(batch)[0, 1]


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_bi_sees_later_tokens_and_causal_does_not(tokenizer, arch, attn):
    causal = _model(tokenizer, arch, attn, variant="causal")
    torch.testing.assert_close(_first_position_output(causal, "death"), _first_position_output(causal, "dog"))
    bi = _model(tokenizer, arch, attn, variant="bi")
    assert not torch.allclose(_first_position_output(bi, "death"), _first_position_output(bi, "dog"), atol=1e-6)


def test_echo_vectors_ignore_the_first_copy_positions(tokenizer):
    model = _model(tokenizer, variant="echo")
    batch = model.tokenize([TEXTS[0]], "doc")
    first_copy = ~batch.pool_mask[0]
    assert first_copy.sum() > batch.pool_mask[0].sum()  # prefix + first copy + separator + prefix
    with torch.no_grad():
        logits = model.logits(model.hidden_states(batch))[0]
    only_first = torch.log1p(torch.relu(logits[first_copy])).amax(0) * model.allowed
    weights = model.weights([TEXTS[0]], "doc")[0]
    assert not torch.allclose(weights, only_first)


def test_special_tokens_never_carry_weight(tokenizer):
    model = _model(tokenizer)
    weights = model.weights(TEXTS, "doc")
    for special in tokenizer.all_special_ids:
        assert (weights[:, special] == 0).all()


def test_top_k_and_threshold_prune_documents(tokenizer):
    model = _model(tokenizer, doc_top_k=10, doc_threshold=0.5)
    for ids, weights in model.encode(TEXTS, "doc"):
        assert 0 < len(ids) <= 10 and min(weights) > 0.5
        assert weights == sorted(weights, reverse=True)
    unpruned = _model(tokenizer, doc_top_k=None).encode(TEXTS, "doc")
    assert all(len(ids) > 10 for ids, _ in unpruned)


def test_encode_keeps_input_order_across_length_sorted_batches(tokenizer):
    model = _model(tokenizer)
    together = model.encode(TEXTS, "doc", batch_size=2)
    for text, vector in zip(TEXTS, together):
        single = model.encode([text], "doc")[0]
        assert vector[0][:5] == single[0][:5]


@pytest.mark.parametrize("variant", ["causal", "echo", "bi"])
def test_saved_encoder_reloads_as_itself(tmp_path, tokenizer, variant):
    model = _model(tokenizer, variant=variant, query_prefix="Q: ", doc_top_k=7, weight_scale=50.0)
    model.save(tmp_path)
    again = load_model(str(tmp_path))
    assert again.config == model.config
    assert again.encode_impacts(TEXTS, "doc") == model.encode_impacts(TEXTS, "doc")
    assert again.encode_impacts(TEXTS, "query") == model.encode_impacts(TEXTS, "query")


def test_a_blank_text_has_an_empty_vector_and_the_others_keep_theirs(tokenizer):
    model = _model(tokenizer, doc_prefix="passage: ")
    blank = ["   ", "\u200b\u2060 \ufeff", ""]
    vectors = model.encode([TEXTS[0], *blank, TEXTS[1]], "doc")
    assert vectors[1:4] == [([], []), ([], []), ([], [])]  # not the vector of "passage: " alone
    for got, text in ((vectors[0], TEXTS[0]), (vectors[4], TEXTS[1])):
        alone = model.encode([text], "doc")[0]
        assert got[0][:10] == alone[0][:10] and got[1] == pytest.approx(alone[1], abs=1e-4)
    assert model.encode(["passage"], "doc")[0][0]  # a word is not blank
