"""Every shipped preset (``encoders/*.json``: the default ``csplade``, ``csplade-mixed`` and the paper's
variants ``csplade-causal``, ``csplade-echo``, ``csplade-bi``) loads by name through the preset machinery, expands
a real query into its own words, and ranks the relevant abstract first through ``LuceneImpactSearcher``
on an Anserini impact index: a behavioural check of the real trained models."""
import json
from pathlib import Path

import pytest

import csplade_pyserini
from csplade_pyserini.index.lucene import build_index
from csplade_pyserini.loading.adapters import PACKED
from csplade_pyserini.loading.presets import get_preset
from csplade_pyserini.plugin.encoders import CspladeDocumentEncoder, CspladeQueryEncoder

ENCODERS = Path(csplade_pyserini.__file__).resolve().parent.parent / "encoders"
SHIPPED = sorted(path.stem for path in ENCODERS.glob("*.json"))
VARIANTS = ("causal", "echo", "bi")


@pytest.fixture(scope="module", params=SHIPPED)
def name(request):
    return request.param


@pytest.fixture(scope="module")
def encoder(name):
    return CspladeQueryEncoder(name)


def _words(encoder, vector: dict[str, int], k: int) -> list[str]:
    """The k heaviest terms of a vector as lower-case words (tokenizer pieces decoded)."""
    vocabulary, tokenizer = encoder.vocabulary, encoder.tokenizer
    top = sorted(vector, key=vector.get, reverse=True)[:k]
    return [tokenizer.decode([vocabulary.token_id(term)]).strip().lower() for term in top]


def test_the_presets_ship_small_trained_adapters_sharing_one_adaptation():
    assert "csplade" in SHIPPED
    default = get_preset("csplade")
    assert default.model == "smollm2-135m" and len(default.adapter_dirs) >= 2
    for name in SHIPPED:
        preset = get_preset(name)
        assert preset.adapter_dirs[0] == default.adapter_dirs[0], name  # the adaptation adapter, shared
        for adapter in preset.adapter_dirs:
            assert (adapter / PACKED).stat().st_size < 15 * 2**20, adapter  # bf16, xz-packed
        variant = name.removeprefix("csplade-")
        if variant in VARIANTS:  # the paper's systems: the same attention on both sides
            config = preset.csplade_config()
            assert (config.variant, config.query_variant) == (variant, variant), name
    shipped_bytes = sum(path.stat().st_size for path in ENCODERS.rglob("*") if path.is_file())
    assert shipped_bytes <= 40 * 2**20


def _matches_query(term: str, query: str) -> bool:
    """A decoded term (3+ letters) that is a query word (4+ letters) or a piece of one, in any case."""
    words = [word.strip("?.,:;").lower() for word in query.split()]
    return len(term) >= 3 and any(len(word) >= 4 and term in word for word in words)


@pytest.mark.parametrize("query", [
    "Which proteins bind to the promoter of the insulin gene?",
    "Does vitamin D deficiency increase the risk of tuberculosis?",
])
def test_a_query_is_expanded_into_its_own_words(encoder, query):
    vector = encoder.encode(query)
    assert vector and all(type(w) is int and w >= 1 for w in vector.values())
    assert len(vector) <= (encoder.config.query_top_k or len(encoder.vocabulary))
    top = _words(encoder, vector, 10)
    assert sum(_matches_query(term, query) for term in top) >= 2, top  # among its ten heaviest terms


DOCS = {
    "tb": "Vitamin D status and the risk of active tuberculosis: low serum 25-hydroxyvitamin D concentrations "
          "were associated with a higher risk of tuberculosis in a cohort of household contacts.",
    "insulin": "Transcription factors that bind the insulin gene promoter: PDX1 and MafA regulate insulin "
               "expression in pancreatic beta cells.",
    "solar": "The efficiency of perovskite solar cells improved when the electron transport layer was "
             "annealed at a lower temperature.",
    "sleep": "Shift work disrupts circadian rhythms and shortens sleep duration in hospital nurses.",
}


@pytest.fixture(scope="module")
def index(name, encoder, tmp_path_factory):
    """An Anserini impact index of DOCS, encoded by the preset's document side."""
    work = tmp_path_factory.mktemp("preset-index")
    documents = CspladeDocumentEncoder(encoder.model or name).encode(list(DOCS.values()))
    assert all(0 < len(d) <= encoder.config.doc_top_k for d in documents)
    (work / "vectors").mkdir()
    lines = (json.dumps({"id": name, "contents": "", "vector": vector}) for name, vector in zip(DOCS, documents))
    (work / "vectors" / "docs.jsonl").write_text("".join(line + "\n" for line in lines))
    assert build_index(work / "vectors", work / "index", quiet=True).indexed == len(DOCS)
    return work / "index"


@pytest.fixture(scope="module")
def searcher(name, index):
    """By the preset's name, as `--encoder csplade-bi` in Pyserini (the plug-in loads it)."""
    from pyserini.search.lucene import LuceneImpactSearcher

    return LuceneImpactSearcher(str(index), name)


@pytest.mark.parametrize("query, relevant", [
    ("Does vitamin D deficiency increase the risk of tuberculosis?", "tb"),
    ("Which proteins bind to the promoter of the insulin gene?", "insulin"),
])
def test_the_relevant_abstract_ranks_first_through_lucene(searcher, query, relevant):
    hits = searcher.search(query, k=len(DOCS))
    assert hits and hits[0].docid == relevant, [(hit.docid, hit.score) for hit in hits]
