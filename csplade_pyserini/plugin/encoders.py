"""Pyserini encoder classes for CSPLADE models: thin adapters over :class:`CspladeModel`.

They follow Pyserini's SPLADE pair (``SpladeQueryEncoder`` / ``SpladeDocumentEncoder``): same
constructor and ``encode`` signatures, ``**kwargs`` tolerated, and ``{term: int}`` outputs, so they
work with ``LuceneImpactSearcher``, ``python -m pyserini.search.lucene --impact --encoder NAME`` and
``python -m pyserini.encode ... encoder --encoder NAME``. Terms and impacts come from
:meth:`CspladeModel.encode_impacts`, the same code that ``csplade encode`` exports with.

Lengths, prompts and pruning are the model's (its ``csplade_config.json``), so a corpus encoded by
``pyserini.encode`` equals one exported by ``csplade encode``. Pyserini's ``max_length`` is checked, never
applied: a value other than the encoder's is a one-line error, except the 256 that ``pyserini.encode`` sends
when no ``--max-length`` was given. ``fp16`` and ``add_sep`` are accepted and not used.
"""
from __future__ import annotations

import sys
from typing import Any, Sequence

from pyserini.encode import DocumentEncoder, QueryEncoder

from ..core.model import CspladeModel
from ..errors import CspladeError
from .resolve import load_encoder_model, load_table_query_encoder

PYSERINI_MAX_LENGTH = 256  # what pyserini.encode passes with every batch when --max-length is not given


def check_max_length(max_length: int | None, wanted: int, side: str, argv: Sequence[str] = sys.argv) -> None:
    """Pyserini's ``max_length`` is the encoder's ``{side}_max_length`` or was not chosen; else one line."""
    if max_length is None or max_length == wanted:
        return
    chosen = any(arg == "--max-length" or arg.startswith("--max-length=") for arg in argv[1:])
    if side == "doc" and max_length == PYSERINI_MAX_LENGTH and not chosen:
        return
    raise CspladeError(f"max_length {max_length} differs from the encoder's {side}_max_length {wanted}: pass "
                       f"--max-length {wanted}, or encode with csplade encode --{side}-max-length {max_length}")


def _model(model_name_or_path: str | CspladeModel, tokenizer_name: str | None, device: str | None,
           dtype: str | None = None, **overrides: Any) -> CspladeModel:
    if tokenizer_name is not None:
        raise CspladeError("tokenizer_name is not supported: a CSPLADE model's own tokenizer defines "
                           "its terms")
    if isinstance(model_name_or_path, CspladeModel):
        return model_name_or_path
    return load_encoder_model(model_name_or_path, device=device, dtype=dtype, **overrides)


class CspladeQueryEncoder(QueryEncoder):
    """Encodes a query into ``{Lucene term: int impact}`` for ``LuceneImpactSearcher``.

    ``model_name_or_path``: a model directory, a preset name, a Hugging Face id, or an already loaded
    :class:`CspladeModel` (to share one model between the query and document encoders).
    ``dtype``: float32, bfloat16, auto or a quantization method (``torch-int8``, ``bnb-int8``...); default
    ``$CSPLADE_DTYPE``, else float32.
    An inference-free encoder (``query_encoder: table``, e.g. ``csplade-doc``) loads only its tokenizer
    and query table: no language model is loaded or run.
    """

    def __init__(self, model_name_or_path: str | CspladeModel, tokenizer_name: str | None = None,
                 device: str = "cpu", dtype: str | None = None, **kwargs: Any) -> None:
        super().__init__()
        self.table = None
        if isinstance(model_name_or_path, str) and tokenizer_name is None:
            self.table = load_table_query_encoder(model_name_or_path)
        self.model = None if self.table else _model(model_name_or_path, tokenizer_name, device, dtype)
        side = self.table or self.model
        self.vocabulary, self.config, self.tokenizer = side.vocabulary, side.config, side.inputs.tokenizer
        self.has_model = True

    def encode(self, text: str, max_length: int | None = None, **kwargs: Any) -> dict[str, int]:
        check_max_length(max_length, self.config.query_max_length, "query")
        if self.table is not None:
            return self.table.encode_impacts([text])[0]
        return self.model.encode_impacts([text], "query")[0]


class CspladeDocumentEncoder(DocumentEncoder):
    """Encodes batches of documents into ``{Lucene term: int impact}`` (a JsonVectorCollection's vectors).

    ``prefix`` replaces the model's document prompt (``doc_prefix``); ``titles`` are joined to
    ``texts`` by a space, as ``csplade corpus`` and Anserini's BEIR collections do.
    """

    def __init__(self, model_name: str | CspladeModel, tokenizer_name: str | None = None, device: str = "cpu",
                 prefix: str | None = None, batch_size: int = 16, dtype: str | None = None,
                 **kwargs: Any) -> None:
        if batch_size < 1:
            raise CspladeError(f"batch_size must be >= 1, got {batch_size}")
        overrides = {} if prefix is None else {"doc_prefix": prefix}
        self.model = _model(model_name, tokenizer_name, device, dtype, **overrides)
        self.batch_size = batch_size

    def encode(self, texts: Sequence[str | None], titles: Sequence[str | None] | None = None,
               max_length: int | None = None, add_sep: bool = False, **kwargs: Any) -> list[dict[str, int]]:
        check_max_length(max_length, self.model.config.doc_max_length, "doc")
        if titles is not None:
            texts = [" ".join(part for part in (title, text) if part) for title, text in zip(titles, texts)]
        return self.model.encode_impacts([text or "" for text in texts], "doc", self.batch_size)
