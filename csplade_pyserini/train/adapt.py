"""Phase 1, adaptation: ``L = L_CLM + lambda_relu * L_ReLU`` on unlabeled text (``csplade adapt``).

The causal LM is trained on next-token prediction (``objective: clm``, causal attention, the paper's
set-up) or, for the ``bi`` variant, optionally on masked next-token prediction (``objective: mntp``,
LLM2Vec: bidirectional attention, a share of the input tokens replaced by a mask token, the position
before each masked token predicts it). L_ReLU (see :mod:`.losses`) keeps the log-saturated vocabulary
activations from dying. Each step logs the share of zero activations and the number of non-zero terms
of max-pooled vectors; every ``probe_every`` steps the first ``probe_docs`` corpus documents are
encoded as real document vectors (through ``CspladeModel.forward``) to log their sparsity.
"""
from __future__ import annotations

from itertools import islice
from pathlib import Path
from typing import Any

import torch

from ..core.inputs import EncoderInputs
from ..core.model import CspladeModel
from .config import AdaptConfig
from .loop import Trainer, make_accelerator
from .losses import adaptation_loss, mask_for_mntp, next_token_targets, sparsity
from .modeling import TrainableModel, build_for
from .packing import SequenceStream, iter_texts
from .runs import Run, lock_output_dir, prepare_output_dir


class AdaptationObjective(torch.nn.Module):
    """Hidden states of the (LoRA) LM -> chunked L_CLM / L_ReLU sums and activation statistics."""

    def __init__(self, model: CspladeModel, chunk_size: int) -> None:
        super().__init__()
        self.model = model
        self.chunk_size = chunk_size

    def forward(self, input_ids: torch.Tensor, padding_mask: torch.Tensor, targets: torch.Tensor):
        inputs = EncoderInputs(input_ids, padding_mask, padding_mask)
        hidden = self.model.hidden_states(inputs)
        out = adaptation_loss(hidden, targets, padding_mask, self.model.logits, self.model.allowed.bool(),
                              self.chunk_size)
        return out.clm, out.relu, out.count, out.zero_fraction, out.pooled_terms


def mask_token_id(tokenizer) -> int:
    """The tokenizer's mask token, else its unknown token, else its padding token."""
    for token_id in (tokenizer.mask_token_id, tokenizer.unk_token_id, tokenizer.pad_token_id):
        if token_id is not None:
            return int(token_id)
    return int(tokenizer.eos_token_id)


class AdaptationTask:
    postfix = ("clm", "relu", "zero_frac", "pooled_terms", "probe_terms")

    def __init__(self, config: AdaptConfig, trainable: TrainableModel, stream: SequenceStream,
                 probe_texts: list[str], device: torch.device) -> None:
        self.config = config
        self.trainable = trainable
        self.stream = stream
        self.probe_texts = probe_texts
        self.device = device
        self.mask_id = mask_token_id(trainable.model.tokenizer)
        self.module = AdaptationObjective(trainable.model, config.loss_chunk_size)

    def micro_batches(self, step: int, count: int) -> list[Any]:
        return [self.stream.next_batch(self.config.batch_size) for _ in range(count)]

    def compute(self, module: torch.nn.Module, batch: Any,
                step: int) -> tuple[torch.Tensor, dict[str, float]]:
        input_ids, padding = (t.to(self.device) for t in batch)
        if self.config.objective == "mntp":
            input_ids, targets = mask_for_mntp(input_ids, padding, self.mask_id, self.config.mask_probability)
        else:
            targets = next_token_targets(input_ids, padding)
        clm, relu, count, zero_fraction, pooled_terms = module(input_ids, padding, targets)
        count = count.clamp(min=1)
        loss = clm / count + self.config.lambda_relu * relu / count
        return loss, {"loss": loss.item(), "clm": (clm / count).item(), "relu": (relu / count).item(),
                      "zero_frac": zero_fraction.item(), "pooled_terms": pooled_terms.mean().item(),
                      "tokens": float(padding.sum()), "predicted": float(count)}

    def after_step(self, step: int) -> dict[str, float]:
        every = self.config.probe_every
        if not self.probe_texts or not every or step % every:
            return {}
        model = self.trainable.model
        model.eval()
        with torch.no_grad():
            weights = torch.cat([model(model.tokenize(self.probe_texts[i: i + 8], "doc"))
                                 for i in range(0, len(self.probe_texts), 8)])
        model.train()
        terms, zero = sparsity(weights)
        return {"probe_terms": terms, "probe_zero": zero}

    def data_state(self) -> dict[str, Any] | None:
        return self.stream.state

    def load_data_state(self, state: dict[str, Any]) -> None:
        self.stream.load_state(state)

    def save_model(self, directory: Path) -> None:
        self.trainable.save_adapter(directory)


def setup_adaptation(config: AdaptConfig) -> Run:
    """Accelerator, output directory, model, text stream and trainer of an adaptation run."""
    accelerator = make_accelerator(config)
    with lock_output_dir(config, accelerator) as lock:  # released if setting up fails
        output_dir = prepare_output_dir(config, accelerator)
        trainable = build_for(config, accelerator.device)
        stream = SequenceStream(config.corpus, trainable.model.tokenizer, config.seq_length, config.pack,
                                config.max_docs, accelerator.process_index, accelerator.num_processes)
        probe = (list(islice(iter_texts(config.corpus, config.max_docs), config.probe_docs))
                 if config.probe_every else [])
        task = AdaptationTask(config, trainable, stream, probe, accelerator.device)
        trainer = Trainer(config, task, accelerator, trainable.trainable_parameters(), config.steps)
        lock = lock.pop_all()  # held by the run from here
    return Run(config, accelerator, trainable, trainer, output_dir, lock)


def run_adaptation(config: AdaptConfig) -> Path:
    """Train, checkpoint, then export ``final/`` (merged) and ``adapter/``; returns ``final/``."""
    run = setup_adaptation(config)
    with run.lock:
        run.train()
        return run.export()
