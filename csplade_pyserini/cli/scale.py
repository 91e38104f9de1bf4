"""``csplade scale``: predicted peak memory and time per GPU of the MS MARCO recipe's phases, and the
model checked against real training steps measured on this machine (``--measure``).

    csplade scale --gpus 8                # the plan: GiB per GPU by part, fits?, hours per phase
    csplade scale --measure               # CPU: measured vs predicted memory of real LoRA steps

The memory and time model is :mod:`csplade_pyserini.bench.scale`; docs/scale.md holds both tables.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass

from .. import options
from ..errors import CspladeError
from ..options import option
from .common import at_least

MEASURED = [  # (model, queries, negatives, query length, doc length, variant, gradient checkpointing)
    ("smollm2-135m", 2, 3, 16, 128, "causal", False),
    ("smollm2-135m", 2, 3, 16, 128, "causal", True),
    ("smollm2-135m", 2, 3, 16, 256, "echo", True),
    ("smollm2-135m", 4, 3, 16, 128, "bi", True),
]


@dataclass
class ScaleSettings:
    gpus: int = option(8, "GPUs of one machine (one training process each)")
    gpu_memory: float = option(80.0, "GiB of memory per GPU")
    utilisation: float = option(0.3, "share of the GPU's bf16 peak FLOP/s a step reaches (assumed)")
    measure: bool = option(False, "run the model's CPU checks instead: real LoRA steps, measured")
    threads: int = option(1, "CPU threads of each measured step")

    def validate(self) -> None:
        at_least(self, "gpus", 1)
        at_least(self, "threads", 1)
        if not 0 < self.utilisation <= 1 or self.gpu_memory <= 0:
            raise CspladeError("--utilisation must be in (0, 1] and --gpu-memory positive")


def register(commands) -> None:
    parser = commands.add_parser("scale", help="memory/time plan of the MS MARCO recipe per GPU",
                                 description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_arguments(parser, ScaleSettings)
    parser.set_defaults(run=lambda args: run(options.from_args(ScaleSettings, args)))


def run(settings: ScaleSettings) -> int:
    print(check_table(settings.threads) if settings.measure else plan_table(settings))
    return 0


def plan_table(settings: ScaleSettings) -> str:
    from ..bench.scale import GIB, H100, gib, memory, msmarco_phases, step_seconds
    from ..evaluate.tables import markdown_table

    rows = []
    for phase in msmarco_phases(settings.gpus):
        parts = memory(phase.arch, phase.step)
        hours = step_seconds(phase.arch, phase.step, H100.bf16_flops * settings.utilisation) * phase.micro_steps
        rows.append([phase.name, f"{phase.step.texts} x {phase.step.tokens}",
                     *(f"{gib(parts[k])}" for k in ("weights", "trained", "activations", "vocabulary", "total")),
                     "yes" if parts["total"] <= settings.gpu_memory * GIB else "**no**", f"{hours / 3600:.1f}"])
    header = ["phase", "texts x tokens per GPU", "weights GiB", "trained GiB", "activations GiB",
              "vocabulary GiB", "peak GiB", f"fits {settings.gpu_memory:g} GiB", "hours"]
    return (f"{settings.gpus} GPU(s), {H100.name} at {settings.utilisation:.0%} of its bf16 peak\n\n"
            + markdown_table(header, rows))


def measure(spec: dict, threads: int) -> dict:
    """One real training step measured in a fresh process (:mod:`csplade_pyserini.bench.scale_probe`)."""
    from ..bench.memory import run_child

    return run_child("csplade_pyserini.bench.scale_probe", {**spec, "threads": threads}, f"scale probe {spec}")


def check_table(threads: int) -> str:
    """Measured vs predicted step memory; step time predicted from the first row's FLOP rate."""
    from tqdm import tqdm

    from ..bench.scale import ARCHITECTURES, Step, flops, step_transient
    from ..evaluate.tables import markdown_table

    rows, rate = [], None
    for model, queries, negatives, q_len, d_len, variant, checkpointing in tqdm(MEASURED, desc="scale probes"):
        spec = {"model": model, "queries": queries, "negatives": negatives, "query_length": q_len,
                "doc_length": d_len, "variant": variant, "gradient_checkpointing": checkpointing, "lora_r": 8}
        measured = measure(spec, threads)
        step = Step(texts=measured["texts"], tokens=round(measured["tokens"] / measured["texts"]),
                    pooled=round(measured["pooled"] / measured["texts"]), lora_rank=8, weight_bytes=4,
                    activation_bytes=4, gradient_checkpointing=checkpointing, overhead_bytes=0)
        arch = ARCHITECTURES["SmolLM2-135M"]
        predicted = step_transient(arch, step)
        rate = rate or flops(arch, step) / measured["seconds"]
        rows.append([f"{variant}, {queries} q x {1 + negatives} docs x {d_len} tokens"
                     + (", checkpointing" if checkpointing else ""),
                     f"{measured['peak_bytes'] / 2**20:.0f}", f"{predicted / 2**20:.0f}",
                     f"{predicted / measured['peak_bytes']:.2f}", f"{measured['seconds']:.1f}",
                     f"{flops(arch, step) / rate:.1f}"])
    header = ["SmolLM2-135M LoRA r8 step, float32", "measured MiB", "predicted MiB", "predicted / measured",
              "measured s", "predicted s"]
    return markdown_table(header, rows)
