"""The training loop shared by both phases, on accelerate (one CPU, one GPU, or many through
``accelerate launch``).

AdamW, a warm-up + cosine/linear/constant schedule, gradient accumulation and clipping, bf16 autocast
on GPU, periodic checkpoints and exact resumption. Each step reseeds the RNGs from (seed, step, rank)
and the data of step t is a function of t (or of the saved stream position), so a run resumed from
``checkpoint-<t>`` continues with the same batches, dropout masks and optimizer state as an
uninterrupted run. Ctrl-C saves the last completed step before exiting.

A checkpoint ``output_dir/checkpoint-<step>/`` holds accelerate's state (trainable weights only,
optimizer, scheduler, RNG), ``trainer_state.json``, the data position, the resolved config and - for
LoRA - the adapter with its ``csplade_config.json`` (so ``load_model`` loads a checkpoint directly).
"""
from __future__ import annotations

import json
import math
import os
import shutil
from contextlib import nullcontext
from pathlib import Path
from typing import Any, Protocol

import torch
from tqdm.auto import tqdm

from ..errors import CspladeError
from ..formats.files import write_json
from ..launch import check_distributed, launched
from ..loading.precision import cpu_has_native_bf16
from .config import LoopConfig

STATE_FILE = "trainer_state.json"
METRICS_FILE = "metrics.jsonl"
WEIGHTS_FILE = "model.safetensors"  # accelerate's name for the first prepared model


class Task(Protocol):
    """One phase's model-specific work; the loop does the rest."""

    module: torch.nn.Module  # prepared by accelerate; ``compute`` calls it (DDP syncs through forward)
    postfix: tuple[str, ...]  # metric names shown in the progress bar

    def micro_batches(self, step: int, count: int) -> list[Any]: ...

    def compute(self, module: torch.nn.Module, batch: Any,
                step: int) -> tuple[torch.Tensor, dict[str, float]]: ...  # (loss to back-propagate, metrics)

    def after_step(self, step: int) -> dict[str, float]: ...

    def data_state(self) -> dict[str, Any] | None: ...

    def load_data_state(self, state: dict[str, Any]) -> None: ...

    def save_model(self, directory: Path) -> None: ...


def mixed_precision(config: LoopConfig) -> str:
    """accelerate's mixed precision; ``auto``: bf16 autocast on GPU and on CPUs with native bf16
    (AVX512-BF16/AMX: a LoRA step of SmolLM2-135M ~2x faster than float32), none elsewhere."""
    if config.mixed_precision != "auto":
        return config.mixed_precision
    on_gpu = torch.cuda.is_available() and not config.cpu
    return "bf16" if on_gpu or cpu_has_native_bf16() else "no"


def make_accelerator(config: LoopConfig):
    """accelerate's Accelerator for this process; launched processes on a machine without GPUs form a
    gloo group on the CPU (``accelerate launch --multi_gpu`` there is torchrun on CPU processes)."""
    from accelerate import Accelerator

    on_cpu = config.cpu or (launched(os.environ) is not None and not torch.cuda.is_available())
    accelerator = Accelerator(cpu=on_cpu, mixed_precision=mixed_precision(config))
    check_distributed(os.environ, accelerator.distributed_type.value, accelerator.num_processes)
    return accelerator


def checkpoints(output_dir: Path) -> list[tuple[int, Path]]:
    """Complete checkpoints (those with a trainer state), oldest first."""
    found = []
    for path in output_dir.glob("checkpoint-*"):
        suffix = path.name.removeprefix("checkpoint-")
        if suffix.isdigit() and (path / STATE_FILE).is_file():
            found.append((int(suffix), path))
    return sorted(found)


def trainable_names(module: torch.nn.Module) -> set[str]:
    return {name for name, p in module.named_parameters() if p.requires_grad}


def _keep_trainable(models, weights, output_dir) -> None:
    """accelerate save hook: store only the trained parameters (LoRA: a few MB, not the base model)."""
    for i, (model, state) in enumerate(zip(models, weights)):
        names = trainable_names(model)
        weights[i] = {k: v for k, v in state.items() if k in names}


class MetricsLog:
    """``metrics.jsonl``: one JSON object per logged step; a resumed run drops lines past its step."""

    def __init__(self, path: Path, start_step: int, enabled: bool) -> None:
        self.path = path
        self.enabled = enabled
        if enabled and path.is_file():
            kept = [line for line in path.read_text().splitlines()
                    if line.strip() and json.loads(line).get("step", 0) <= start_step]
            path.write_text("".join(line + "\n" for line in kept))

    def write(self, record: dict[str, Any]) -> None:
        if self.enabled:
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(record) + "\n")


class Trainer:
    """Runs ``task`` for ``total_steps`` optimizer steps with the settings of ``config``."""

    def __init__(self, config: LoopConfig, task: Task, accelerator, parameters: list[torch.nn.Parameter],
                 total_steps: int) -> None:
        from transformers import get_scheduler

        if not parameters:
            raise CspladeError("nothing to train: the model has no trainable parameters")
        self.config = config
        self.task = task
        self.accelerator = accelerator
        self.total_steps = total_steps
        self.output_dir = Path(config.output_dir)
        optimizer = torch.optim.AdamW(parameters, lr=config.learning_rate, weight_decay=config.weight_decay)
        schedule = "constant_with_warmup" if config.schedule == "constant" else config.schedule
        self.scheduler = get_scheduler(schedule, optimizer, num_warmup_steps=config.warmup(total_steps),
                                       num_training_steps=total_steps)
        self.module, self.optimizer = accelerator.prepare(task.module, optimizer)
        self.parameters = [p for p in self.module.parameters() if p.requires_grad]  # FSDP replaces them
        accelerator.register_for_checkpointing(self.scheduler)
        accelerator.register_save_state_pre_hook(_keep_trainable)
        self.step = 0
        self.last_saved = -1
        self._data_state = task.data_state()  # the data position after the last completed step

    # -- checkpoints ------------------------------------------------------------------------------------
    def save(self) -> Path:
        accelerator = self.accelerator
        final = self.output_dir / f"checkpoint-{self.step}"
        staging = self.output_dir / f".checkpoint-{self.step}.tmp"
        if accelerator.is_main_process and staging.exists():
            shutil.rmtree(staging)
        accelerator.wait_for_everyone()
        try:
            accelerator.save_state(str(staging))
            if self._data_state is not None:
                write_json(staging / f"data_state_{accelerator.process_index}.json", self._data_state)
            accelerator.wait_for_everyone()
            if accelerator.is_main_process:
                self.task.save_model(staging)
                self.config.save(staging)
                write_json(staging / STATE_FILE, {"step": self.step, "total_steps": self.total_steps,
                                                  "processes": accelerator.num_processes})
        except (OSError, RuntimeError) as exc:  # torch reports a full disk as a RuntimeError
            shutil.rmtree(staging, ignore_errors=True)
            reason = getattr(exc, "strerror", None) or str(exc).splitlines()[0][:200]
            raise CspladeError(f"{staging}: the checkpoint of step {self.step} could not be written "
                               f"({reason}); the last complete one is kept") from None
        if accelerator.is_main_process:
            if final.exists():
                shutil.rmtree(final)
            staging.rename(final)
            self._prune()
        accelerator.wait_for_everyone()
        self.last_saved = self.step
        return final

    def _prune(self) -> None:
        keep = self.config.keep_checkpoints
        if keep:
            for _, path in checkpoints(self.output_dir)[:-keep]:
                shutil.rmtree(path)

    def resume(self) -> int:
        """Load the latest checkpoint of ``output_dir``; returns its step (0 when there is none)."""
        found = checkpoints(self.output_dir)
        if not found:
            return 0
        step, path = found[-1]
        self._check_weights(path)
        processes = json.loads((path / STATE_FILE).read_text()).get("processes", 1)
        if processes != self.accelerator.num_processes:
            raise CspladeError(f"{path}: trained by {processes} process(es); resume it with {processes}, "
                               f"not {self.accelerator.num_processes} (each process has its own part of "
                               "every batch and of the text stream)")
        self.accelerator.load_state(str(path), strict=False)
        state_file = path / f"data_state_{self.accelerator.process_index}.json"
        if state_file.is_file():
            self.task.load_data_state(json.loads(state_file.read_text()))
        elif self.task.data_state() is not None:
            raise CspladeError(f"{path}: no data position for process {self.accelerator.process_index}")
        self.step = self.last_saved = step
        self._data_state = self.task.data_state()
        return step

    def _check_weights(self, path: Path) -> None:
        from safetensors import safe_open

        weights = path / WEIGHTS_FILE
        if not weights.is_file():
            raise CspladeError(f"{weights}: checkpoint has no trained weights")
        with safe_open(str(weights), "pt") as handle:
            saved = set(handle.keys())
        expected = trainable_names(self.accelerator.unwrap_model(self.module))  # saved without DDP's prefix
        if saved != expected:
            raise CspladeError(f"{weights}: its {len(saved)} tensors do not match the {len(expected)} "
                               "trainable parameters of this model (different LoRA settings or model?)")

    # -- the loop ---------------------------------------------------------------------------------------
    def run(self) -> int:
        from accelerate.utils import set_seed

        accelerator = self.accelerator
        log = MetricsLog(self.output_dir / METRICS_FILE, self.step, accelerator.is_main_process)
        bar = tqdm(total=self.total_steps, initial=self.step, disable=not accelerator.is_main_process,
                   desc=self.output_dir.name, dynamic_ncols=True)
        if self.step == 0:
            initial = self.task.after_step(0)
            if initial:
                log.write({"step": 0, **initial})
        try:
            while self.step < self.total_steps:
                set_seed(self.config.seed + 100_003 * self.step + accelerator.process_index)
                metrics = self._train_step()
                self.step += 1
                self._data_state = self.task.data_state()
                metrics.update(self.task.after_step(self.step))
                bar.update(1)
                bar.set_postfix({k: _short(metrics[k]) for k in ("loss", *self.task.postfix, "lr")
                                 if k in metrics}, refresh=False)
                if self.step % self.config.log_every == 0 or self.step == self.total_steps:
                    log.write({"step": self.step, **metrics})
                if self.config.save_every and self.step % self.config.save_every == 0:
                    self.save()
        except KeyboardInterrupt:
            self.optimizer.zero_grad(set_to_none=True)
            if self.step > self.last_saved and self.step > 0:
                path = self.save()
                tqdm.write(f"interrupted: saved {path}; continue with --resume")
            raise
        finally:
            bar.close()
        if self.last_saved != self.step:
            self.save()
        return self.step

    def _train_step(self) -> dict[str, float]:
        accelerator = self.accelerator
        batches = self.task.micro_batches(self.step, self.config.grad_accumulation)
        lr = self.scheduler.get_last_lr()[0]
        totals: dict[str, float] = {}
        for i, batch in enumerate(batches):
            sync = i == len(batches) - 1
            with nullcontext() if sync else accelerator.no_sync(self.module):
                with accelerator.autocast():
                    loss, metrics = self.task.compute(self.module, batch, self.step)
                if not torch.isfinite(loss):
                    raise CspladeError(f"step {self.step + 1}: the loss is {loss.item()} "
                                       "(lower the learning rate or the regularisation weights)")
                accelerator.backward(loss / len(batches))
            for key, value in metrics.items():
                totals[key] = totals.get(key, 0.0) + value / len(batches)
        if self.config.max_grad_norm > 0:
            norm = accelerator.clip_grad_norm_(self.parameters, self.config.max_grad_norm)
            totals["grad_norm"] = float(norm)
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        totals["lr"] = lr
        return self._mean_over_processes(totals)

    def _mean_over_processes(self, metrics: dict[str, float]) -> dict[str, float]:
        if self.accelerator.num_processes == 1:
            return metrics
        keys = sorted(metrics)
        values = torch.tensor([metrics[k] for k in keys], device=self.accelerator.device)
        values = self.accelerator.reduce(values, reduction="mean")
        return dict(zip(keys, values.tolist()))


def _short(value: float) -> str:
    if value == 0 or (1e-2 <= abs(value) < 1e4):
        return f"{value:.3g}" if abs(value) < 1e3 else f"{value:.0f}"
    return f"{value:.2e}"


def total_steps_for(steps: int | None, epochs: float | None, examples: int, per_step: int) -> int:
    """``steps`` as given, or ``epochs`` passes over ``examples`` at ``per_step`` examples per step."""
    if steps is not None:
        return steps
    return max(1, math.ceil((epochs or 1.0) * examples / per_step))
