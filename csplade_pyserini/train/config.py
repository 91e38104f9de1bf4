"""Training configurations: ``AdaptConfig`` (phase 1) and ``TrainConfig`` (phase 2, contrastive).

Values are resolved as: dataclass defaults < a JSON/YAML/TOML file (``--config``) < command-line flags.
The resolved config is saved as JSON next to every checkpoint and export, and a resumed run checks that
it still matches. Every field is a command-line flag (``lora_r`` -> ``--lora-r``); its help text is the
``help`` metadata below.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from ..core.config import VARIANTS
from ..errors import CspladeError

SCHEDULES = ("cosine", "linear", "constant")
PRECISIONS = ("auto", "no", "bf16", "fp16")
OBJECTIVES = ("clm", "mntp")
# fields that may differ between a run and its resumption (they do not change what is computed)
RESUMABLE_CHANGES = {"resume", "save_every", "keep_checkpoints", "log_every", "probe_every"}


def _f(default: Any, help: str, **kwargs: Any) -> Any:
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata={"help": help, **kwargs})
    return field(default=default, metadata={"help": help, **kwargs})


@dataclass
class LoopConfig:
    """Fields shared by both phases: model, optimiser, schedule, LoRA, checkpoints."""

    model: str = _f("", "start model: base model name (smollm2-135m), HF directory or hub id, or an output "
                        "directory of `csplade adapt` (its final/ is used)")
    output_dir: str = _f("", "where checkpoint-<step>/, final/, adapter/ and metrics.jsonl are written")
    variant: str | None = _f(None, "causal | echo | bi (default: the start model's, else causal)",
                             choices=VARIANTS)
    seed: int = _f(42, "seed for data order, negatives, masking, dropout")
    steps: int | None = _f(None, "optimizer steps (contrastive: or use --epochs)")
    learning_rate: float = _f(1e-4, "peak learning rate (AdamW)")
    weight_decay: float = _f(0.0, "AdamW weight decay")
    schedule: str = _f("cosine", "learning-rate schedule after warm-up", choices=SCHEDULES)
    warmup_steps: int | None = _f(None, "linear warm-up steps (default: warmup_ratio x steps)")
    warmup_ratio: float = _f(0.0, "warm-up as a fraction of all steps, when warmup_steps is not set")
    batch_size: int = _f(8, "examples per device per micro-batch")
    grad_accumulation: int = _f(1, "micro-batches per optimizer step")
    max_grad_norm: float = _f(1.0, "gradient clipping norm (0 = no clipping)")
    gradient_checkpointing: bool = _f(False, "recompute transformer activations in the backward pass")
    mixed_precision: str = _f("auto", "auto = bf16 autocast on GPU and on CPUs with native bf16, else none",
                              choices=PRECISIONS)
    model_dtype: str = _f("auto", "dtype of the frozen weights: auto = float32 on CPU; bfloat16 on GPU with "
                                  "LoRA, float32 with full fine-tuning",
                          choices=("auto", "float32", "bfloat16"))
    cpu: bool = _f(False, "train on CPU even when a GPU is available")
    attn_implementation: str | None = _f(None, "attention kernel for from_pretrained (sdpa, eager, ...)")
    full_finetune: bool = _f(False, "train all weights instead of LoRA adapters")
    lora_r: int = _f(16, "LoRA rank")
    lora_alpha: int | None = _f(None, "LoRA alpha (default: 2 x rank)")
    lora_dropout: float = _f(0.1, "LoRA dropout")
    lora_targets: list[str] = _f(["all-linear"], "LoRA target module names (all-linear: every linear layer "
                                                 "except the LM head)")
    save_every: int = _f(500, "save a checkpoint every N steps (0 = only at the end)")
    keep_checkpoints: int = _f(2, "how many of the latest checkpoints to keep (0 = all)")
    log_every: int = _f(1, "write a metrics.jsonl line every N steps")
    resume: bool = _f(False, "continue from the latest checkpoint in output_dir")

    CONFIG_FILE = "train_config.json"

    def validate(self) -> None:
        if not self.model:
            raise CspladeError("no start model: set --model (or 'model' in the config file)")
        if not self.output_dir:
            raise CspladeError("no output directory: set --output-dir (or 'output_dir' in the config file)")
        for name in ("batch_size", "grad_accumulation", "lora_r", "log_every"):
            if getattr(self, name) < 1:
                raise CspladeError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("save_every", "keep_checkpoints"):
            if getattr(self, name) < 0:
                raise CspladeError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.steps is not None and self.steps < 1:
            raise CspladeError(f"steps must be >= 1, got {self.steps}")
        if self.learning_rate <= 0:
            raise CspladeError(f"learning_rate must be > 0, got {self.learning_rate}")
        if not 0.0 <= self.warmup_ratio < 1.0:
            raise CspladeError(f"warmup_ratio must be in [0, 1), got {self.warmup_ratio}")
        if not 0.0 <= self.lora_dropout < 1.0:
            raise CspladeError(f"lora_dropout must be in [0, 1), got {self.lora_dropout}")
        _choice(self, "variant", VARIANTS, optional=True)
        _choice(self, "schedule", SCHEDULES)
        _choice(self, "mixed_precision", PRECISIONS)

    def warmup(self, total_steps: int) -> int:
        return self.warmup_steps if self.warmup_steps is not None else int(self.warmup_ratio * total_steps)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def save(self, directory: str | Path) -> Path:
        path = Path(directory) / self.CONFIG_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n")
        return path


@dataclass
class AdaptConfig(LoopConfig):
    """Phase 1: L = L_CLM + lambda_relu * L_ReLU on unlabeled text (paper: 10k steps of 32 x 2048 tokens)."""

    corpus: str = _f("", "unlabeled text: corpus JSONL/TSV file or directory, or an ir_datasets id with docs")
    max_docs: int | None = _f(None, "read at most this many documents per pass over the corpus")
    seq_length: int = _f(2048, "tokens per training sequence")
    pack: bool = _f(True, "pack documents (EOS-separated) into full sequences; "
                          "else one truncated document per row")
    lambda_relu: float = _f(1.0, "weight of L_ReLU (next-token CE on log(1+ReLU(logits)))")
    objective: str = _f("clm", "clm: next-token prediction with the causal mask; mntp: masked next-token "
                               "prediction with bidirectional attention (LLM2Vec), needs variant bi",
                        choices=OBJECTIVES)
    mask_probability: float = _f(0.2, "mntp: fraction of tokens replaced by the mask token")
    loss_chunk_size: int = _f(1024, "positions projected onto the vocabulary at once in the loss")
    probe_docs: int = _f(32, "documents (the corpus's first) encoded as doc vectors to log their sparsity")
    probe_every: int = _f(50, "encode the probe documents every N steps (0 = never)")

    # the paper's schedule: 10k steps, 1k warm-up, 32 sequences per step
    steps: int | None = _f(10000, "optimizer steps")
    warmup_ratio: float = _f(0.1, "warm-up as a fraction of all steps, when warmup_steps is not set")
    grad_accumulation: int = _f(4, "micro-batches per optimizer step")

    CONFIG_FILE = "adapt_config.json"

    def validate(self) -> None:
        super().validate()
        if not self.corpus:
            raise CspladeError("no adaptation text: set --corpus (or 'corpus' in the config file)")
        if self.steps is None:
            raise CspladeError("adaptation needs --steps")
        _choice(self, "objective", OBJECTIVES)
        if self.objective == "mntp" and self.variant != "bi":
            raise CspladeError("objective mntp trains bidirectional attention: it needs --variant bi")
        if not 0.0 < self.mask_probability < 1.0:
            raise CspladeError(f"mask_probability must be in (0, 1), got {self.mask_probability}")
        if self.seq_length < 2 or self.loss_chunk_size < 1:
            raise CspladeError("seq_length must be >= 2 and loss_chunk_size >= 1")
        if self.lambda_relu < 0:
            raise CspladeError(f"lambda_relu must be >= 0, got {self.lambda_relu}")


@dataclass
class TrainConfig(LoopConfig):
    """Phase 2: InfoNCE (in-batch + hard negatives) + FLOPS, through CspladeModel.forward."""

    data: str | None = _f(None, "ir_datasets id with queries + qrels (beir/scifact/train) or docpairs "
                                "(msmarco-passage/train/triples-small)")
    queries: str | None = _f(None, "local queries TSV (qid<TAB>text) or JSONL")
    corpus: str | None = _f(None, "local corpus JSONL/TSV (with --queries and --qrels or id --triples)")
    qrels: str | None = _f(None, "local TREC qrels")
    triples: str | None = _f(None, "triples TSV: query<TAB>positive<TAB>negative texts, or ids with "
                                   "--queries and --corpus")
    hard_negatives: str | None = _f(None, "TREC run file (e.g. BM25) whose top documents are the hard "
                                          "negatives, or 'scoreddocs': the ir_datasets ranking")
    negatives_depth: int = _f(100, "hard-negative pool: the run's top N documents that are not positives")
    min_relevance: int = _f(1, "qrels relevance counted as positive")
    max_queries: int | None = _f(None, "use at most this many training queries")
    negatives: int = _f(15, "hard negatives per query (random documents fill a short pool)")
    in_batch_negatives: bool = _f(True, "score each query against every document of the batch")
    cross_device_negatives: bool = _f(True, "with several processes, also against the other devices' docs")
    temperature: float = _f(1.0, "InfoNCE temperature: scores are divided by it (paper: none, i.e. 1)")
    lambda_q: float = _f(3e-3, "FLOPS weight on queries (paper 1B: 3e-3, 8B: 3e-2)")
    lambda_d: float = _f(3e-3, "FLOPS weight on documents")
    flops_warmup: int = _f(1000, "steps T of the quadratic ramp lambda_t = lambda * min(1, t/T)^2")
    lambda_l1_q: float = _f(0.0, "L1 weight on query vectors (0 = off)")
    train_query_top_k: int | None = _f(None, "keep only the top-k query weights in the training forward")
    train_doc_top_k: int | None = _f(None, "keep only the top-k document weights in the training forward")
    epochs: float | None = _f(None, "passes over the training queries (instead of --steps)")
    query_variant: str | None = _f(None, "echo or causal for queries only (default: --variant); not with bi",
                                   choices=VARIANTS)
    query_prefix: str | None = _f(None, "text before every query (default: the start model's, 'query: ')")
    doc_prefix: str | None = _f(None, "text before every document (default: 'passage: ')")
    query_max_length: int | None = _f(None, "query tokens (default: the start model's, 32)")
    doc_max_length: int | None = _f(None, "document tokens (default: the start model's, 256)")
    query_top_k: int | None = _f(None, "inference cap written to the exported config (0 = none)")
    doc_top_k: int | None = _f(None, "inference cap written to the exported config (0 = none)")

    # the paper's 1B recipe: 32 queries per step, LR 5e-5, 5% warm-up
    batch_size: int = _f(32, "queries per device per micro-batch")
    learning_rate: float = _f(5e-5, "peak learning rate (AdamW)")
    warmup_ratio: float = _f(0.05, "warm-up as a fraction of all steps, when warmup_steps is not set")

    def validate(self) -> None:
        super().validate()
        if (self.steps is None) == (self.epochs is None):
            raise CspladeError("set exactly one of --steps and --epochs")
        if self.epochs is not None and self.epochs <= 0:
            raise CspladeError(f"epochs must be > 0, got {self.epochs}")
        if not (self.data or self.triples or (self.queries and self.corpus and self.qrels)):
            raise CspladeError("no training data: set --data (ir_datasets id), --triples, "
                               "or --queries + --corpus + --qrels")
        if self.temperature <= 0:
            raise CspladeError(f"temperature must be > 0, got {self.temperature}")
        for name in ("lambda_q", "lambda_d", "lambda_l1_q", "negatives", "flops_warmup"):
            if getattr(self, name) < 0:
                raise CspladeError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.negatives_depth < 1:
            raise CspladeError(f"negatives_depth must be >= 1, got {self.negatives_depth}")
        for name in ("train_query_top_k", "train_doc_top_k"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise CspladeError(f"{name} must be >= 1, got {value}")


C = TypeVar("C", bound=LoopConfig)


def _choice(config: LoopConfig, name: str, allowed: tuple[str, ...], optional: bool = False) -> None:
    value = getattr(config, name)
    if value is None and optional:
        return
    if value not in allowed:
        raise CspladeError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")


# -- files and flags ------------------------------------------------------------------------------------
def read_config_file(path: str | Path) -> dict[str, Any]:
    """A JSON, YAML or TOML mapping of field names to values."""
    path = Path(path)
    if not path.is_file():
        raise CspladeError(f"{path}: no such config file")
    text = path.read_text()
    try:
        if path.suffix in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        elif path.suffix == ".toml":
            data = tomllib.loads(text)
        else:
            data = json.loads(text)
    except Exception as exc:  # noqa: BLE001 - any parser error becomes one line naming the file
        raise CspladeError(f"{path}: cannot parse config: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise CspladeError(f"{path}: a config file must hold a mapping of field names to values")
    return data


def build_config(cls: type[C], values: dict[str, Any], source: str = "config") -> C:
    """``cls(**values)`` with unknown fields and wrong types reported as one line, then validated."""
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise CspladeError(f"{source}: unknown field(s) {', '.join(unknown)}")
    checked = {name: _coerce(value, hints[name], f"{source}: field {name!r}")
               for name, value in values.items()}
    config = cls(**checked)
    config.validate()
    return config


def _coerce(value: Any, hint: Any, where: str) -> Any:
    base, optional = _base_type(hint)
    if value is None:
        if optional:
            return None
        raise CspladeError(f"{where} may not be null")
    if base is list:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise CspladeError(f"{where} must be a list of strings, got {value!r}")
        return list(value)
    if base is bool:
        if not isinstance(value, bool):
            raise CspladeError(f"{where} must be true or false, got {value!r}")
        return value
    if base is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if base is int and isinstance(value, float) and value.is_integer():
        return int(value)
    if not isinstance(value, base) or isinstance(value, bool):
        raise CspladeError(f"{where} must be {base.__name__}, got {value!r}")
    return value


def _base_type(hint: Any) -> tuple[type, bool]:
    args = typing.get_args(hint)
    optional = type(None) in args
    if optional:
        hint = next(a for a in args if a is not type(None))
    origin = typing.get_origin(hint)
    return (origin or hint), optional


def add_config_arguments(parser: argparse.ArgumentParser, cls: type[LoopConfig]) -> None:
    """``--config FILE`` plus one flag per field; unset flags stay out of the namespace."""
    parser.add_argument("--config", help="JSON, YAML or TOML file of fields (flags override it)")
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        base, _ = _base_type(hints[f.name])
        flag = "--" + f.name.replace("_", "-")
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        help_text = f"{f.metadata.get('help', '')} (default: {default!r})".replace("%", "%%")
        kwargs: dict[str, Any] = {"dest": f.name, "default": argparse.SUPPRESS, "help": help_text}
        if base is bool:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, **kwargs)
        elif base is list:
            parser.add_argument(flag, nargs="+", metavar="NAME", **kwargs)
        else:
            parser.add_argument(flag, type=base, choices=f.metadata.get("choices"), **kwargs)


def config_from_args(cls: type[C], args: argparse.Namespace) -> C:
    """Defaults < ``--config`` file < flags given on the command line."""
    values: dict[str, Any] = {}
    source = "command line"
    if getattr(args, "config", None):
        values.update(read_config_file(args.config))
        source = str(args.config)
    names = {f.name for f in dataclasses.fields(cls)}
    values.update({k: v for k, v in vars(args).items() if k in names})
    return build_config(cls, values, source)


def load_saved_config(cls: type[C], directory: str | Path) -> C:
    path = Path(directory) / cls.CONFIG_FILE
    if not path.is_file():
        raise CspladeError(f"{path}: no saved training config")
    return build_config(cls, json.loads(path.read_text()), str(path))


def check_resumable(saved: LoopConfig, current: LoopConfig, where: str) -> None:
    """A resumed run must compute what the interrupted one did."""
    old, new = saved.to_dict(), current.to_dict()
    changed = sorted(k for k in old if k not in RESUMABLE_CHANGES and old[k] != new.get(k))
    if changed:
        details = ", ".join(f"{k}: {old[k]!r} -> {new.get(k)!r}" for k in changed)
        raise CspladeError(f"{where}: cannot resume with a different config ({details}); "
                           "use a new output_dir")
