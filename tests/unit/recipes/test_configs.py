"""The shipped models' settings live in recipes/configs/: each file is a valid config of its command."""
from pathlib import Path

import pytest

from csplade_pyserini import options
from csplade_pyserini.train.config import AdaptConfig, TrainConfig

CONFIGS = Path(__file__).resolve().parents[3] / "recipes" / "configs"
COMMAND = {"csplade-adapt.yaml": AdaptConfig, "csplade-train.yaml": TrainConfig}
RUN = {"model": "m", "output_dir": "o", "corpus": "c.jsonl", "triples": "t.tsv", "steps": 1}  # a run's own flags


@pytest.mark.parametrize("name", sorted(p.name for p in CONFIGS.glob("*.yaml")))
def test_a_recipe_config_is_a_valid_config_of_its_command(name):
    cls = COMMAND[name]  # every config file is mapped to its command here
    values = options.read_config_file(CONFIGS / name)
    run = {k: v for k, v in RUN.items() if k in {f.name for f in cls.__dataclass_fields__.values()}}
    config = options.build(cls, {**values, **run}, name)
    assert all(getattr(config, key) == value for key, value in values.items())


def test_the_recipes_read_their_settings_from_the_configs():
    recipes = Path(__file__).resolve().parents[3] / "recipes"
    for script, config in (("adapt-corpus.sh", "csplade-adapt.yaml"), ("adapt-corpus.sh", "csplade-train.yaml"),
                           ("ablations.sh", "csplade-train.yaml")):
        text = (recipes / script).read_text()
        assert f"--config recipes/configs/{config}" in text
        assert "--learning-rate 3e-4" not in text and "--lambda-relu" not in text  # declared once, in the file
