"""Which positions are pooled: the text's own tokens only (ECHO: its second copy), never padding/prefix."""
import pytest

from csplade_pyserini.core.config import CspladeConfig
from csplade_pyserini.core.inputs import InputBuilder
from csplade_pyserini.loading.tiny import build_tokenizer

TEXTS = ["proteins regulate cell death", "the dog", "gene expression changes during immune response"]


@pytest.fixture(scope="module")
def tokenizer():
    return build_tokenizer()


def _pooled_text(tokenizer, batch, row):
    ids = batch.input_ids[row][batch.pool_mask[row]].tolist()
    return tokenizer.decode(ids)


@pytest.mark.parametrize("variant", ["causal", "bi"])
def test_only_text_tokens_are_pooled(tokenizer, variant):
    builder = InputBuilder(tokenizer, CspladeConfig(variant=variant))
    batch = builder.build(TEXTS, "doc")
    for row, text in enumerate(TEXTS):
        assert _pooled_text(tokenizer, batch, row).strip() == text
        assert not batch.pool_mask[row][~batch.padding_mask[row]].any(), "padding pooled"
        assert not batch.pool_mask[row, 0]
    assert batch.padding_mask[1].sum() < batch.padding_mask[0].sum()  # the batch really is padded


def test_echo_pools_only_the_second_copy(tokenizer):
    config = CspladeConfig(variant="echo", doc_prefix="passage: ", echo_separator="\n")
    batch = InputBuilder(tokenizer, config).build(TEXTS, "doc")
    for row, text in enumerate(TEXTS):
        real = batch.padding_mask[row].sum().item()
        full = tokenizer.decode(batch.input_ids[row][:real].tolist())
        assert full == f"passage: {text}\npassage: {text}"
        pooled = batch.pool_mask[row].nonzero().flatten().tolist()
        assert _pooled_text(tokenizer, batch, row).strip() == text
        first_copy_end = len(tokenizer(f"passage: {text}").input_ids)
        assert min(pooled) > first_copy_end, "a position of the first copy is pooled"


def test_truncation_keeps_both_echo_copies_equal(tokenizer):
    config = CspladeConfig(variant="echo", doc_max_length=16)
    batch = InputBuilder(tokenizer, config).build([TEXTS[2]], "doc")
    ids = batch.input_ids[0][batch.padding_mask[0]].tolist()
    pooled = _pooled_text(tokenizer, batch, 0).strip()
    assert len(ids) > 16 and pooled and TEXTS[2].startswith(pooled) and pooled != TEXTS[2]
    assert tokenizer.decode(ids).count(pooled) == 2


def test_first_position_is_never_pooled_even_without_prefix(tokenizer):
    batch = InputBuilder(tokenizer, CspladeConfig(query_prefix="")).build(["proteins"], "query")
    assert not batch.pool_mask[0, 0] and batch.input_ids.shape[1] >= 1


def test_query_and_document_sides_use_their_own_prefix_and_length(tokenizer):
    config = CspladeConfig(query_prefix="q: ", doc_prefix="d: ", query_max_length=4, doc_max_length=40)
    builder = InputBuilder(tokenizer, config)
    query, doc = builder.build([TEXTS[2]], "query"), builder.build([TEXTS[2]], "doc")
    assert query.input_ids.shape[1] == 4
    assert tokenizer.decode(doc.input_ids[0]).startswith("d: ")
    assert tokenizer.decode(query.input_ids[0]).startswith("q: ")


def test_query_variant_echoes_queries_only(tokenizer):
    config = CspladeConfig(variant="causal", query_variant="echo")
    builder = InputBuilder(tokenizer, config)
    query, doc = builder.build([TEXTS[0]], "query"), builder.build([TEXTS[0]], "doc")
    assert tokenizer.decode(query.input_ids[0]) == f"query: {TEXTS[0]}\nquery: {TEXTS[0]}"
    assert tokenizer.decode(doc.input_ids[0]) == f"passage: {TEXTS[0]}"
    assert _pooled_text(tokenizer, query, 0).strip() == TEXTS[0]


@pytest.mark.parametrize("variant, query_variant", [("bi", "echo"), ("causal", "bi"), ("echo", "sideways")])
def test_query_variant_cannot_mix_attention_kinds(variant, query_variant):
    from csplade_pyserini.errors import CspladeError

    with pytest.raises(CspladeError, match="query_variant"):
        CspladeConfig(variant=variant, query_variant=query_variant)
