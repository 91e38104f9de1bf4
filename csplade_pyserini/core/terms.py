"""Token id <-> Lucene term, and float weight -> Lucene impact: the one place both live.

Anserini's ``--impact --pretokenized`` indexing splits vector keys on whitespace and drops empty
ones; Lucene's whitespace tokenizer also cuts tokens longer than 255 characters. A term is therefore
the tokenizer's own piece (``Ġprotein``, ``▁fox``, ``<0x0A>``, ``##ing``: the paper's convention)
with every unsafe character percent-encoded (``%`` itself, whitespace, control and separator
characters). Percent-encoding is injective, so distinct pieces give distinct terms. A piece that is
missing, empty or too long becomes ``%id<token id>`` (``%i`` can never come out of the encoder).
Special tokens (BOS/EOS/PAD/chat markers) and ids without a piece never carry weight.
"""
from __future__ import annotations

from typing import Iterable, Sequence

from ..errors import CspladeError
from ..formats.vectors import MAX_IMPACT, MAX_TERM_CHARS, unsafe_char

MAX_WEIGHT = 89.0  # log(1 + ReLU(x)) never exceeds this for a float32 logit x


def lucene_term(piece: str | None, token_id: int) -> str:
    """The Lucene-safe, whitespace-free term for one vocabulary piece."""
    if not piece:
        return f"%id{token_id}"
    term = "".join(
        "".join(f"%{byte:02X}" for byte in c.encode("utf-8", "surrogatepass")) if unsafe_char(c) else c
        for c in piece
    )
    return term if len(term) <= MAX_TERM_CHARS else f"%id{token_id}"


def special_token_ids(tokenizer) -> set[int]:
    """Ids of the tokenizer's special tokens (declared specials and added tokens marked special)."""
    ids = set(tokenizer.all_special_ids)
    for token_id, added in getattr(tokenizer, "added_tokens_decoder", {}).items():
        if getattr(added, "special", False):
            ids.add(int(token_id))
    return ids


class TermVocabulary:
    """The term of every output dimension of a model, plus which dimensions may carry weight."""

    def __init__(self, tokenizer, vocab_size: int) -> None:
        import torch  # the rest of this module stays importable without torch (configs, file checks)

        n_pieces = min(len(tokenizer), vocab_size)
        pieces = tokenizer.convert_ids_to_tokens(list(range(n_pieces)))
        self.terms: list[str] = [lucene_term(p, i) for i, p in enumerate(pieces)]
        self.terms += [f"%id{i}" for i in range(n_pieces, vocab_size)]
        allowed = torch.zeros(vocab_size, dtype=torch.bool)
        allowed[:n_pieces] = True
        for token_id in special_token_ids(tokenizer):
            if 0 <= token_id < vocab_size:
                allowed[token_id] = False
        for token_id, piece in enumerate(pieces):
            if not piece:
                allowed[token_id] = False
        self.allowed = allowed
        self._index: dict[str, int] | None = None
        duplicates = len(self.terms) - len(set(self.terms))
        if duplicates:
            raise CspladeError(f"vocabulary maps {duplicates} token ids onto an already used term")

    def __len__(self) -> int:
        return len(self.terms)

    def term(self, token_id: int) -> str:
        return self.terms[token_id]

    def token_id(self, term: str) -> int:
        if self._index is None:
            self._index = {t: i for i, t in enumerate(self.terms)}
        return self._index[term]


def quantize(weight: float, scale: float) -> int:
    """Lucene impact of one weight: a Python int (0 means 'drop this term')."""
    return int(round(float(weight) * scale))


def impact_vector(
    token_ids: Sequence[int], weights: Iterable[float], vocabulary: TermVocabulary, scale: float
) -> dict[str, int]:
    """{term: impact} with Python ints >= 1 (what Anserini and LuceneImpactSearcher accept)."""
    vector: dict[str, int] = {}
    for token_id, weight in zip(token_ids, weights):
        impact = quantize(weight, scale)
        if impact > MAX_IMPACT:
            raise CspladeError(f"impact {impact} of term {vocabulary.terms[token_id]!r} exceeds {MAX_IMPACT}, "
                               f"the largest Lucene keeps findable; lower weight_scale ({scale})")
        if impact >= 1:
            vector[vocabulary.terms[token_id]] = impact
    return vector
