"""Adapters shipped with packed (xz) weights load exactly like plain ones, unpacked once into the cache."""
import pytest

from csplade_pyserini.errors import CspladeError
from csplade_pyserini.loading.adapters import PACKED, WEIGHTS, pack, peft_directory
from csplade_pyserini.loading.load import load_model

TEXTS = ["proteins regulate cell death", "the lazy dog"]


def test_a_packed_adapter_loads_like_the_plain_one(preset_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("CSPLADE_CACHE", str(tmp_path / "cache"))
    presets, _ = preset_dir
    adapter = presets / "tiny-lora-adapter"
    plain = load_model("tiny-lora").encode_impacts(TEXTS, "doc")
    size = (adapter / WEIGHTS).stat().st_size
    pack(adapter)
    assert not (adapter / WEIGHTS).exists() and (adapter / PACKED).stat().st_size < size
    assert load_model("tiny-lora").encode_impacts(TEXTS, "doc") == plain
    unpacked = peft_directory(adapter)
    assert unpacked.parent == tmp_path / "cache" / "adapters" and (unpacked / WEIGHTS).stat().st_size == size
    stamp = (unpacked / WEIGHTS).stat().st_mtime_ns
    assert peft_directory(adapter) == unpacked and (unpacked / WEIGHTS).stat().st_mtime_ns == stamp  # reused


def test_corrupt_packed_weights_are_one_line(preset_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("CSPLADE_CACHE", str(tmp_path / "cache"))
    adapter = preset_dir[0] / "tiny-lora-adapter"
    pack(adapter)
    (adapter / PACKED).write_bytes(b"\xfd7zXZ\x00 truncated")
    with pytest.raises(CspladeError, match=rf"{PACKED}: cannot unpack the adapter weights"):
        load_model("tiny-lora")
    assert not (tmp_path / "cache" / "adapters").exists() or not any((tmp_path / "cache" / "adapters").iterdir())
