"""Turn texts into model inputs for each variant, with the mask of positions that are pooled.

Pooled positions are exactly the positions of the text's own tokens (for ECHO: of its second copy).
The prefix, BOS/special tokens, padding and position 0 (the attention sink of decoders) are never
pooled. The attention mask itself is the model's business (:func:`attention_mask_for`).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import torch

from .config import CspladeConfig

LOG = logging.getLogger("csplade_pyserini")


@dataclass
class EncoderInputs:
    """A right-padded batch: token ids, where the real tokens are, and which positions are pooled."""

    input_ids: torch.Tensor  # [B, L] long
    padding_mask: torch.Tensor  # [B, L] bool, True at real tokens
    pool_mask: torch.Tensor  # [B, L] bool, True at pooled positions

    def to(self, device: torch.device | str) -> "EncoderInputs":
        return EncoderInputs(self.input_ids.to(device), self.padding_mask.to(device), self.pool_mask.to(device))

    @property
    def num_tokens(self) -> int:
        return int(self.padding_mask.sum())


def _text_token_flags(encoding, row: int, text_start: int, special: list[int]) -> list[bool]:
    """True for tokens that cover characters of the text (offset end beyond ``text_start``)."""
    offsets = encoding["offset_mapping"][row]
    return [end > text_start and not is_special and end > start
            for (start, end), is_special in zip(offsets, special)]


class InputBuilder:
    """Builds :class:`EncoderInputs` for one tokenizer and one :class:`CspladeConfig`."""

    def __init__(self, tokenizer, config: CspladeConfig) -> None:
        if not getattr(tokenizer, "is_fast", False):
            raise ValueError("CSPLADE needs a fast (Rust) tokenizer for offset mappings")
        self.tokenizer = tokenizer
        self.config = config
        pad = tokenizer.pad_token_id
        if pad is None:
            pad = tokenizer.eos_token_id if tokenizer.eos_token_id is not None else 0
        self.pad_id = int(pad)

    def _tokenize(self, strings: list[str], max_length: int | None, specials: bool):
        return self.tokenizer(
            strings,
            add_special_tokens=specials,
            return_offsets_mapping=True,
            return_special_tokens_mask=True,
            truncation=max_length is not None,
            max_length=max_length,
        )

    def build(self, texts: list[str], side: str) -> EncoderInputs:
        """Tokenize ``texts`` for ``side`` ('query' or 'doc') according to the variant."""
        config = self.config
        prefix = config.prefix(side)
        if side == "query":
            self._note_truncated_queries([prefix + t for t in texts], config.max_length(side))
        first = self._tokenize([prefix + t for t in texts], config.max_length(side), specials=True)
        rows: list[list[int]] = []
        pooled: list[list[bool]] = []
        for i in range(len(texts)):
            ids = list(first["input_ids"][i])
            flags = _text_token_flags(first, i, len(prefix), first["special_tokens_mask"][i])
            rows.append(ids)
            pooled.append(flags)
        if config.variant_for(side) == "echo":
            rows, pooled = self._echo(texts, prefix, first, rows, pooled)
        return self._pad(rows, pooled)

    def _note_truncated_queries(self, strings: list[str], max_length: int) -> None:
        """One warning line per query longer than ``query_max_length`` (its tail is not encoded)."""
        lengths = [len(ids) for ids in self.tokenizer(strings, add_special_tokens=True)["input_ids"]]
        for text, length in zip(strings, lengths):
            if length > max_length:
                LOG.warning("query cut to query_max_length %d of its %d tokens: %.60s...", max_length, length,
                            text)

    def _echo(self, texts, prefix, first, rows, pooled):
        """Append a second copy (separator + prefix + the same, truncated text); pool only that copy."""
        lead = self.config.echo_separator + prefix
        kept = []
        for i, text in enumerate(texts):
            ends = [end for (start, end), flag in zip(first["offset_mapping"][i], pooled[i]) if flag]
            kept.append(text[: max(ends) - len(prefix)] if ends else "")
        second = self._tokenize([lead + t for t in kept], None, specials=False)
        out_rows, out_pooled = [], []
        for i in range(len(texts)):
            ids2 = list(second["input_ids"][i])
            flags2 = _text_token_flags(second, i, len(lead), second["special_tokens_mask"][i])
            out_rows.append(rows[i] + ids2)
            out_pooled.append([False] * len(rows[i]) + flags2)
        return out_rows, out_pooled

    def _pad(self, rows: list[list[int]], pooled: list[list[bool]]) -> EncoderInputs:
        length = max(len(r) for r in rows)
        batch = len(rows)
        input_ids = torch.full((batch, length), self.pad_id, dtype=torch.long)
        padding = torch.zeros((batch, length), dtype=torch.bool)
        pool = torch.zeros((batch, length), dtype=torch.bool)
        for i, (ids, flags) in enumerate(zip(rows, pooled)):
            input_ids[i, : len(ids)] = torch.tensor(ids, dtype=torch.long)
            padding[i, : len(ids)] = True
            pool[i, : len(flags)] = torch.tensor(flags, dtype=torch.bool)
        pool[:, 0] = False  # the first position is an attention sink: never pooled
        return EncoderInputs(input_ids, padding, pool)
