"""``csplade adapt`` / ``train`` / ``merge`` / ``curves``: the two training phases, the export, the curves.

Every training setting is a flag and a field of a ``--config`` JSON/YAML/TOML file (flags win). Run
under ``accelerate launch`` for several GPUs.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from .. import options
from ..options import option
from .common import EncoderOptions, at_least, require


def register(commands) -> None:
    from ..train.config import AdaptConfig, TrainConfig

    adapt = commands.add_parser(
        "adapt", help="phase 1: adapt a causal LM with L_CLM + lambda * L_ReLU on unlabeled text",
        description="Adaptation phase: next-token loss plus the same loss on log(1+ReLU(logits)), which "
                    "keeps CSPLADE's vocabulary activations alive. Writes checkpoints, metrics.jsonl, "
                    "final/ (merged model) and adapter/.")
    options.add_arguments(adapt, AdaptConfig)
    adapt.set_defaults(run=run_adapt)

    train = commands.add_parser(
        "train", help="phase 2: contrastive CSPLADE training (InfoNCE + FLOPS, LoRA)",
        description="Contrastive phase: in-batch + hard negatives, FLOPS on queries and documents. "
                    "Writes checkpoints, metrics.jsonl, data_report.json, final/ (merged encoder) "
                    "and adapter/.")
    options.add_arguments(train, TrainConfig)
    train.set_defaults(run=run_train)

    merge = commands.add_parser(
        "merge", help="merge a LoRA adapter or training checkpoint into a plain model directory",
        description="Turn an adapter directory or any checkpoint-<step>/ into a model directory that "
                    "load_model and the Pyserini encoders load.")
    merge.add_argument("source", help="adapter directory or output_dir/checkpoint-<step>")
    merge.add_argument("--output", required=True, help="the merged model directory to write")
    merge.add_argument("--force", action="store_true", help="replace an existing --output")
    merge.set_defaults(run=run_merge)

    curves = commands.add_parser(
        "curves", help="training curves of runs side by side: window means of their metrics.jsonl",
        description="One row per window of steps, one column per metric and run: e.g. the share of "
                    "all-zero query vectors of a run started from the raw model next to one started "
                    "after adaptation.")
    curves.add_argument("runs", nargs="+", metavar="[NAME=]DIR",
                        help="training output directories (or metrics.jsonl files), optionally named")
    curves.add_argument("--window", type=int, default=10, help="steps per row (default: %(default)s)")
    curves.add_argument("--keys", nargs="+", help="metrics to show (default: the usual ones the runs log)")
    curves.set_defaults(run=run_curves)

    dev = commands.add_parser(
        "dev-eval", help="nDCG@10 / R@100 of an encoder on a small dev corpus, scored as Lucene would",
        description="Encode a dev corpus and its queries in memory (integer impacts, dot products: what "
                    "Lucene's impact search computes), write the run, score it with trec_eval. For choosing "
                    "settings (document length, variants, checkpoints) without an index or the test set.")
    options.add_arguments(dev, DevEvalSettings)
    dev.set_defaults(run=lambda args: run_dev_eval(options.from_args(DevEvalSettings, args)))


def _print_once(path) -> None:
    """Print the exported directory once, not once per process under ``accelerate launch``."""
    from accelerate import PartialState

    if PartialState().is_main_process:
        print(path)


def run_adapt(args: argparse.Namespace) -> int:
    from .. import options
    from ..train.adapt import run_adaptation
    from ..train.config import AdaptConfig

    _print_once(run_adaptation(options.from_args(AdaptConfig, args)))
    return 0


def run_train(args: argparse.Namespace) -> int:
    from .. import options
    from ..train.config import TrainConfig
    from ..train.contrastive import run_contrastive

    _print_once(run_contrastive(options.from_args(TrainConfig, args)))
    return 0


def run_merge(args: argparse.Namespace) -> int:
    from ..train.export import merge_checkpoint

    print(merge_checkpoint(args.source, args.output, args.force))
    return 0


def run_curves(args: argparse.Namespace) -> int:
    from ..train.curves import curves_table, default_keys, read_metrics

    runs = {}
    for item in args.runs:
        name, sep, path = item.partition("=")
        if not sep:
            name, path = Path(item).name, item
        runs[name] = read_metrics(path)
    print(curves_table(runs, args.window, args.keys or default_keys(runs)))
    return 0


@dataclass
class DevEvalSettings(EncoderOptions):
    """The encoder (with its overrides: ``--doc-max-length 512``...) and the dev set it is scored on."""

    dtype: str = option("auto", "precision (auto: bf16 where the CPU has it)")
    topics: str = option("", "dev topics")
    qrels: str = option("", "dev qrels")
    corpus: str = option("", "the documents the dev queries are ranked among (csplade dev-corpus)")
    output: str = option("", "the TREC run to write (top 100 per query)")
    batch_size: int = option(16, "texts per forward pass")

    def validate(self) -> None:
        super().validate()
        require(self, "topics", "qrels", "corpus", "output")
        at_least(self, "batch_size", 1)


def run_dev_eval(settings: DevEvalSettings) -> int:
    import json

    from ..train.dev import DevSet, evaluate

    dev = DevSet.read(settings.topics, settings.qrels, settings.corpus)  # bad files fail before the model loads
    print(json.dumps(evaluate(settings.load(), dev, settings.output, settings.batch_size)))
    return 0
