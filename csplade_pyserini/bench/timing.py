"""Wall-clock timing for benchmarks: synchronised on CUDA, one warm-up, medians of repetitions."""
from __future__ import annotations

import statistics
import time
from typing import Callable, TypeVar

import torch

T = TypeVar("T")


def synchronize(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def timed(fn: Callable[[], T], device: str = "cpu") -> tuple[float, T]:
    """(seconds, result) of one call, with the device's queued work included."""
    synchronize(device)
    start = time.perf_counter()
    result = fn()
    synchronize(device)
    return time.perf_counter() - start, result


def repeat(fn: Callable[[], object], repetitions: int, device: str = "cpu") -> list[float]:
    """Seconds of ``repetitions`` calls after one untimed warm-up call."""
    fn()
    return [timed(fn, device)[0] for _ in range(repetitions)]


def median(values: list[float]) -> float:
    return float(statistics.median(values))
