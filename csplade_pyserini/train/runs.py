"""A training run: its output directory (never overwritten, checked on resume), trainer and exports."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.config import CONFIG_NAME
from ..errors import CspladeError
from ..formats.files import check_replaceable
from .config import LoopConfig, check_resumable, load_saved_config
from .export import export
from .loop import Trainer, checkpoints
from .modeling import TrainableModel


def prepare_output_dir(config: LoopConfig, accelerator) -> Path:
    """Create ``output_dir`` (or check it against the saved config when resuming) and save the config."""
    output_dir = Path(config.output_dir)
    found = checkpoints(output_dir) if output_dir.is_dir() else []
    saved = output_dir / config.CONFIG_FILE
    if found and not config.resume:
        raise CspladeError(f"{output_dir}: already holds checkpoints (latest {found[-1][1].name}); "
                           "pass --resume to continue, or choose another --output-dir")
    if config.resume and saved.is_file():
        check_resumable(load_saved_config(type(config), output_dir), config, str(saved))
    for export_dir in ("final", "adapter"):  # replaced at the end: refuse now, not after training
        check_replaceable(output_dir / export_dir, CONFIG_NAME)
    if accelerator.is_main_process:
        output_dir.mkdir(parents=True, exist_ok=True)
        config.save(output_dir)
    accelerator.wait_for_everyone()
    return output_dir


@dataclass
class Run:
    """Everything a phase set up; ``train()`` then ``export()``."""

    config: LoopConfig
    accelerator: Any
    trainable: TrainableModel
    trainer: Trainer
    output_dir: Path

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
