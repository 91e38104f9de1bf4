"""Phase 2, contrastive training (``csplade train``): InfoNCE + FLOPS through ``CspladeModel.forward``.

Each step: ``batch_size`` queries per device, each with one positive and ``negatives`` hard negatives.
Every query is scored against every document of the batch (in-batch negatives). With several processes
and ``cross_device_negatives``, every process gathers all processes' query and document vectors (the
others' without gradient, its own with) and computes the loss of the whole global batch; scaled by the
number of processes, DDP's gradient average is then exactly the gradient of one process running the
global batch (FLOPS and distillation included). Loss = InfoNCE(scores / temperature) + lambda_q,t *
FLOPS(q) + lambda_d,t * FLOPS(d) [+ lambda_l1_q * L1(q)], lambda_t ramped up quadratically over
``flops_warmup`` steps.
``train_query_top_k`` / ``train_doc_top_k`` keep only the k largest weights of each vector in this
forward (the rest are masked to zero, so gradients - of every term - flow only into kept entries).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ..core.inputs import EncoderInputs
from ..core.model import CspladeModel
from ..errors import CspladeError
from ..formats.files import atomic_directory, write_json
from .config import TrainConfig
from .dev import BEST_DIR, BEST_FILE, DevSet, evaluate, read_best
from .distill import distillation_loss
from .examples import Batch, ContrastiveBatches, TrainingData, load_training_data
from .loop import Trainer, make_accelerator, total_steps_for
from .losses import flops, flops_weight, info_nce, keep_top_k, l1, sparsity
from .modeling import TrainableModel, build_for
from .runs import Run, lock_output_dir, prepare_output_dir


class ContrastiveObjective(torch.nn.Module):
    """One forward for queries and documents (so DDP sees a single forward per micro-batch); inference-free
    queries come from the model's query table."""

    def __init__(self, model: CspladeModel) -> None:
        super().__init__()
        self.model = model

    def forward(self, queries: EncoderInputs, docs: EncoderInputs) -> tuple[torch.Tensor, torch.Tensor]:
        return (self.model.side_weights(queries, "query", checkpoint_pooling=True),
                self.model(docs, checkpoint_pooling=True))


class ContrastiveTask:
    postfix = ("rank", "acc", "q_terms", "d_terms")

    def __init__(self, config: TrainConfig, trainable: TrainableModel, batches: ContrastiveBatches,
                 accelerator, total_steps: int, dev: DevSet | None = None) -> None:
        self.config = config
        self.trainable = trainable
        self.batches = batches
        self.accelerator = accelerator
        self.total_steps = total_steps
        self.dev = dev
        self.module = ContrastiveObjective(trainable.model)

    def micro_batches(self, step: int, count: int) -> list[Any]:
        return [self.batches.batch(step * count + i) for i in range(count)]

    def compute(self, module: torch.nn.Module, batch: Batch,
                step: int) -> tuple[torch.Tensor, dict[str, float]]:
        config, model = self.config, self.trainable.model
        q_raw, d_raw = module(model.tokenize(batch.queries, "query"), model.tokenize(batch.docs, "doc"))
        q = self._global(keep_top_k(q_raw, config.train_query_top_k))
        d = self._global(keep_top_k(d_raw, config.train_doc_top_k))
        per_query = 1 + config.negatives
        positives = torch.arange(q.shape[0], device=q.device) * per_query
        candidates = None
        if not config.in_batch_negatives:
            own = torch.arange(d.shape[0], device=q.device)[None, :] - positives[:, None]
            candidates = (own >= 0) & (own < per_query)
        rank, scores = info_nce(q, d, positives, config.temperature, candidates)
        t = step + 1
        # a table query is its own tokens: FLOPS regularises the documents alone
        lambda_q = 0.0 if model.config.inference_free else flops_weight(config.lambda_q, t, config.flops_warmup)
        lambda_d = flops_weight(config.lambda_d, t, config.flops_warmup)
        flops_q, flops_d = flops(q), flops(d)
        loss = config.nce_weight * rank + lambda_q * flops_q + lambda_d * flops_d
        metrics = {"rank": rank.item(), "flops_q": flops_q.item(), "flops_d": flops_d.item(),
                   "lambda_q": lambda_q, "lambda_d": lambda_d}
        if config.distill != "none":
            if batch.teacher is None:
                raise CspladeError("distillation needs teacher scores for every query of the batch")
            own = positives[:, None] + torch.arange(per_query, device=q.device)[None, :]
            teacher = self._global(torch.tensor(batch.teacher, device=scores.device))
            distill = distillation_loss(config.distill, scores.gather(1, own), teacher, config.temperature,
                                        config.teacher_temperature)
            loss = loss + config.distill_weight * distill
            metrics["distill"] = distill.item()
        if config.lambda_l1_q:
            l1_q = l1(q)
            loss = loss + config.lambda_l1_q * l1_q
            metrics["l1_q"] = l1_q.item()
        with torch.no_grad():
            if candidates is not None:
                scores = scores.masked_fill(~candidates, float("-inf"))
            metrics["acc"] = (scores.argmax(dim=1) == positives).float().mean().item()
            metrics["q_terms"], metrics["q_zero"] = sparsity(self._global(q_raw.detach()))
            metrics["d_terms"], metrics["d_zero"] = sparsity(self._global(d_raw.detach()))
        metrics["loss"] = loss.item()
        return loss * self._shared_by, metrics

    @property
    def _shared_by(self) -> int:
        """Processes computing one global loss (DDP averages their gradients: the loss is scaled back)."""
        shared = self.accelerator.num_processes > 1 and self.config.cross_device_negatives
        return self.accelerator.num_processes if shared else 1

    def _global(self, local: torch.Tensor) -> torch.Tensor:
        """The global batch's rows in process order: this process's own rows keep their gradient."""
        if self._shared_by == 1:
            return local
        parts = list(self.accelerator.gather(local.detach().contiguous()).chunk(self._shared_by))
        parts[self.accelerator.process_index] = local
        return torch.cat(parts)

    def after_step(self, step: int) -> dict[str, float]:
        """Dev evaluation at step 0, every ``dev_every`` steps and at the last step; keeps ``best/``."""
        if self.dev is None or not self.accelerator.is_main_process:
            return {}
        every = self.config.dev_every
        if step not in (0, self.total_steps) and not (every and step % every == 0):
            return {}
        output = Path(self.config.output_dir)
        metrics = evaluate(self.trainable.model, self.dev, output / "dev" / f"run-{step:06d}.trec")
        best = read_best(output)
        if best is None or metrics["dev_ndcg10"] > best["dev_ndcg10"]:
            with atomic_directory(output / BEST_DIR) as staging:
                self.trainable.save_adapter(staging)
                self.config.save(staging)
                write_json(staging / BEST_FILE, {"step": step, **metrics})
        return metrics

    def data_state(self) -> dict[str, Any] | None:
        return None  # batches are a function of the step

    def load_data_state(self, state: dict[str, Any]) -> None:
        pass

    def save_model(self, directory: Path) -> None:
        self.trainable.save_adapter(directory)


def setup_contrastive(config: TrainConfig, data: TrainingData | None = None) -> Run:
    """Accelerator, output directory, data (reported), model and trainer of a contrastive run."""
    accelerator = make_accelerator(config)
    with lock_output_dir(config, accelerator) as lock:  # released if setting up fails
        output_dir = prepare_output_dir(config, accelerator)
        data = data or load_training_data(config)
        for line in data.report.lines():
            accelerator.print(f"data: {line}")
        if accelerator.is_main_process:
            data.report.save(output_dir)
        trainable = build_for(config, accelerator.device)
        batches = ContrastiveBatches(data, config.batch_size, config.negatives, config.seed,
                                     accelerator.process_index, accelerator.num_processes)
        total = total_steps_for(config.steps, config.epochs, len(data.examples),
                                batches.queries_per_batch * config.grad_accumulation)
        dev = DevSet.read(config.dev_topics, config.dev_qrels, config.dev_corpus) if config.dev_topics else None
        task = ContrastiveTask(config, trainable, batches, accelerator, total, dev)
        trainer = Trainer(config, task, accelerator, trainable.trainable_parameters(), total)
        lock = lock.pop_all()  # held by the run from here
    return Run(config, accelerator, trainable, trainer, output_dir, lock)


def run_contrastive(config: TrainConfig) -> Path:
    """Train, checkpoint, then export ``final/`` (merged) and ``adapter/``; returns ``final/``."""
    run = setup_contrastive(config)
    with run.lock:
        run.train()
        return run.export()
