"""Float term weights -> Lucene impacts: at a scale (the library's rule), or b-bit max-normalised.

b-bit impacts map a document weight ``w > 0`` to ``max(1, round(M * w / w_max))``, ``M = 2**b - 1``, with
``w_max`` the largest weight in the whole collection (one linear map for all documents, so document
scores stay comparable), and a query's weights by its own maximum (a positive factor per query does not
change that query's ranking). Every impact is then an integer in 1..M (255 for 8 bits, 15 for 4).
"""
from __future__ import annotations

from ..core.model import CspladeModel, SparseVector
from ..core.terms import impact_vector


def at_scale(model: CspladeModel, vector: SparseVector, scale: float) -> dict[str, int]:
    return impact_vector(vector[0], vector[1], model.vocabulary, scale)


def max_weight(vectors: list[SparseVector]) -> float:
    return max((max(weights) for _, weights in vectors if weights), default=0.0)


def max_normalised(model: CspladeModel, vector: SparseVector, w_max: float, bits: int) -> dict[str, int]:
    """Impacts in ``1..2**bits - 1`` relative to ``w_max``."""
    if w_max <= 0:
        return {}
    top = 2 ** bits - 1
    return {model.vocabulary.terms[token_id]: max(1, min(top, round(top * weight / w_max)))
            for token_id, weight in zip(*vector) if weight > 0}


def pruned(vector: SparseVector, k: int | None) -> SparseVector:
    """The ``k`` largest weights (vectors are sorted largest first); all of them for ``k=None``."""
    return vector if k is None else (vector[0][:k], vector[1][:k])
