"""Presets in encoders/: a base model + LoRA adapter + config fields that reload as one encoder."""
import json

import pytest
import torch

from csplade_pyserini.core.config import CspladeConfig
from csplade_pyserini.errors import CspladeError
from csplade_pyserini.loading.load import load_model
from csplade_pyserini.loading.presets import available_presets, get_preset

TEXTS = ["proteins regulate cell death", "the lazy dog"]


def test_preset_merges_its_adapter_and_layers_its_config(preset_dir, tiny_dir):
    _, merged = preset_dir
    model = load_model("tiny-lora")
    assert model.config.variant == "echo" and model.config.doc_top_k == 5 and model.config.query_top_k == 3
    assert model.config.base_model is None
    reference = load_model(str(tiny_dir), variant="echo", doc_top_k=5, query_top_k=3)
    assert reference.encode_impacts(TEXTS, "doc") != model.encode_impacts(TEXTS, "doc")  # the adapter matters
    reference.lm.load_state_dict(merged.state_dict())
    assert reference.encode_impacts(TEXTS, "doc") == model.encode_impacts(TEXTS, "doc")
    assert all(len(v) <= 3 for v in model.encode_impacts(TEXTS, "query"))


def test_presets_are_listed_and_unknown_names_fail_in_one_line(preset_dir):
    assert "tiny-lora" in available_presets()
    assert get_preset("tiny-lora").description == "a test preset"
    with pytest.raises(CspladeError, match="unknown encoder 'nope'; presets: .*tiny-lora"):
        get_preset("nope")


def test_a_list_of_adapters_is_merged_in_order(tmp_path, tiny_dir, monkeypatch):
    from peft import LoraConfig, get_peft_model

    presets = tmp_path / "presets"
    merged = load_model(str(tiny_dir)).lm
    for number, name in enumerate(("first", "second")):
        torch.manual_seed(number)
        peft = get_peft_model(merged, LoraConfig(r=2, target_modules=["q_proj", "o_proj"], init_lora_weights=False))
        peft.save_pretrained(presets / name)
        with torch.no_grad():
            merged = peft.merge_and_unload()
    CspladeConfig(doc_top_k=9).save(presets / "second")
    (presets / "stacked.json").write_text(json.dumps({"model": str(tiny_dir), "adapter": ["first", "second"]}))
    monkeypatch.setenv("CSPLADE_ENCODERS", str(presets))
    model = load_model("stacked")
    assert model.config.doc_top_k == 9
    reference = load_model(str(tiny_dir), doc_top_k=9)
    reference.lm.load_state_dict(merged.state_dict())
    assert reference.encode_impacts(TEXTS, "doc") == model.encode_impacts(TEXTS, "doc")


def test_pyserini_encoders_take_their_dtype_from_the_argument_or_csplade_dtype(tiny_dir, monkeypatch):
    """Pyserini's command lines have no dtype flag: $CSPLADE_DTYPE sets it (float32 without it)."""
    from csplade_pyserini.plugin import CspladeDocumentEncoder, CspladeQueryEncoder

    monkeypatch.delenv("CSPLADE_DTYPE", raising=False)
    assert CspladeQueryEncoder(str(tiny_dir)).model.lm.dtype == torch.float32
    monkeypatch.setenv("CSPLADE_DTYPE", "bfloat16")
    assert CspladeQueryEncoder(str(tiny_dir)).model.lm.dtype == torch.bfloat16
    assert CspladeDocumentEncoder(str(tiny_dir)).model.lm.dtype == torch.bfloat16
    assert CspladeQueryEncoder(str(tiny_dir), dtype="float32").model.lm.dtype == torch.float32
    monkeypatch.setenv("CSPLADE_DTYPE", "float8")
    with pytest.raises(CspladeError, match="unknown dtype 'float8'"):
        CspladeQueryEncoder(str(tiny_dir))
