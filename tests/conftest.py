"""Shared fixtures (offline hub, a tiny model directory, the SciFact cache, the real base model) and the
two tiers: everything under ``tests/integration/`` is marked ``integration`` (JVM, real model, recipes,
benchmark); ``pytest -m "not integration"`` runs the fast unit tier."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
INTEGRATION = Path(__file__).resolve().parent / "integration"


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        if INTEGRATION in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.integration)

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory) -> Path:
    """A tiny random Llama encoder directory (causal, no top-k)."""
    from csplade_pyserini.loading.tiny import save_tiny

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
