"""Named encoders: one JSON file per name in ``encoders/`` (``csplade`` is the default).

A preset file holds ``model`` (a base model name such as ``smollm2-135m``, a directory relative to
the preset file, or a hub id), optionally ``adapter`` (a LoRA adapter directory relative to the
preset file, or a list of them, merged in order: e.g. an adaptation adapter, then the contrastive
one trained on top of it), ``config`` (CspladeConfig fields layered over the last adapter's saved
config), ``fusion`` (the setting of ``csplade fuse`` chosen on dev for this encoder + BM25) and
free-form ``metadata``. Extra presets can be
put in the directories listed in ``$CSPLADE_ENCODERS`` (separated by ``:``), which come first.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.config import CspladeConfig
from ..errors import CspladeError

DEFAULT_PRESET = "csplade"


def preset_dirs() -> list[Path]:
    """Where presets are looked up, in order."""
    dirs = [Path(p) for p in os.environ.get("CSPLADE_ENCODERS", "").split(os.pathsep) if p]
    package = Path(__file__).resolve().parent.parent  # csplade_pyserini/
    dirs.append(package.parent / "encoders")  # a source checkout (editable install)
    dirs.append(package / "_presets")  # an installed wheel
    return [d for d in dirs if d.is_dir()]


@dataclass
class Preset:
    name: str
    path: Path
    model: str
    adapter: str | list[str] | None = None
    config: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    fusion: dict[str, Any] | None = None  # the fusion with BM25 chosen on dev (csplade fuse --setting NAME)
    metadata: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> "Preset":
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise CspladeError(f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}") from None
        if not isinstance(data, dict) or "model" not in data:
            raise CspladeError(f"{path}: a preset needs a 'model' field")
        unknown = sorted(set(data) - {"model", "adapter", "config", "description", "fusion", "metadata"})
        if unknown:
            raise CspladeError(f"{path}: unknown field(s) {', '.join(unknown)}")
        return cls(name=path.stem, path=path, **data)

    def _relative(self, value: str) -> str:
        candidate = self.path.parent / value
        return str(candidate) if candidate.exists() else value

    @property
    def model_source(self) -> str:
        return self._relative(self.model)

    @property
    def adapter_dirs(self) -> list[Path]:
        names = [self.adapter] if isinstance(self.adapter, str) else list(self.adapter or [])
        return [self.path.parent / name for name in names]

    def csplade_config(self) -> CspladeConfig:
        """The adapter's (else the model directory's) saved config, with the preset's fields on top."""
        saved: dict[str, Any] = {}
        for directory in [*reversed(self.adapter_dirs), Path(self.model_source)]:
            if CspladeConfig.exists(directory):
                saved = CspladeConfig.load(directory).to_dict()
                break
        return CspladeConfig.from_dict({**saved, **self.config, "base_model": None}, source=str(self.path))


def available_presets() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for directory in preset_dirs():
        for path in sorted(directory.glob("*.json")):
            found.setdefault(path.stem, path)
    return found


def find_preset(name: str) -> Preset | None:
    path = available_presets().get(name)
    return None if path is None else Preset.read(path)


def get_preset(name: str) -> Preset:
    preset = find_preset(name)
    if preset is None:
        raise CspladeError(f"unknown encoder {name!r}; presets: {', '.join(available_presets()) or '(none)'}")
    return preset
