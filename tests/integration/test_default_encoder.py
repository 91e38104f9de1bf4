"""The shipped default encoder (`encoders/csplade.json`: SmolLM2-135M + the trained LoRA adapters) loads
through the preset machinery and expands a query into its own words: a behavioural check on the real model."""
import pytest

from csplade_pyserini.loading.presets import get_preset
from csplade_pyserini.plugin.encoders import CspladeQueryEncoder


@pytest.fixture(scope="module")
def encoder():
    return CspladeQueryEncoder("csplade")


def _words(encoder, vector: dict[str, int], k: int) -> list[str]:
    """The k heaviest terms of a vector as lower-case words (tokenizer pieces decoded)."""
    vocabulary, tokenizer = encoder.model.vocabulary, encoder.model.tokenizer
    top = sorted(vector, key=vector.get, reverse=True)[:k]
    return [tokenizer.decode([vocabulary.token_id(term)]).strip().lower() for term in top]


def test_the_default_preset_ships_trained_adapters():
    preset = get_preset("csplade")
    assert preset.model == "smollm2-135m"
    assert len(preset.adapter_dirs) == 2
    for adapter in preset.adapter_dirs:
        assert (adapter / "adapter_model.safetensors").stat().st_size < 15 * 2**20


@pytest.mark.parametrize("query, word", [
    ("Which proteins bind to the promoter of the insulin gene?", "protein"),
    ("Does vitamin D deficiency increase the risk of tuberculosis?", "deficiency"),
])
def test_a_query_is_expanded_into_its_own_words(encoder, query, word):
    vector = encoder.encode(query)
    assert vector and all(type(w) is int and w >= 1 for w in vector.values())
    assert len(vector) <= encoder.model.config.query_top_k
    assert any(word in term for term in _words(encoder, vector, 10))  # among its ten heaviest terms


DOCS = {
    "tb": "Vitamin D status and the risk of active tuberculosis: low serum 25-hydroxyvitamin D concentrations "
          "were associated with a higher risk of tuberculosis in a cohort of household contacts.",
    "insulin": "Transcription factors that bind the insulin gene promoter: PDX1 and MafA regulate insulin "
               "expression in pancreatic beta cells.",
    "solar": "The efficiency of perovskite solar cells improved when the electron transport layer was "
             "annealed at a lower temperature.",
}


@pytest.mark.parametrize("query, relevant", [
    ("Does vitamin D deficiency increase the risk of tuberculosis?", "tb"),
    ("Which proteins bind to the promoter of the insulin gene?", "insulin"),
])
def test_the_relevant_document_scores_highest(encoder, query, relevant):
    """Query and document sides together: the impact dot product ranks the one relevant abstract first."""
    from csplade_pyserini.plugin.encoders import CspladeDocumentEncoder

    documents = CspladeDocumentEncoder(encoder.model).encode(list(DOCS.values()))
    assert all(len(d) <= encoder.model.config.doc_top_k for d in documents)
    q = encoder.encode(query)
    scores = {name: sum(w * d.get(term, 0) for term, w in q.items()) for name, d in zip(DOCS, documents)}
    assert max(scores, key=scores.get) == relevant, scores
