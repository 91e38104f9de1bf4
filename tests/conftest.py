"""Shared fixtures: offline hub, tiny model directories, the SciFact cache, the real base model."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).parent))

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory) -> Path:
    """A tiny random Llama encoder directory (causal, no top-k)."""
    from tiny import save_tiny

    return save_tiny(tmp_path_factory.mktemp("tiny-llama"), "llama")


@pytest.fixture(scope="session")
def irds_home(tmp_path_factory) -> Path:
    """An IR_DATASETS_HOME whose beir/ links to ../shared/ir_datasets/beir (which is read-only)."""
    source = SHARED / "ir_datasets" / "beir"
    if not source.is_dir():
        pytest.fail(f"{source} is missing: the tests need ../shared/ir_datasets (see ../shared/README.md)")
    home = tmp_path_factory.mktemp("ir_datasets")
    (home / "beir").symlink_to(source)
    os.environ["IR_DATASETS_HOME"] = str(home)
    return home
