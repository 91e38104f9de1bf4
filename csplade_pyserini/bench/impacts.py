"""Float term weights -> Lucene impacts: at a scale (the library's rule), or 8-bit max-normalised.

8-bit impacts map a document weight ``w > 0`` to ``max(1, round(255 * w / w_max))`` with ``w_max`` the
largest weight in the whole collection (one linear map for all documents, so document scores stay
comparable), and a query's weights by its own maximum (a positive factor per query does not change
that query's ranking). Every impact is then an integer in 1..255.
"""
from __future__ import annotations

from ..model import CspladeModel, SparseVector
from ..terms import impact_vector

BYTE_MAX = 255


def at_scale(model: CspladeModel, vector: SparseVector, scale: float) -> dict[str, int]:
    return impact_vector(vector[0], vector[1], model.vocabulary, scale)


def max_weight(vectors: list[SparseVector]) -> float:
    return max((max(weights) for _, weights in vectors if weights), default=0.0)


def eight_bit(model: CspladeModel, vector: SparseVector, w_max: float) -> dict[str, int]:
    """Impacts in 1..255 relative to ``w_max``."""
    if w_max <= 0:
        return {}
    return {model.vocabulary.terms[token_id]: max(1, min(BYTE_MAX, round(BYTE_MAX * weight / w_max)))
            for token_id, weight in zip(*vector) if weight > 0}


def pruned(vector: SparseVector, k: int | None) -> SparseVector:
    """The ``k`` largest weights (vectors are sorted largest first); all of them for ``k=None``."""
    return vector if k is None else (vector[0][:k], vector[1][:k])
