"""Exports of a trained model.

``output_dir/final/``: the LoRA adapters merged into a plain Hugging Face model directory, with the
tokenizer and ``csplade_config.json`` (variant, prefixes, lengths): what ``load_model`` and the
Pyserini encoders load. ``output_dir/adapter/``: only ``adapter_model.safetensors`` +
``adapter_config.json`` + a ``csplade_config.json`` whose ``base_model`` names the start model, so a
few-MB adapter can be shipped as a preset. Both also hold the resolved training config. Directories
appear atomically (written under a temporary name, then renamed).

``merge_checkpoint`` turns any ``checkpoint-<step>/`` (LoRA or full fine-tuning) or adapter directory
into a merged model directory (``csplade merge``).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import torch

from ..core.config import CONFIG_NAME
from ..errors import CspladeError
from ..formats.files import atomic_directory
from .config import AdaptConfig, LoopConfig, TrainConfig, load_saved_config
from .modeling import ADAPTER_CONFIG, TrainableModel, build_for


def export(trainable: TrainableModel, output_dir: Path, config: LoopConfig) -> dict[str, Path]:
    """Write ``adapter/`` (LoRA with a nameable base) and then ``final/`` (merged; merges in place)."""
    written: dict[str, Path] = {}
    if trainable.peft is not None:
        with atomic_directory(output_dir / "adapter", marker=CONFIG_NAME) as tmp:
            trainable.save_adapter(tmp)
            config.save(tmp)
        written["adapter"] = output_dir / "adapter"
    with atomic_directory(output_dir / "final", marker=CONFIG_NAME) as tmp:
        trainable.merged().save(tmp)
        config.save(tmp)
    written["final"] = output_dir / "final"
    return written


def merge_checkpoint(source: str | Path, output: str | Path, force: bool = False) -> Path:
    """A merged model directory from a LoRA adapter dir, or from any training checkpoint
    (an existing ``output`` is replaced only with ``force``)."""
    from ..loading.load import load_model
    from .loop import STATE_FILE

    source, output = Path(source), Path(output)
    if not source.is_dir():
        raise CspladeError(f"{source}: no such directory")
    if output.resolve() == source.resolve():
        raise CspladeError("--output must differ from the directory being merged")
    if output.exists() and not force:  # before the model is loaded
        raise CspladeError(f"{output}: already exists (use --force to replace it)")
    if (source / ADAPTER_CONFIG).is_file():
        model = load_model(str(source))
    elif (source / STATE_FILE).is_file():
        model = _full_checkpoint(source)
    else:
        raise CspladeError(f"{source}: neither an adapter directory nor a training checkpoint")
    with atomic_directory(output, marker=CONFIG_NAME) as tmp:
        model.save(tmp)
        for cls in (AdaptConfig, TrainConfig):
            if (source / cls.CONFIG_FILE).is_file():
                shutil.copy2(source / cls.CONFIG_FILE, tmp / cls.CONFIG_FILE)
    return output


def _full_checkpoint(checkpoint: Path):
    """Rebuild a full fine-tuning run's model from its saved config and load the checkpoint's weights."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from .loop import WEIGHTS_FILE

    cls = AdaptConfig if (checkpoint / AdaptConfig.CONFIG_FILE).is_file() else TrainConfig
    config: LoopConfig = load_saved_config(cls, checkpoint)
    trainable = build_for(config, torch.device("cpu"))
    module = trainable.model
    try:
        saved = load_file(str(checkpoint / WEIGHTS_FILE))
    except (OSError, SafetensorError) as exc:
        raise CspladeError(f"{checkpoint / WEIGHTS_FILE}: cannot read the checkpoint's weights ({exc})") from None
    state = {k.removeprefix("module.").removeprefix("model."): v for k, v in saved.items()}
    result = module.load_state_dict(state, strict=False)
    trained = {n for n, p in module.named_parameters() if p.requires_grad}
    if result.unexpected_keys or trained & set(result.missing_keys):
        raise CspladeError(f"{checkpoint / WEIGHTS_FILE}: weights do not fit the model of the saved config")
    return trainable.merged()
