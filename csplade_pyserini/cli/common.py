"""Settings shared by the commands that load an encoder (encode, encode-queries, inspect), and the checks
every command's numeric settings go through where they are parsed.

:class:`EncoderOptions` is a settings dataclass like every command's (:mod:`csplade_pyserini.options`
turns it into flags): a command's own settings extend it. Its CspladeConfig fields (``--doc-top-k``...)
override the encoder's saved config; they are checked before any model is loaded.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core.config import VARIANTS, CspladeConfig, overrides_from
from ..errors import CspladeError
from ..options import option


@dataclass
class EncoderOptions:
    """Which encoder, where, in which precision, and overrides of its CspladeConfig."""

    encoder: str = option("csplade", "model directory, preset name from encoders/, or Hugging Face id",
                          flags=("--model",))
    device: str = option("cpu", "cpu, cuda, cuda:N")
    dtype: str = option("float32", "float32, bfloat16, float16, a quantization method (torch-int8, bnb-int8, "
                                   "bnb-nf4, bnb-fp4, torchao-int8wo, torchao-int8dq, torchao-int4wo), auto "
                                   "(bf16 on CUDA or a CPU with native bf16, else float32)")
    variant: str | None = option(None, "override the encoder's variant", choices=VARIANTS)
    query_variant: str | None = option(None, "override the query side's variant", choices=("causal", "echo"))
    query_max_length: int | None = option(None, "override: tokens per query, prefix and specials included")
    doc_max_length: int | None = option(None, "override: tokens per document, prefix and specials included")
    query_top_k: int | None = option(None, "override: keep the k largest query weights (0 = no cap)")
    doc_top_k: int | None = option(None, "override: keep the k largest document weights (0 = no cap)")
    weight_scale: float | None = option(None, "override: impact = round(weight * scale)")
    query_table: str | None = option(None, "inference-free queries: a query table (csplade query-table) "
                                           "replaces the encoder's query side")

    def validate(self) -> None:
        require(self, "encoder")
        CspladeConfig(**self.overrides())  # out-of-range values fail here, before a model is loaded

    def overrides(self) -> dict[str, Any]:
        """The CspladeConfig fields given (they replace the encoder's saved values)."""
        return overrides_from(self)

    def precision(self) -> str:
        """What ``--dtype`` means on this machine (``auto`` resolved)."""
        from ..loading.load import parse_device
        from ..loading.precision import resolve_precision

        return resolve_precision(self.dtype, parse_device(self.device))

    def load(self):
        """The :class:`CspladeModel` these options name."""
        from transformers.utils import logging as hf_logging

        from ..loading.load import load_model

        hf_logging.disable_progress_bar()  # loading bars would bury the command's own output
        return load_model(self.encoder, device=self.device, dtype=self.dtype, query_table=self.query_table,
                          **self.overrides())


def require(settings: Any, *names: str) -> None:
    """One line naming the first of ``names`` that was not given."""
    for name in names:
        if not getattr(settings, name):
            raise CspladeError(f"--{flag(name)} is required")


def at_least(settings: Any, name: str, minimum: int) -> None:
    """One line naming the option when a numeric setting is below ``minimum``."""
    value = getattr(settings, name)
    if value < minimum:
        raise CspladeError(f"--{flag(name)} must be >= {minimum}, got {value}")


def flag(name: str) -> str:
    return name.replace("_", "-")
