"""Which ``--encoder`` names are csplade's, and loading them with one-line errors.

A name is csplade's when it is a directory with ``csplade_config.json``, a preset name (``encoders/``
and ``$CSPLADE_ENCODERS``), or, not being an existing path, contains ``csplade``
(``org/CSPLADE-qwen3``). Such names never
reach Pyserini's own encoders: a failure to load them is an error, not a fallback to MLM SPLADE.
Names Pyserini does not know either (it would return no encoder) are tried as csplade models too:
a model directory, then a Hugging Face id.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..core.config import CspladeConfig
from ..errors import CspladeError
from ..loading.presets import available_presets


def is_model_directory(name: str) -> bool:
    return Path(name).is_dir() and CspladeConfig.exists(name)


def claims(name: str | None) -> bool:
    """True if ``name`` must be served by csplade rather than by Pyserini's encoders.

    An existing path is judged by its content (a file is Pyserini's pre-encoded queries; a directory
    is ours only with ``csplade_config.json``), so ``/home/me/csplade-runs/splade-v3`` stays SPLADE.
    """
    if not name:
        return False
    if os.path.exists(name):
        return is_model_directory(name)
    return name in available_presets() or "csplade" in name.lower()


def unknown_encoder(name: str, reason: str) -> CspladeError:
    presets = ", ".join(available_presets()) or "(none)"
    return CspladeError(f"unknown encoder {name!r}: not a model directory or a preset (presets: {presets}; "
                        f"more via $CSPLADE_ENCODERS), and {reason}")


DTYPE_VARIABLE = "CSPLADE_DTYPE"


def load_encoder_model(name: str, device: str | None = "cpu", dtype: Any = None, **overrides: Any):
    """:func:`~csplade_pyserini.loading.load.load_model`, with the unknown-name error listing the presets.

    ``dtype`` None: ``$CSPLADE_DTYPE`` (Pyserini's command lines have no flag for it), else float32.
    """
    from ..loading.load import load_model

    dtype = dtype or os.environ.get(DTYPE_VARIABLE) or "float32"
    try:
        return load_model(name, device=device, dtype=dtype, **overrides)
    except CspladeError as exc:
        if Path(name).exists() or name in available_presets():
            raise
        raise unknown_encoder(name, f"it is not a loadable Hugging Face model either ({exc})") from None


def load_table_query_encoder(name: str):
    """The tokenizer-and-table query encoder of an inference-free encoder ``name``, else None."""
    from ..loading.load import load_table_query_encoder as load

    if not claims(name):
        return None
    return load(name)
