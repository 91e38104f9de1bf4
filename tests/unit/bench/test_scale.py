"""The memory and time model's arithmetic, by hand, and the MS MARCO recipe's settings it plans for."""
import re
from pathlib import Path

import pytest

from csplade_pyserini.bench.scale import (
    ARCHITECTURES,
    GIB,
    H100,
    Architecture,
    Step,
    flops,
    memory,
    msmarco_phases,
    step_transient,
)

TINY = Architecture("tiny", hidden=8, layers=2, intermediate=16, heads=2, kv_heads=1, vocab=100, tied=True)
CONFIG = Path(__file__).resolve().parents[3] / "recipes" / "msmarco-passage" / "config.sh"


def test_parameter_counts_are_the_published_ones():
    assert ARCHITECTURES["Llama-3.2-1B"].parameters() == 1_235_814_400
    assert ARCHITECTURES["Llama-3.1-8B"].parameters() == 8_030_261_248
    assert ARCHITECTURES["SmolLM2-135M"].parameters() == 134_515_008


def test_the_parts_by_hand():
    # kv_dim 4; a layer: q 64 + k 32 + v 32 + o 64 + mlp 3*128 + norms 16 = 592; 800 + 2*592 + 8 = 1992
    assert TINY.layer_parameters() == 592 and TINY.parameters() == 1992
    # LoRA r2: per layer 2*(16 + 12 + 12 + 16 + 24 + 24 + 24) = 256, two layers
    assert TINY.lora_parameters(2) == 512
    # saved per token and layer: 8*8 + 2*4 + 4*16 + 7*2 = 150 elements
    assert TINY.saved_per_token_layer(2) == 150
    step = Step(texts=3, tokens=10, pooled=10, lora_rank=2, weight_bytes=2, activation_bytes=2,
                gradient_checkpointing=False, pool_chunk_size=4, overhead_bytes=0)
    parts = memory(TINY, step)
    assert parts["weights"] == 1992 * 2
    assert parts["trained"] == 512 * 16
    assert parts["activations"] == 2 * 30 * 150 * 2
    assert parts["vocabulary"] == 9 * 12 * 100 + 4 * 3 * 100 * 4  # 12 rows: 4 per text x 3 texts
    assert parts["total"] == sum(v for k, v in parts.items() if k != "total")
    checkpointed = memory(TINY, Step(**{**step.__dict__, "gradient_checkpointing": True}))
    assert checkpointed["activations"] == 2 * 30 * 8 * 2 + 30 * 150 * 2
    assert step_transient(TINY, step) == parts["activations"] + parts["vocabulary"] + 512 * 4
    # FLOPs: 30 tokens x 1184 body x 4 passes + attention 4*2*8*10*30*4/2 + 30 pooled x 2*8*100 x 4
    assert flops(TINY, step) == 30 * 1184 * 4 + 38400 + 192000


def test_sharding_and_full_finetuning():
    full = Step(texts=1, tokens=16, pooled=16, phase="adapt", lora_rank=None, weight_bytes=4, processes=4)
    ddp, fsdp = memory(TINY, full), memory(TINY, Step(**{**full.__dict__, "fsdp": True}))
    assert ddp["trained"] == 1992 * 12 + 1992 * 4  # gradients + moments, DDP buckets
    assert fsdp["weights"] == 1992 * 4 / 4 + 592 * 4 and fsdp["trained"] == 1992 * 12 / 4
    assert fsdp["vocabulary"] == 5 * 16 * 100 * 4


def setting(name: str, size: str | None = None) -> int:
    text = CONFIG.read_text().split("\nfi\n", 1)[1]  # the defaults, after the SMOKE=1 block
    if size:
        text = text.split(f"  {size})", 1)[1].split(";;", 1)[0]
    return int(re.search(rf'\${{{name}:=(\d+)}}', text).group(1))


def test_the_recipe_plans_what_config_sh_runs_and_it_fits_80_gb_h100s():
    gpus = setting("GPUS")
    phases = {p.name: p for p in msmarco_phases(gpus)}
    train = phases["Llama-3.2-1B train bi"].step
    queries = setting("TRAIN_GLOBAL_BATCH") // gpus
    assert train.texts == queries * (2 + setting("NEGATIVES"))  # the queries, their positives and negatives
    assert train.lora_rank == setting("LORA_R", "1b") and phases["Llama-3.1-8B train bi"].step.lora_rank == \
        setting("LORA_R", "8b")
    assert phases["Llama-3.1-8B adapt"].step.lora_rank == setting("ADAPT_LORA_R")
    assert phases["Llama-3.2-1B adapt"].step.tokens == setting("ADAPT_SEQ_LENGTH")
    assert phases["Llama-3.2-1B adapt"].micro_steps == setting("ADAPT_STEPS") * setting("ADAPT_GLOBAL_BATCH") // gpus
    for phase in phases.values():
        assert memory(phase.arch, phase.step)["total"] < H100.memory_gib * GIB, phase.name


@pytest.mark.parametrize("gpus", [1, 2])
def test_fewer_gpus_hold_more_of_the_batch(gpus):
    few = {p.name: memory(p.arch, p.step)["total"] for p in msmarco_phases(gpus)}
    eight = {p.name: memory(p.arch, p.step)["total"] for p in msmarco_phases(8)}
    assert all(few[name] > eight[name] for name in few if "train" in name)


def test_csplade_scale_prints_the_plan(capsys):
    from csplade_pyserini.cli import main

    assert main(["scale", "--gpus", "8"]) == 0
    table = capsys.readouterr().out
    assert "| Llama-3.1-8B train echo | 68 x 486 |" in table and "**no**" not in table
    assert main(["scale", "--gpus", "1"]) == 0
    assert "| Llama-3.1-8B train bi | 544 x 243 |" in capsys.readouterr().out.split("**no**")[0]
    assert main(["scale", "--utilisation", "0"]) == 2
