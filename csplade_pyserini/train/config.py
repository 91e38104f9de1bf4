"""Training configurations: ``AdaptConfig`` (phase 1) and ``TrainConfig`` (phase 2, contrastive).

Values are resolved by :mod:`csplade_pyserini.options` (dataclass defaults < a JSON/YAML/TOML file
(``--config``) < command-line flags), like every command's settings. The resolved config is saved as
JSON next to every checkpoint and export, and a resumed run checks that it still matches.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from .. import options
from ..core.config import QUERY_ENCODERS, VARIANTS, CspladeConfig, overrides_from
from ..errors import CspladeError
from ..options import option

SCHEDULES = ("cosine", "linear", "constant")
PRECISIONS = ("auto", "no", "bf16", "fp16")
OBJECTIVES = ("clm", "mntp")
DISTILL_LOSSES = ("none", "kl", "margin-mse")
# fields that may differ between a run and its resumption (they do not change what is computed)
RESUMABLE_CHANGES = {"resume", "save_every", "keep_checkpoints", "log_every", "probe_every"}


@dataclass
class LoopConfig:
    """Fields shared by both phases: model, optimiser, schedule, LoRA, checkpoints."""

    model: str = option("", "start model: base model name (smollm2-135m), HF directory or hub id, or an output "
                        "directory of `csplade adapt` (its final/ is used)")
    output_dir: str = option("", "where checkpoint-<step>/, final/, adapter/ and metrics.jsonl are written")
    variant: str | None = option(None, "causal | echo | bi (default: the start model's, else causal)",
                             choices=VARIANTS)
    seed: int = option(42, "seed for data order, negatives, masking, dropout")
    steps: int | None = option(None, "optimizer steps (contrastive: or use --epochs)")
    learning_rate: float = option(1e-4, "peak learning rate (AdamW)")
    weight_decay: float = option(0.0, "AdamW weight decay")
    schedule: str = option("cosine", "learning-rate schedule after warm-up", choices=SCHEDULES)
    warmup_steps: int | None = option(None, "linear warm-up steps (default: warmup_ratio x steps)")
    warmup_ratio: float = option(0.0, "warm-up as a fraction of all steps, when warmup_steps is not set")
    batch_size: int = option(8, "examples per device per micro-batch")
    grad_accumulation: int = option(1, "micro-batches per optimizer step")
    max_grad_norm: float = option(1.0, "gradient clipping norm (0 = no clipping)")
    gradient_checkpointing: bool = option(False, "recompute transformer activations in the backward pass")
    mixed_precision: str = option("auto", "auto = bf16 autocast on GPU and on CPUs with native bf16, else none",
                              choices=PRECISIONS)
    model_dtype: str = option("auto", "dtype of the frozen weights: auto = float32 on CPU; bfloat16 on GPU with "
                                  "LoRA, float32 with full fine-tuning",
                          choices=("auto", "float32", "bfloat16"))
    cpu: bool = option(False, "train on CPU even when a GPU is available")
    attn_implementation: str | None = option(None, "attention kernel for from_pretrained (sdpa, eager, ...)")
    full_finetune: bool = option(False, "train all weights instead of LoRA adapters")
    lora_r: int = option(16, "LoRA rank")
    lora_alpha: int | None = option(None, "LoRA alpha (default: 2 x rank)")
    lora_dropout: float = option(0.1, "LoRA dropout")
    lora_targets: list[str] = option(["all-linear"], "LoRA target module names (all-linear: every linear layer "
                                                 "except the LM head)")
    save_every: int = option(500, "save a checkpoint every N steps (0 = only at the end)")
    keep_checkpoints: int = option(2, "how many of the latest checkpoints to keep (0 = all)")
    log_every: int = option(1, "write a metrics.jsonl line every N steps")
    resume: bool = option(False, "continue from the latest checkpoint in output_dir")

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

    corpus: str = option("", "unlabeled text: corpus JSONL/TSV file or directory, or an ir_datasets id with docs")
    max_docs: int | None = option(None, "read at most this many documents per pass over the corpus")
    seq_length: int = option(2048, "tokens per training sequence")
    pack: bool = option(True, "pack documents (EOS-separated) into full sequences; "
                          "else one truncated document per row")
    lambda_relu: float = option(1.0, "weight of L_ReLU (next-token CE on log(1+ReLU(logits)))")
    objective: str = option("clm", "clm: next-token prediction with the causal mask; mntp: masked next-token "
                               "prediction with bidirectional attention (LLM2Vec), needs variant bi",
                        choices=OBJECTIVES)
    mask_probability: float = option(0.2, "mntp: fraction of tokens replaced by the mask token")
    loss_chunk_size: int = option(1024, "positions projected onto the vocabulary at once in the loss")
    probe_docs: int = option(32, "documents (the corpus's first) encoded as doc vectors to log their sparsity")
    probe_every: int = option(50, "encode the probe documents every N steps (0 = never)")

    # the paper's schedule: 10k steps, 1k warm-up, 32 sequences per step
    steps: int | None = option(10000, "optimizer steps")
    warmup_ratio: float = option(0.1, "warm-up as a fraction of all steps, when warmup_steps is not set")
    grad_accumulation: int = option(4, "micro-batches per optimizer step")

    CONFIG_FILE = "adapt_config.json"

    def validate(self) -> None:
        super().validate()
        if not self.corpus:
            raise CspladeError("no adaptation text: set --corpus (or 'corpus' in the config file)")
        if self.steps is None:
            raise CspladeError("adaptation needs --steps")
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

    data: str | None = option(None, "ir_datasets id with queries + qrels (beir/scifact/train) or docpairs "
                                "(msmarco-passage/train/triples-small)")
    queries: str | None = option(None, "local topics: queries TSV (qid<TAB>text) or JSONL", flags=("--topics",))
    corpus: str | None = option(None, "local corpus JSONL/TSV (with --queries and --qrels or id --triples)")
    qrels: str | None = option(None, "local TREC qrels")
    triples: str | None = option(None, "triples TSV: query<TAB>positive<TAB>negative texts, or ids with "
                                   "--queries and --corpus")
    hard_negatives: str | None = option(None, "TREC run file (e.g. BM25) whose top documents are the hard "
                                          "negatives, or 'scoreddocs': the ir_datasets ranking")
    negatives_depth: int = option(100, "hard-negative pool: the run's top N documents that are not positives")
    min_relevance: int = option(1, "qrels relevance counted as positive")
    max_queries: int | None = option(None, "use at most this many training queries")
    negatives: int = option(15, "hard negatives per query (random documents fill a short pool)")
    in_batch_negatives: bool = option(True, "score each query against every document of the batch")
    cross_device_negatives: bool = option(True, "with several processes, also against the other devices' docs")
    temperature: float = option(1.0, "InfoNCE temperature: scores are divided by it (paper: none, i.e. 1)")
    lambda_q: float = option(3e-3, "FLOPS weight on queries (paper 1B: 3e-3, 8B: 3e-2)")
    lambda_d: float = option(3e-3, "FLOPS weight on documents")
    flops_warmup: int = option(1000, "steps T of the quadratic ramp lambda_t = lambda * min(1, t/T)^2")
    lambda_l1_q: float = option(0.0, "L1 weight on query vectors (0 = off)")
    nce_weight: float = option(1.0, "weight of InfoNCE (0 = distillation alone)")
    teacher_scores: str | None = option(None, "teacher scores per query (csplade teach JSONL, or a TREC run with "
                                              "scores); their candidates are the hard-negative pool unless "
                                              "--hard-negatives is given")
    distill: str = option("none", "distillation from the teacher scores: none, kl (listwise KL over each "
                                  "query's candidates) or margin-mse", choices=DISTILL_LOSSES)
    distill_weight: float = option(1.0, "weight of the distillation loss")
    teacher_temperature: float = option(1.0, "teacher scores are divided by it (student scores by --temperature)")
    dev_topics: str | None = option(None, "dev queries (csplade split): nDCG@10 logged every --dev-every steps")
    dev_qrels: str | None = option(None, "qrels of the dev queries")
    dev_corpus: str | None = option(None, "documents the dev queries are ranked among (csplade split)")
    dev_every: int = option(0, "dev evaluation every N steps (0 = at the start and the end only)")
    train_query_top_k: int | None = option(None, "keep only the top-k query weights in the training forward")
    train_doc_top_k: int | None = option(None, "keep only the top-k document weights in the training forward")
    epochs: float | None = option(None, "passes over the training queries (instead of --steps)")
    query_variant: str | None = option(None, "echo or causal for queries only (default: --variant); not with bi",
                                   choices=VARIANTS)
    query_encoder: str | None = option(None, "model: queries through the LM; table: inference-free queries, "
                                             "their own tokens weighted by a per-token table, documents "
                                             "alone trained (default: the start model's)",
                                       choices=QUERY_ENCODERS)
    query_table: str | None = option(None, "with --query-encoder table: the query_table.safetensors (or a "
                                           "directory holding one) to start from (default: BM25's IDF "
                                           "over --corpus)")
    learn_query_table: bool = option(False, "with --query-encoder table: train the table with the documents")
    query_prefix: str | None = option(None, "text before every query (default: the start model's, 'query: ')")
    doc_prefix: str | None = option(None, "text before every document (default: 'passage: ')")
    query_max_length: int | None = option(None, "query tokens (default: the start model's, 32)")
    doc_max_length: int | None = option(None, "document tokens (default: the start model's, 256)")
    query_top_k: int | None = option(None, "inference cap written to the exported config (0 = none)")
    doc_top_k: int | None = option(None, "inference cap written to the exported config (0 = none)")

    # the paper's 1B recipe: 32 queries per step, LR 5e-5, 5% warm-up
    batch_size: int = option(32, "queries per device per micro-batch")
    learning_rate: float = option(5e-5, "peak learning rate (AdamW)")
    warmup_ratio: float = option(0.05, "warm-up as a fraction of all steps, when warmup_steps is not set")

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
        checked = {k: v for k, v in overrides_from(self).items() if k.endswith(("_max_length", "_top_k"))}
        CspladeConfig(**checked)  # out-of-range lengths and caps fail here, before a model is loaded
        for name in ("nce_weight", "distill_weight", "dev_every"):
            if getattr(self, name) < 0:
                raise CspladeError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.teacher_temperature <= 0:
            raise CspladeError(f"teacher_temperature must be > 0, got {self.teacher_temperature}")
        if self.distill != "none" and not self.teacher_scores:
            raise CspladeError(f"--distill {self.distill} needs --teacher-scores")
        if self.distill != "none" and self.negatives < 1:
            raise CspladeError("distillation compares a query's candidates: it needs --negatives >= 1")
        if self.nce_weight == 0 and self.distill == "none":
            raise CspladeError("with --nce-weight 0 there is nothing to learn from: set --distill")
        if (self.query_table or self.learn_query_table) and self.query_encoder != "table":
            raise CspladeError("--query-table and --learn-query-table need --query-encoder table")
        dev = [self.dev_topics, self.dev_qrels, self.dev_corpus]
        if any(dev) and not all(dev):
            raise CspladeError("dev evaluation needs --dev-topics, --dev-qrels and --dev-corpus together")


C = TypeVar("C", bound=LoopConfig)


def load_saved_config(cls: type[C], directory: str | Path) -> C:
    path = Path(directory) / cls.CONFIG_FILE
    if not path.is_file():
        raise CspladeError(f"{path}: no saved training config")
    return options.load_json(cls, path)


def _same(old: Any, new: Any) -> bool:
    """Equal values; two spellings of one existing file or folder (relative, absolute, through a link) too."""
    if old == new:
        return True
    if not (isinstance(old, str) and isinstance(new, str) and old and new):
        return False
    try:
        return Path(old).exists() and Path(new).exists() and Path(old).resolve() == Path(new).resolve()
    except OSError:  # not a path at all (too long a text)
        return False


def check_resumable(saved: LoopConfig, current: LoopConfig, where: str) -> None:
    """A resumed run must compute what the interrupted one did."""
    old, new = saved.to_dict(), current.to_dict()
    changed = sorted(k for k in old if k not in RESUMABLE_CHANGES and not _same(old[k], new.get(k)))
    if changed:
        details = ", ".join(f"{k}: {old[k]!r} -> {new.get(k)!r}" for k in changed)
        raise CspladeError(f"{where}: cannot resume with a different config ({details}); "
                           "use a new output_dir")
