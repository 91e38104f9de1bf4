"""LoRA adapter weights stored compressed: ``adapter_model.safetensors.xz`` beside ``adapter_config.json``.

The shipped presets keep their bf16 LoRA weights xz-compressed (lossless, about 70% of the size), so that
every variant fits the package. Loading unpacks them once into the cache, under a hash of the compressed
weights and the adapter's config, and hands peft a plain adapter directory.
"""
from __future__ import annotations

import hashlib
import lzma
from pathlib import Path

from ..errors import CspladeError
from ..formats.files import atomic_directory, partial_file
from .base_models import cache_root

WEIGHTS = "adapter_model.safetensors"
PACKED = WEIGHTS + ".xz"
CONFIG = "adapter_config.json"


def pack(directory: str | Path) -> Path:
    """Replace ``directory``'s adapter weights by their xz-compressed copy; returns the packed file."""
    directory = Path(directory)
    source, target = directory / WEIGHTS, directory / PACKED
    if not source.is_file():
        raise CspladeError(f"{source}: no such file")
    staging = partial_file(target)
    try:
        staging.write_bytes(lzma.compress(source.read_bytes(), preset=9))
        staging.replace(target)
    finally:
        staging.unlink(missing_ok=True)
    source.unlink()
    return target


def peft_directory(directory: str | Path) -> Path:
    """A directory peft can load: ``directory`` itself, or, if its weights are packed, their unpacked copy
    in the cache (made on first use)."""
    directory = Path(directory)
    packed = directory / PACKED
    if (directory / WEIGHTS).is_file() or not packed.is_file():
        return directory
    config = (directory / CONFIG).read_bytes()
    compressed = packed.read_bytes()
    target = cache_root() / "adapters" / hashlib.sha256(config + compressed).hexdigest()[:20]
    if (target / WEIGHTS).is_file():
        return target
    try:
        weights = lzma.decompress(compressed)
    except lzma.LZMAError as exc:
        raise CspladeError(f"{packed}: cannot unpack the adapter weights: {exc}") from None
    with atomic_directory(target, keep_existing=True) as staging:  # another process may unpack it too
        (staging / CONFIG).write_bytes(config)
        (staging / WEIGHTS).write_bytes(weights)
    return target
