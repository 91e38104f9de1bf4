"""Output directories of training runs: refuse to overwrite, check a resumption, save the config."""
from __future__ import annotations

from pathlib import Path

from ..errors import CspladeError
from .config import LoopConfig, check_resumable, load_saved_config
from .loop import checkpoints


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
    if accelerator.is_main_process:
        output_dir.mkdir(parents=True, exist_ok=True)
        config.save(output_dir)
    accelerator.wait_for_everyone()
    return output_dir
