"""Adaptation text: documents from a corpus file or ir_datasets, tokenized and packed into sequences.

Packing (the paper's set-up) concatenates documents, each followed by EOS, and cuts the token stream
into full ``seq_length`` rows, so no position is padding. Without packing every row is one document,
truncated and right-padded. Process ``rank`` of ``world`` reads every ``world``-th document.

The stream's position (pass over the corpus, documents read, tokens carried over) is its ``state``:
saved with each checkpoint, it lets a resumed run continue with the very next sequence.
"""
from __future__ import annotations

from itertools import islice
from typing import Any, Iterator

import torch

from ..errors import CspladeError
from ..formats.corpus import read_corpus
from ..formats.irds import doc_text, is_irds_id, load_dataset


def iter_texts(source: str, max_docs: int | None = None) -> Iterator[str]:
    """Document texts of a corpus JSONL/TSV (file or directory) or of an ir_datasets id."""
    if is_irds_id(source):
        dataset = load_dataset(source)
        if not dataset.has_docs():
            raise CspladeError(f"ir_datasets {source!r} has no documents")
        texts: Iterator[str] = (doc_text(d) for d in dataset.docs_iter())
    else:
        texts = (d.text for d in read_corpus(source))
    return islice(texts, max_docs)


class SequenceStream:
    """Batches of token sequences for the adaptation phase, resumable through ``state``."""

    def __init__(self, source: str, tokenizer, seq_length: int, pack: bool = True,
                 max_docs: int | None = None, rank: int = 0, world: int = 1) -> None:
        self.source = source
        self.tokenizer = tokenizer
        self.seq_length = seq_length
        self.pack = pack
        self.max_docs = max_docs
        self.rank = rank
        self.world = world
        self.pass_number = 0
        self.position = 0  # documents of the current pass already consumed (all processes' included)
        self.buffer: list[int] = []
        self._texts: Iterator[str] | None = None
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        self.pad_id = int(pad if pad is not None else 0)

    # -- state ----------------------------------------------------------------------------------------
    @property
    def state(self) -> dict[str, Any]:
        return {"pass": self.pass_number, "position": self.position, "buffer": list(self.buffer)}

    def load_state(self, state: dict[str, Any]) -> None:
        self.pass_number = int(state["pass"])
        self.position = int(state["position"])
        self.buffer = list(state["buffer"])
        self._texts = None

    # -- reading --------------------------------------------------------------------------------------
    def _next_text(self) -> str:
        """The next document of this process, starting a new pass at the end of the corpus."""
        for _ in range(2):
            if self._texts is None:
                self._texts = islice(iter_texts(self.source, self.max_docs), self.position, None)
            for text in self._texts:
                index = self.position
                self.position += 1
                if index % self.world == self.rank and text.strip():
                    return text
            if self.position == 0 or (self.position <= self.rank):
                break
            self.pass_number += 1
            self.position = 0
            self._texts = None
        raise CspladeError(f"{self.source}: no non-empty document to train on")

    def _tokens(self, text: str) -> list[int]:
        ids = self.tokenizer(text, add_special_tokens=True)["input_ids"]
        eos = self.tokenizer.eos_token_id
        if eos is not None and (not ids or ids[-1] != eos):
            ids = ids + [eos]
        return ids

    def next_batch(self, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(input_ids [B, L], padding_mask [B, L] bool)."""
        rows = [self._packed_row() if self.pack else self._tokens(self._next_text())[: self.seq_length]
                for _ in range(batch_size)]
        length = max(len(r) for r in rows)
        input_ids = torch.full((batch_size, length), self.pad_id, dtype=torch.long)
        padding = torch.zeros((batch_size, length), dtype=torch.bool)
        for i, row in enumerate(rows):
            input_ids[i, : len(row)] = torch.tensor(row, dtype=torch.long)
            padding[i, : len(row)] = True
        return input_ids, padding

    def _packed_row(self) -> list[int]:
        while len(self.buffer) < self.seq_length:
            self.buffer.extend(self._tokens(self._next_text()))
        row, self.buffer = self.buffer[: self.seq_length], self.buffer[self.seq_length:]
        return row
