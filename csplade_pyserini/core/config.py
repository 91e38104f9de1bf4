"""CspladeConfig: everything that decides how text becomes a sparse vector.

Saved as ``csplade_config.json`` beside every model directory, adapter and export, so that a
directory reloads as itself.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import options
from ..errors import CspladeError
from ..formats.files import write_json
from ..formats.vectors import MAX_IMPACT
from .terms import MAX_WEIGHT

CONFIG_NAME = "csplade_config.json"
VARIANTS = ("causal", "echo", "bi")
SIDES = ("query", "doc")
QUERY_ENCODERS = ("model", "table")


@dataclass
class CspladeConfig:
    """How a causal LM is turned into a CSPLADE encoder.

    variant: ``causal`` (plain), ``echo`` (text fed twice, the second copy pooled) or ``bi``
        (causal mask removed).
    query_encoder: ``model`` (queries go through the LM like documents) or ``table`` (inference-free: a
        query is its own tokens weighted by ``query_table.safetensors``; :mod:`.query_table`).
    query_variant: ``echo`` or ``causal`` for the query side only (None = ``variant``). ECHO on queries
        costs next to nothing (queries are short) while documents stay ``causal``; not in the paper,
        where both sides share the variant. It cannot be mixed with ``bi``.
    query_prefix / doc_prefix: text put before every query / document (``query: `` / ``passage: ``).
    echo_separator: text between ECHO's first copy and the repeated prefix + second copy.
    query_max_length / doc_max_length: tokens per copy of a text, prefix and specials included.
    doc_top_k / query_top_k: keep only the k largest weights (None = keep all positive weights).
    doc_threshold / query_threshold: drop weights at or below this float value before quantisation.
    weight_scale: Lucene impact = round(weight * weight_scale).
    pool_chunk_size: positions projected onto the vocabulary at once (memory ~ batch x chunk x vocab).
    base_model: for an adapter directory, the base model it applies to (path, preset base name or hub
        id); None when the directory holds the full model.
    """

    variant: str = "causal"
    query_encoder: str = "model"
    query_variant: str | None = None
    query_prefix: str = "query: "
    doc_prefix: str = "passage: "
    echo_separator: str = "\n"
    query_max_length: int = 32
    doc_max_length: int = 256
    query_top_k: int | None = None
    doc_top_k: int | None = 256
    query_threshold: float = 0.0
    doc_threshold: float = 0.0
    weight_scale: float = 100.0
    pool_chunk_size: int = 32
    base_model: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        if self.variant not in VARIANTS:
            raise CspladeError(f"unknown variant {self.variant!r}; choose one of {', '.join(VARIANTS)}")
        if self.query_encoder not in QUERY_ENCODERS:
            raise CspladeError(f"unknown query_encoder {self.query_encoder!r}; choose one of "
                               f"{', '.join(QUERY_ENCODERS)}")
        if self.query_variant is not None:
            if self.query_variant not in VARIANTS:
                raise CspladeError(f"unknown query_variant {self.query_variant!r}; choose one of "
                                   f"{', '.join(VARIANTS)}")
            if "bi" in (self.variant, self.query_variant) and self.query_variant != self.variant:
                raise CspladeError("query_variant can differ from variant only between causal and echo "
                                   "(bi changes the attention of the whole model)")
        for name, minimum in (("query_max_length", 2), ("doc_max_length", 2), ("pool_chunk_size", 1)):
            if int(getattr(self, name)) < minimum:
                raise CspladeError(f"{name} must be an integer >= {minimum}, got {getattr(self, name)!r}")
        for name in ("query_top_k", "doc_top_k"):
            value = getattr(self, name)
            if value is not None and int(value) < 1:
                raise CspladeError(f"{name} must be >= 1 or null, got {value!r}")
        if not isinstance(self.extra, dict):
            raise CspladeError(f"extra must be a JSON object, got {self.extra!r}")
        if not 0 < self.weight_scale <= MAX_IMPACT / MAX_WEIGHT:
            raise CspladeError(f"weight_scale must be in (0, {MAX_IMPACT / MAX_WEIGHT:.0f}] so that every "
                               f"impact stays <= {MAX_IMPACT} (Lucene's safe maximum), "
                               f"got {self.weight_scale!r}")

    # -- per-side accessors -------------------------------------------------------------------
    def variant_for(self, side: str) -> str:
        """The variant a side's text is tokenized for (table queries are read once: ``causal``)."""
        if _side(side) == "doc":
            return self.variant
        return "causal" if self.inference_free else self.query_variant or self.variant

    @property
    def inference_free(self) -> bool:
        """True when queries are encoded by the table, without the language model."""
        return self.query_encoder == "table"

    def prefix(self, side: str) -> str:
        return self.query_prefix if _side(side) == "query" else self.doc_prefix

    def max_length(self, side: str) -> int:
        return self.query_max_length if _side(side) == "query" else self.doc_max_length

    def top_k(self, side: str) -> int | None:
        return self.query_top_k if _side(side) == "query" else self.doc_top_k

    def threshold(self, side: str) -> float:
        return self.query_threshold if _side(side) == "query" else self.doc_threshold

    # -- persistence ------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "config") -> "CspladeConfig":
        """A config from plain values: unknown fields and wrong types are one line naming ``source``."""
        return options.build(cls, data, source)

    def replace(self, **changes: Any) -> "CspladeConfig":
        """A copy with ``changes`` applied (None is a value: e.g. ``doc_top_k=None`` removes the cap)."""
        return self.from_dict({**self.to_dict(), **changes}, source="config override")

    def save(self, directory: str | Path) -> Path:
        return write_json(Path(directory) / CONFIG_NAME, self.to_dict())

    @classmethod
    def load(cls, directory: str | Path) -> "CspladeConfig":
        path = Path(directory) / CONFIG_NAME
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CspladeError(f"{path}: no CSPLADE config in this directory") from None
        except json.JSONDecodeError as exc:
            raise CspladeError(f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}") from None
        except UnicodeDecodeError:
            raise CspladeError(f"{path}: not UTF-8") from None
        if not isinstance(data, dict):
            raise CspladeError(f"{path}: expected a JSON object of CspladeConfig fields")
        return cls.from_dict(data, source=str(path))

    @staticmethod
    def exists(directory: str | Path) -> bool:
        return (Path(directory) / CONFIG_NAME).is_file()


def _side(side: str) -> str:
    if side not in SIDES:
        raise CspladeError(f"unknown side {side!r}; expected 'query' or 'doc'")
    return side


def overrides_from(settings: Any) -> dict[str, Any]:
    """The CspladeConfig fields that ``settings`` (encoder options, a training config) sets: None keeps the
    encoder's value, a top-k of 0 removes the cap (the one spelling of "no limit" on every command)."""
    found = {f.name: getattr(settings, f.name) for f in dataclasses.fields(CspladeConfig)
             if getattr(settings, f.name, None) is not None}
    return {name: None if name.endswith("_top_k") and value == 0 else value for name, value in found.items()}
