"""Markdown tables: the one builder behind ``csplade report``, ``csplade bench`` and ``csplade curves``."""
from __future__ import annotations

from typing import Sequence


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub Markdown table (a header row, a ``|---|`` rule, one line per row), without a final newline.

    Cells are written as given: format numbers and escape ``|`` before calling.
    """
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
