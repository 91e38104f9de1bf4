"""The loading tests' preset: the tiny model + a random LoRA adapter, found through ``$CSPLADE_ENCODERS``."""
import json

import pytest
import torch

from csplade_pyserini.core.config import CspladeConfig
from csplade_pyserini.loading.load import load_model


@pytest.fixture()
def preset_dir(tmp_path, tiny_dir, monkeypatch):
    """A preset 'tiny-lora': the tiny model + a random LoRA adapter saved with its own csplade config."""
    from peft import LoraConfig, get_peft_model

    model = load_model(str(tiny_dir))
    peft = get_peft_model(model.lm, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"],
                                               init_lora_weights=False))
    adapter = tmp_path / "presets" / "tiny-lora-adapter"
    peft.save_pretrained(adapter)
    CspladeConfig(variant="echo", doc_top_k=5, base_model=str(tiny_dir)).save(adapter)
    preset = {"model": str(tiny_dir), "adapter": "tiny-lora-adapter", "config": {"query_top_k": 3},
              "description": "a test preset", "metadata": {"ndcg@10": None}}
    (tmp_path / "presets" / "tiny-lora.json").write_text(json.dumps(preset))
    monkeypatch.setenv("CSPLADE_ENCODERS", str(tmp_path / "presets"))
    with torch.no_grad():
        merged = peft.merge_and_unload()
    return tmp_path / "presets", merged
