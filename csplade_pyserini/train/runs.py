"""A training run: its output directory (never overwritten, checked on resume), trainer and exports."""
from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.config import CONFIG_NAME
from ..errors import CspladeError
from ..formats.files import check_replaceable, exclusive, write_json
from .config import LoopConfig, check_resumable, load_saved_config
from .export import export
from .loop import Trainer, checkpoints
from .modeling import TrainableModel

DATA_IDENTITY = "data_identity.json"
DATA_FIELDS = ("corpus", "queries", "qrels", "triples", "hard_negatives", "teacher_scores", "query_table",
               "dev_topics", "dev_qrels", "dev_corpus")


def data_identity(config: LoopConfig) -> dict[str, str]:
    """sha256 of every local file (or directory's files) a config trains from: a resumed run must read the
    same data, not only the same paths."""
    identity = {}
    for name in DATA_FIELDS:
        value = getattr(config, name, None)
        path = Path(value) if isinstance(value, str) and value else None
        if path is None or not path.exists():
            continue
        digest = hashlib.sha256()
        for file in sorted(p for p in ([path] if path.is_file() else path.rglob("*")) if p.is_file()):
            with open(file, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
        identity[name] = digest.hexdigest()
    return identity


def prepare_output_dir(config: LoopConfig, accelerator) -> Path:
    """Create ``output_dir`` (or check it against the saved config and data when resuming) and save the
    config and the data's identity."""
    output_dir = Path(config.output_dir)
    found = checkpoints(output_dir) if output_dir.is_dir() else []
    saved = output_dir / config.CONFIG_FILE
    if found and not config.resume:
        raise CspladeError(f"{output_dir}: already holds checkpoints (latest {found[-1][1].name}); "
                           "pass --resume to continue, or choose another --output-dir")
    identity = data_identity(config)
    if config.resume and saved.is_file():
        check_resumable(load_saved_config(type(config), output_dir), config, str(saved))
        recorded = output_dir / DATA_IDENTITY
        if found and recorded.is_file():
            changed = sorted(k for k, v in json.loads(recorded.read_text()).items() if identity.get(k) != v)
            if changed:
                raise CspladeError(f"{recorded}: cannot resume: the content of {', '.join(changed)} changed "
                                   "since the run started; use a new output_dir")
    for export_dir in ("final", "adapter"):  # replaced at the end: refuse now, not after training
        check_replaceable(output_dir / export_dir, CONFIG_NAME)
    if accelerator.is_main_process:
        output_dir.mkdir(parents=True, exist_ok=True)
        config.save(output_dir)
        write_json(output_dir / DATA_IDENTITY, identity)
    accelerator.wait_for_everyone()
    return output_dir


def lock_output_dir(config: LoopConfig, accelerator) -> contextlib.ExitStack:
    """The main process's lock on ``output_dir`` for the whole run: a second run into it is refused at once
    (the lock goes with the process)."""
    lock = contextlib.ExitStack()
    if accelerator.is_main_process:
        lock.enter_context(exclusive(config.output_dir, "a training run"))
    return lock


@dataclass
class Run:
    """Everything a phase set up; ``train()`` then ``export()`` (under ``lock``, the output's)."""

    config: LoopConfig
    accelerator: Any
    trainable: TrainableModel
    trainer: Trainer
    output_dir: Path
    lock: contextlib.ExitStack

    def train(self) -> int:
        """Resume if asked, train to the last step; returns the step reached."""
        if self.config.resume:
            self.trainer.resume()
        return self.trainer.run()

    def export(self) -> Path:
        """``final/`` (merged, in place: the trained model is merged afterwards) and ``adapter/``."""
        if self.accelerator.is_main_process:
            export(self.trainable, self.output_dir, self.config)
        self.accelerator.wait_for_everyone()
        return self.output_dir / "final"
