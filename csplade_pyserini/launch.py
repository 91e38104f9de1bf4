"""Which process of a multi-process launch this one is (``torchrun``, ``accelerate launch --multi_gpu``),
read from the launcher's environment, and the launches that would silently run something else.

On a machine without GPUs, ``accelerate launch --multi_gpu --num_processes N`` starts N processes through
torchrun and they form a gloo process group on the CPU; ``accelerate launch --cpu --num_processes N`` starts
**one** process unless MPI is set up (accelerate's simple launcher), and accelerate's FSDP plugin is enabled
for GPU processes only (on CPU processes accelerate falls back to DDP without a word). Both are refused.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from .errors import CspladeError


@dataclass(frozen=True)
class Launch:
    """This process's place in a launch of ``world`` processes."""

    rank: int
    world: int
    local_rank: int


def launched(environ: Mapping[str, str]) -> Launch | None:
    """This process's place when a launcher started several (``RANK``/``WORLD_SIZE``/``LOCAL_RANK``), else
    None; a single-CPU-process launch asked for several processes is a one-line error."""
    if "WORLD_SIZE" not in environ:
        if _truthy(environ.get("ACCELERATE_USE_CPU")) and environ.get("MASTER_ADDR"):
            raise CspladeError("`accelerate launch --cpu --num_processes N` starts one process without MPI; "
                               "on CPUs launch N processes with `accelerate launch --multi_gpu "
                               "--num_processes N` (torchrun, gloo)")
        return None
    world = int(environ["WORLD_SIZE"])
    if world <= 1:
        return None
    rank = int(environ["RANK"])
    return Launch(rank, world, int(environ.get("LOCAL_RANK", rank)))


def check_distributed(environ: Mapping[str, str], distributed_type: str, processes: int) -> None:
    """The process group accelerate formed is the one the launcher asked for (``distributed_type`` is
    accelerate's, e.g. ``MULTI_CPU``, ``MULTI_GPU``, ``FSDP``)."""
    launch = launched(environ)
    expected = launch.world if launch else 1
    if processes != expected:
        raise CspladeError(f"the launcher started {expected} processes but accelerate formed a group of "
                           f"{processes} ({distributed_type})")
    if _truthy(environ.get("ACCELERATE_USE_FSDP")) and distributed_type != "FSDP":
        raise CspladeError(f"an FSDP launch, but accelerate runs FSDP on GPU processes only and would run "
                           f"{distributed_type} here; launch without the FSDP config for DDP")


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes")
