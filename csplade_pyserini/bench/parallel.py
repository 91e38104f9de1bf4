"""Run independent subprocess-bound jobs (Anserini, trec_eval, memory probes) a few at a time."""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, TypeVar

T = TypeVar("T")
R = TypeVar("R")
WORKERS = min(2, os.cpu_count() or 1)


def in_parallel(function: Callable[[T], R], items: list[T], workers: int = WORKERS) -> list[R]:
    """``[function(item) for item in items]`` on ``workers`` threads, in order. Never for anything
    that is timed."""
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(function, items))
