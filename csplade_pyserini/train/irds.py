"""ir_datasets access for training: recognising ids, loading offline-friendly, document text."""
from __future__ import annotations

from pathlib import Path

from ..errors import CspladeError


def is_irds_id(name: str) -> bool:
    """True for a registered ir_datasets id that is not also a local path."""
    if Path(name).exists():
        return False
    import ir_datasets

    return name in ir_datasets.registry


def load_dataset(name: str):
    import ir_datasets

    if name not in ir_datasets.registry:
        raise CspladeError(f"{name!r} is neither a local file nor an ir_datasets id")
    return ir_datasets.load(name)


def doc_text(doc) -> str:
    """The document's text as ir_datasets defines it (BEIR: title + text)."""
    return doc.default_text()
