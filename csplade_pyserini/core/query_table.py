"""Inference-free queries: a query's vector is its own tokens, each weighted by a per-token table.

With ``query_encoder: table`` in ``csplade_config.json`` only documents go through the language model.
A query is tokenized exactly as the model's query side would tokenize it (prefix, truncation, the same
pooled positions), and each distinct pooled token ``j`` gets the weight ``table[j]``: no forward pass, so
searching costs a tokenizer call and a lookup (the inference-free retrievers of OpenSearch, SPLADE-v3-doc
and sentence-transformers' ``SparseStaticEmbedding``). The table starts from BM25's IDF over a corpus
(:func:`idf_weights`) and may be trained with the document encoder. It is saved as
``query_table.safetensors`` beside the model's ``csplade_config.json`` (or the adapter's).
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

import torch

from ..errors import CspladeError
from ..formats.files import partial_file
from .config import CspladeConfig
from .inputs import EncoderInputs, InputBuilder
from .sparse import sparsify
from .terms import TermVocabulary, impact_vector

TABLE_FILE = "query_table.safetensors"
TABLE_KEY = "weight"
FULL_TEXT_TOKENS = 1 << 20  # "no truncation" for the IDF count


class QueryTable(torch.nn.Module):
    """[V] per-token query weights; ``forward`` turns tokenized queries into [B, V] vectors."""

    def __init__(self, weights: torch.Tensor, trainable: bool = False) -> None:
        super().__init__()
        if weights.dim() != 1 or not bool(torch.isfinite(weights).all()) or bool((weights < 0).any()):
            raise CspladeError("a query table is one finite, non-negative weight per vocabulary entry")
        self.weight = torch.nn.Parameter(weights.detach().float().clone(), requires_grad=trainable)

    def forward(self, inputs: EncoderInputs) -> torch.Tensor:
        """Row b: ``table[j]`` for every token j pooled in query b (each counted once), 0 elsewhere."""
        ids = inputs.input_ids.to(self.weight.device)
        pooled = inputs.pool_mask.to(self.weight.device).float()
        presence = torch.zeros((ids.shape[0], self.weight.shape[0]), device=self.weight.device)
        presence.scatter_reduce_(1, ids, pooled, reduce="amax")
        return presence * torch.relu(self.weight)

    def save(self, directory: str | Path) -> Path:
        from safetensors.torch import save_file

        path = Path(directory) / TABLE_FILE
        staging = partial_file(path)
        try:
            save_file({TABLE_KEY: self.weight.detach().float().cpu().contiguous()}, str(staging))
            staging.replace(path)
        except Exception as exc:  # safetensors' own error type for a full disk or a write error
            raise CspladeError(f"{path}: could not be written ({str(exc).splitlines()[0][:200]})") from None
        finally:
            staging.unlink(missing_ok=True)
        return path

    @classmethod
    def load(cls, path: str | Path, trainable: bool = False) -> "QueryTable":
        from safetensors import SafetensorError, safe_open

        path = Path(path)
        if path.is_dir():
            path = path / TABLE_FILE
        try:
            with safe_open(str(path), "pt") as handle:
                weights = handle.get_tensor(TABLE_KEY)
        except FileNotFoundError:
            raise CspladeError(f"{path}: no query table (query_encoder 'table' needs {TABLE_FILE})") from None
        except (SafetensorError, OSError, KeyError) as exc:
            raise CspladeError(f"{path}: not a query table ({str(exc).splitlines()[0] if str(exc) else exc})"
                               ) from None
        try:
            return cls(weights, trainable)
        except CspladeError as exc:
            raise CspladeError(f"{path}: {exc}") from None


def find_table(directories: Iterable[Path]) -> Path | None:
    """The first ``query_table.safetensors`` among ``directories``."""
    for directory in directories:
        if (Path(directory) / TABLE_FILE).is_file():
            return Path(directory) / TABLE_FILE
    return None


def idf_weights(tokenizer, config: CspladeConfig, texts: Iterable[str], vocab_size: int,
                batch_size: int = 256) -> torch.Tensor:
    """BM25's IDF ``log(1 + (N - df + 0.5) / (df + 0.5))`` of every token over ``texts``.

    A document's tokens are the pooled tokens of its whole document-side input (the prefix excluded, the
    text not truncated, as BM25 counts), the same pieces a query is split into. Tokens no document
    holds get the largest IDF (df = 0).
    """
    whole = config.replace(variant="causal", query_variant=None, doc_max_length=FULL_TEXT_TOKENS)
    builder = InputBuilder(tokenizer, whole)
    df = torch.zeros(vocab_size, dtype=torch.float64)
    count = 0
    batch: list[str] = []

    def add(batch: list[str]) -> None:
        inputs = builder.build(batch, "doc")
        presence = torch.zeros((len(batch), vocab_size), dtype=torch.float64)
        presence.scatter_reduce_(1, inputs.input_ids, inputs.pool_mask.double(), reduce="amax")
        df.add_(presence.sum(dim=0))

    for text in texts:
        batch.append(text)
        count += 1
        if len(batch) == batch_size:
            add(batch)
            batch = []
    if batch:
        add(batch)
    if count == 0:
        raise CspladeError("no documents to compute the query table's IDF from")
    return torch.log1p((count - df + 0.5) / (df + 0.5)).float()


class TableQueryEncoder:
    """Query vectors and impacts from a tokenizer and a table alone (no language model is loaded)."""

    def __init__(self, tokenizer, config: CspladeConfig, table: QueryTable) -> None:
        self.config = config
        self.table = table
        self.vocabulary = TermVocabulary(tokenizer, table.weight.shape[0])
        self.inputs = InputBuilder(tokenizer, config)
        self._allowed = self.vocabulary.allowed.float()

    @torch.no_grad()
    def weights(self, texts: Sequence[str]) -> torch.Tensor:
        return self.table(self.inputs.build(list(texts), "query")) * self._allowed

    def encode_impacts(self, texts: Sequence[str], batch_size: int = 64) -> list[dict[str, int]]:
        """{Lucene term: int impact} per query: the same terms and impacts as ``CspladeModel``'s."""
        out: list[dict[str, int]] = []
        for start in range(0, len(texts), batch_size):
            vectors = sparsify(self.weights(texts[start:start + batch_size]), self.config.query_top_k,
                               self.config.query_threshold)
            out.extend(impact_vector(ids, values, self.vocabulary, self.config.weight_scale)
                       for ids, values in vectors)
        return out


def check_table_size(table: QueryTable, vocab_size: int, where: str) -> None:
    if table.weight.shape[0] != vocab_size:
        raise CspladeError(f"{where}: the query table has {table.weight.shape[0]} entries, the model's "
                           f"vocabulary {vocab_size}")

