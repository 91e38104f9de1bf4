"""CspladeModel: a Hugging Face causal LM + tokenizer + CspladeConfig -> sparse vectors.

The one model core used by training (differentiable ``forward``), encoding and the Pyserini
encoders (``encode`` / ``encode_impacts``).
"""
from __future__ import annotations

import dataclasses
from contextlib import nullcontext
from pathlib import Path
from typing import Iterator, Sequence

import torch

from ..errors import CspladeError
from ..formats.corpus import is_blank
from .attention import bidirectional, bidirectional_attention_mask, check_bidirectional
from .config import SIDES, CspladeConfig
from .inputs import EncoderInputs, InputBuilder
from .pooling import chunked_max_pool
from .query_table import QueryTable, check_table_size
from .sparse import SparseVector, sparsify
from .terms import TermVocabulary, impact_vector

ROOM_PROBE = "some text"  # two words: some of them must be pooled on either side (position 0 never is)


class CspladeModel(torch.nn.Module):
    """A CSPLADE encoder over any ``AutoModelForCausalLM``; with an inference-free config
    (``query_encoder: table``) its queries are encoded by ``query_table`` instead of the LM."""

    def __init__(self, lm: torch.nn.Module, tokenizer, config: CspladeConfig,
                 query_table: QueryTable | None = None) -> None:
        super().__init__()
        self.lm = lm
        self.tokenizer = tokenizer
        self.config = config
        head = lm.get_output_embeddings()
        if config.inference_free and query_table is None:
            raise CspladeError("query_encoder 'table' needs a query table (query_table.safetensors)")
        if query_table is not None:
            check_table_size(query_table, head.out_features, "model")
        self.query_table = query_table if config.inference_free else None
        self.vocabulary = TermVocabulary(tokenizer, head.out_features)
        self.register_buffer("allowed", self.vocabulary.allowed.float(), persistent=False)
        self.inputs = InputBuilder(tokenizer, config)
        for side in SIDES:
            _check_room(self.inputs, side)
            _check_positions(config, side, getattr(lm.config, "max_position_embeddings", None))
        if config.variant == "bi":
            check_bidirectional(lm)
        self._softcap = getattr(lm.config, "final_logit_softcapping", None)
        self._logit_scale = getattr(lm.config, "logit_scale", None)

    # -- the differentiable path ------------------------------------------------------------------
    @property
    def backbone(self) -> torch.nn.Module:
        return getattr(self.lm, self.lm.base_model_prefix)

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """Vocabulary logits for hidden states, with the architecture's scaling/soft-capping."""
        logits = self.lm.get_output_embeddings()(hidden)
        if self._logit_scale is not None:
            logits = logits * self._logit_scale
        if self._softcap:
            logits = torch.tanh(logits / self._softcap) * self._softcap
        return logits

    def attention_mask(self, inputs: EncoderInputs) -> torch.Tensor:
        if self.config.variant == "bi":
            return bidirectional_attention_mask(inputs.padding_mask, self.lm.dtype)
        return inputs.padding_mask.long()

    def hidden_states(self, inputs: EncoderInputs) -> torch.Tensor:
        with bidirectional(self.lm) if self.config.variant == "bi" else nullcontext():
            out = self.backbone(input_ids=inputs.input_ids, attention_mask=self.attention_mask(inputs),
                                use_cache=False)
        return out.last_hidden_state

    def forward(self, inputs: EncoderInputs, checkpoint_pooling: bool = False) -> torch.Tensor:
        """[B, V] float32 term weights (zero on special tokens), differentiable."""
        hidden = self.hidden_states(inputs)
        weights = chunked_max_pool(hidden, inputs.pool_mask, self.logits, self.config.pool_chunk_size,
                                   checkpoint=checkpoint_pooling)
        return weights * self.allowed

    def side_weights(self, inputs: EncoderInputs, side: str, checkpoint_pooling: bool = False) -> torch.Tensor:
        """[B, V] weights of one side: the query table's for inference-free queries, else ``forward``."""
        if side == "query" and self.query_table is not None:
            return self.query_table(inputs) * self.allowed
        return self.forward(inputs, checkpoint_pooling)

    # -- inference ------------------------------------------------------------------------------------
    @property
    def device(self) -> torch.device:
        return next(self.lm.parameters()).device

    def tokenize(self, texts: Sequence[str], side: str) -> EncoderInputs:
        return self.inputs.build(list(texts), side).to(self.device)

    @torch.inference_mode()
    def weights(self, texts: Sequence[str], side: str) -> torch.Tensor:
        """[B, V] weights for one batch, without gradients."""
        return self.side_weights(self.tokenize(texts, side), side)

    def encode(self, texts: Sequence[str], side: str, batch_size: int = 16) -> list[SparseVector]:
        """Sparse vectors (top-k / threshold pruned as configured for ``side``), in input order. A blank
        text (whitespace or invisible format characters only) has no words: its vector is empty, not the
        vector of its prefix alone."""
        results: list[SparseVector | None] = [None] * len(texts)
        words = [i for i, text in enumerate(texts) if not is_blank(text)]
        for i in set(range(len(texts))) - set(words):
            results[i] = ([], [])
        for batch in _length_sorted_batches([texts[i] for i in words], batch_size):
            indices = [words[j] for j in batch]
            weights = self.weights([texts[i] for i in indices], side)
            for i, vector in zip(indices, sparsify(weights, self.config.top_k(side),
                                                   self.config.threshold(side))):
                results[i] = vector
        return results  # type: ignore[return-value]

    def to_impacts(self, vector: SparseVector) -> dict[str, int]:
        return impact_vector(vector[0], vector[1], self.vocabulary, self.config.weight_scale)

    def encode_impacts(self, texts: Sequence[str], side: str, batch_size: int = 16) -> list[dict[str, int]]:
        """{Lucene term: int impact} per text: what is exported and what queries are searched with."""
        return [self.to_impacts(v) for v in self.encode(texts, side, batch_size)]

    # -- persistence ----------------------------------------------------------------------------------
    def save(self, directory: str | Path) -> Path:
        """Save the LM, tokenizer and config so the directory reloads with :func:`load_model`."""
        directory = Path(directory)
        self.lm.save_pretrained(directory)
        self.tokenizer.save_pretrained(directory)
        dataclasses.replace(self.config, base_model=None).save(directory)
        if self.query_table is not None:
            self.query_table.save(directory)
        return directory


def _check_room(inputs: InputBuilder, side: str) -> None:
    """One line naming the option when a side's max length leaves no text token after its prefix."""
    if not inputs.build([ROOM_PROBE], side).pool_mask.any():
        name = f"{side}_max_length"
        raise CspladeError(f"{name} {inputs.config.max_length(side)} leaves no room for text after the "
                           f"{side} prefix {inputs.config.prefix(side)!r} and special tokens; raise "
                           f"--{name.replace('_', '-')} (or '{name}' in csplade_config.json)")


def _check_positions(config: CspladeConfig, side: str, positions: int | None) -> None:
    """One line when a side's longest input (ECHO: the text twice) exceeds the LM's positions."""
    echo = config.variant_for(side) == "echo"
    longest = config.max_length(side) * (2 if echo else 1)
    if positions and longest > positions:
        name = f"{side}_max_length"
        raise CspladeError(f"{name} {config.max_length(side)}{' (twice: echo)' if echo else ''} exceeds the "
                           f"model's {positions} positions (max_position_embeddings); lower "
                           f"--{name.replace('_', '-')}")


def _length_sorted_batches(texts: Sequence[str], batch_size: int) -> Iterator[list[int]]:
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
    for start in range(0, len(order), batch_size):
        yield order[start : start + batch_size]
