"""Load a CspladeModel from a name: a local directory, a preset in ``encoders/``, or a hub id.

A local directory is either a full model (HF files + tokenizer, optionally ``csplade_config.json``)
or a LoRA adapter (``adapter_config.json``) whose config names its base model; adapters are merged
into the base on load, so inference always runs a plain model.
"""
from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError

from ..core.config import CspladeConfig
from ..core.model import CspladeModel
from ..core.query_table import QueryTable, TableQueryEncoder, find_table
from ..errors import CspladeError
from ..logs import quiet_noisy_loggers
from . import base_models
from .adapters import peft_directory
from .precision import load_dtype, resolve_precision
from .presets import Preset, available_presets, find_preset
from .quantization import METHODS, quantize

# what from_pretrained raises for a bad model directory: missing or unreadable files (OSError), a config
# or weights that do not fit (ValueError), damaged safetensors (SafetensorError, not an OSError)
LOAD_ERRORS = (OSError, ValueError, SafetensorError)


def parse_device(device: str | None) -> str:
    """'cpu' by default; 'cuda' (or 'cuda:N') only when asked and available."""
    if not device:
        return "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise CspladeError(f"device {device!r} was asked for but CUDA is not available")
    return device


def resolve_base(name: str) -> str:
    """A base model reference -> something ``from_pretrained`` takes (prepares known GGUF bases)."""
    if base_models.is_base_model(name):
        return str(base_models.prepare(name))
    return name


def load_lm(name_or_path: str, dtype: torch.dtype, device: str, attn_implementation: str | None = None):
    """AutoModelForCausalLM + tokenizer from a directory or hub id, with one-line errors."""
    quiet_noisy_loggers()
    from transformers import AutoModelForCausalLM, AutoTokenizer

    source = resolve_base(name_or_path)
    if Path(source).is_dir():
        _check_model_directory(Path(source))
    try:
        tokenizer = AutoTokenizer.from_pretrained(source)
        lm = AutoModelForCausalLM.from_pretrained(source, dtype=dtype,
                                                  attn_implementation=attn_implementation)
    except LOAD_ERRORS as exc:
        raise CspladeError(f"cannot load model {name_or_path!r}: {_first_line(exc)}") from None
    return lm.to(device).eval(), tokenizer


def _check_model_directory(directory: Path) -> None:
    if not (directory / "config.json").is_file():
        raise CspladeError(f"{directory}: model directory has no config.json")
    if not _has_tokenizer(directory):
        raise CspladeError(f"{directory}: model directory has no tokenizer (tokenizer.json / "
                           f"tokenizer_config.json)")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _has_tokenizer(directory: Path) -> bool:
    return any((directory / name).is_file() for name in ("tokenizer.json", "tokenizer_config.json",
                                                          "tokenizer.model", "vocab.json"))


def load_model(
    name_or_path: str,
    device: str | None = None,
    dtype: str | torch.dtype | None = None,
    attn_implementation: str | None = None,
    query_table: str | Path | None = None,
    **overrides: Any,
) -> CspladeModel:
    """A ready-to-encode CspladeModel. ``overrides`` replace fields of its CspladeConfig; ``query_table``
    (a ``query_table.safetensors``) makes its queries inference-free with that table.

    ``dtype``: float32 (default), bfloat16, float16, auto, or a quantization method (``torch-int8``,
    ``bnb-int8``, ``bnb-nf4``, ``bnb-fp4``, ``torchao-int8wo``, ``torchao-int4wo``, ``torchao-int8dq``).
    """
    device = parse_device(device)
    precision = resolve_precision(dtype, device)
    torch_dtype = load_dtype(precision, device)
    lm, tokenizer, config = _load_named(name_or_path, torch_dtype, device, attn_implementation)
    config = config.replace(**overrides)
    if precision in METHODS:
        lm = quantize(lm, precision, device, torch_dtype)
    if query_table is not None:
        return CspladeModel(lm, tokenizer, config.replace(query_encoder="table"), QueryTable.load(query_table))
    return CspladeModel(lm, tokenizer, config, load_query_table(name_or_path, config))


def load_query_table(name: str, config: CspladeConfig) -> QueryTable | None:
    """The query table of an inference-free encoder (None for LM queries), found where its config is."""
    if not config.inference_free:
        return None
    found = find_table(_config_directories(name))
    if found is None:
        raise CspladeError(f"{name}: query_encoder is 'table' but no query_table.safetensors is stored with it")
    return QueryTable.load(found)


def load_table_query_encoder(name: str, **overrides: Any) -> TableQueryEncoder | None:
    """Queries of an inference-free encoder from its tokenizer and table alone, without loading the LM;
    None when ``name`` encodes queries with its language model."""
    from transformers import AutoTokenizer

    config = _named_config(name).replace(**overrides)
    if not config.inference_free:
        return None
    table = load_query_table(name, config)
    source = resolve_base(_tokenizer_source(name))
    try:
        tokenizer = AutoTokenizer.from_pretrained(source)
    except LOAD_ERRORS as exc:
        raise CspladeError(f"cannot load the tokenizer of {name!r}: {_first_line(exc)}") from None
    return TableQueryEncoder(tokenizer, config, table)


def _config_directories(name: str) -> list[Path]:
    """Where a name's csplade_config.json (and query table) may be: the directory, or a preset's adapters
    (the last first) and model directory."""
    path = Path(name)
    if path.is_dir():
        return [path]
    preset = find_preset(name)
    if preset is None:
        return []
    return [*reversed(preset.adapter_dirs), Path(preset.model_source)]


def _named_config(name: str) -> CspladeConfig:
    path = Path(name)
    if path.is_dir():
        return CspladeConfig.load(path) if CspladeConfig.exists(path) else CspladeConfig()
    preset = find_preset(name)
    return preset.csplade_config() if preset is not None else CspladeConfig()


def _tokenizer_source(name: str) -> str:
    """What holds ``name``'s tokenizer: a model directory, or (for adapters and presets) its base's."""
    path = Path(name)
    if path.is_dir():
        return _tokenizer_source(adapter_base(path)) if (path / "adapter_config.json").is_file() else name
    preset = find_preset(name)
    return preset.model_source if preset is not None else name


def load_preset(preset: Preset, dtype: torch.dtype, device: str, attn_implementation: str | None = None):
    """(lm, tokenizer, config) of a preset: its base model with its adapters merged in order."""
    config = preset.csplade_config()
    lm, tokenizer = load_lm(preset.model_source, dtype, device, attn_implementation)
    for adapter in preset.adapter_dirs:
        if not (adapter / "adapter_config.json").is_file():
            raise CspladeError(f"{preset.path}: adapter directory {adapter} has no adapter_config.json")
        lm = merge_adapter(lm, adapter)
    return lm, tokenizer, config


def _load_named(name: str, dtype: torch.dtype, device: str, attn_implementation: str | None):
    """(lm, tokenizer, config) of a directory, a preset, a packaged base model or a hub id."""
    path = Path(name)
    if path.is_dir():
        return _load_directory(path, dtype, device, attn_implementation)
    if (preset := find_preset(name)) is not None:
        return load_preset(preset, dtype, device, attn_implementation)
    if path.suffix or name.startswith((".", "/", "~")) or (len(path.parts) > 1 and Path(path.parts[0]).is_dir()):
        raise CspladeError(f"{name}: no such model directory")
    # a packaged base model, or a hub id: the real from_pretrained, wherever the hub is reachable
    try:
        lm, tokenizer = load_lm(name, dtype, device, attn_implementation)
    except CspladeError as exc:
        if base_models.is_base_model(name):
            raise
        presets = ", ".join(available_presets()) or "(none)"
        raise CspladeError(f"{exc} (not a model directory or a preset either; presets: {presets})") from None
    return lm, tokenizer, CspladeConfig()


def adapter_base(path: Path) -> str:
    """The base an adapter directory applies to: its csplade_config.json ``base_model`` (else peft's
    ``base_model_name_or_path``); a relative path is relative to the adapter directory."""
    adapter_file = path / "adapter_config.json"
    config = CspladeConfig.load(path) if CspladeConfig.exists(path) else CspladeConfig()
    try:
        base = config.base_model or json.loads(adapter_file.read_text()).get("base_model_name_or_path")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CspladeError(f"{adapter_file}: invalid JSON ({exc})") from None
    if not base:
        raise CspladeError(f"{adapter_file}: adapter does not name its base model")
    relative = path / base
    return str(relative) if not Path(base).is_absolute() and relative.is_dir() else base


def _load_directory(path: Path, dtype: torch.dtype, device: str, attn_implementation: str | None):
    config = CspladeConfig.load(path) if CspladeConfig.exists(path) else CspladeConfig()
    if not (path / "adapter_config.json").is_file():
        lm, tokenizer = load_lm(str(path), dtype, device, attn_implementation)
        return lm, tokenizer, config
    lm, tokenizer, _ = _load_named(adapter_base(path), dtype, device, attn_implementation)
    return merge_adapter(lm, path), tokenizer, config


def merge_adapter(lm, adapter_dir: Path):
    """Apply a saved LoRA adapter (its weights plain or packed: :mod:`.adapters`) to ``lm`` and merge it
    into the weights."""
    from peft import PeftModel

    try:
        with warnings.catch_warnings():  # peft reads a property that transformers 5 marks deprecated
            warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
            return PeftModel.from_pretrained(lm, str(peft_directory(adapter_dir))).merge_and_unload().eval()
    except LOAD_ERRORS as exc:
        raise CspladeError(f"{adapter_dir}: cannot load the adapter: {_first_line(exc)}") from None
