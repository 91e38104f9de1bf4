"""Training configs: defaults < file (JSON/YAML/TOML) < flags; bad values are one-line errors."""
import argparse
import json

import pytest

from csplade_pyserini.errors import CspladeError
from csplade_pyserini.options import add_arguments as add_config_arguments
from csplade_pyserini.options import build as build_config
from csplade_pyserini.options import from_args as config_from_args
from csplade_pyserini.train.config import AdaptConfig, TrainConfig, check_resumable, load_saved_config


def _parse(cls, argv):
    parser = argparse.ArgumentParser()
    add_config_arguments(parser, cls)
    return config_from_args(cls, parser.parse_args(argv))


@pytest.mark.parametrize("suffix,text", [
    (".json", json.dumps({"model": "m", "corpus": "c.jsonl", "output_dir": "o", "lora_r": 8,
                          "lambda_relu": 2, "lora_targets": ["q_proj", "v_proj"]})),
    (".yaml", "model: m\ncorpus: c.jsonl\noutput_dir: o\nlora_r: 8\nlambda_relu: 2\n"
              "lora_targets: [q_proj, v_proj]\n"),
    (".toml", 'model = "m"\ncorpus = "c.jsonl"\noutput_dir = "o"\nlora_r = 8\nlambda_relu = 2\n'
              'lora_targets = ["q_proj", "v_proj"]\n'),
])
def test_file_values_are_overridden_by_flags(tmp_path, suffix, text):
    path = tmp_path / f"adapt{suffix}"
    path.write_text(text)
    config = _parse(AdaptConfig, ["--config", str(path), "--lora-r", "32", "--no-pack"])
    assert config.lora_r == 32 and config.pack is False  # flags win
    assert config.lambda_relu == 2.0 and isinstance(config.lambda_relu, float)
    assert config.lora_targets == ["q_proj", "v_proj"] and config.model == "m"
    assert config.seq_length == 2048 and config.steps == 10000  # the paper's schedule
    assert config.warmup(config.steps) == 1000
    assert config.batch_size * config.grad_accumulation == 32


def test_saved_config_round_trips(tmp_path):
    config = _parse(TrainConfig, ["--model", "m", "--output-dir", str(tmp_path), "--data", "beir/x/train",
                                  "--epochs", "2", "--variant", "bi", "--train-doc-top-k", "256"])
    config.save(tmp_path)
    assert load_saved_config(TrainConfig, tmp_path) == config
    assert config.warmup_ratio == 0.05 and config.negatives == 15 and config.batch_size == 32  # the paper's


@pytest.mark.parametrize("values,message", [
    ({"lora_rank": 4}, "unknown field(s) lora_rank"),
    ({"lora_r": "big"}, "field 'lora_r' must be an integer"),
    ({"pack": "yes"}, "must be true or false"),
    ({"objective": "mntp"}, "needs --variant bi"),
    ({"variant": "sideways"}, "variant must be one of"),
    ({"model": ""}, "no start model"),
])
def test_bad_values_are_one_line_errors(tmp_path, values, message):
    base = {"model": "m", "corpus": "c", "output_dir": str(tmp_path)}
    with pytest.raises(CspladeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build_config(AdaptConfig, {**base, **values}, "adapt.yaml")


def test_contrastive_needs_data_and_exactly_one_length(tmp_path):
    base = {"model": "m", "output_dir": str(tmp_path), "steps": 5}
    with pytest.raises(CspladeError, match="no training data"):
        build_config(TrainConfig, base)
    with pytest.raises(CspladeError, match="exactly one of --steps and --epochs"):
        build_config(TrainConfig, {**base, "data": "x", "epochs": 1.0})


def test_resume_refuses_a_changed_config(tmp_path):
    base = {"model": "m", "corpus": "c", "output_dir": str(tmp_path)}
    saved = build_config(AdaptConfig, base)
    check_resumable(saved, build_config(AdaptConfig, {**base, "resume": True, "save_every": 7}), "x")
    with pytest.raises(CspladeError, match="learning_rate"):
        check_resumable(saved, build_config(AdaptConfig, {**base, "learning_rate": 1.0}), "x")


def test_resume_accepts_another_spelling_of_the_same_paths(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "corpus.jsonl").write_text("{}\n")
    (tmp_path / "link").symlink_to(tmp_path / "data")
    (tmp_path / "other.jsonl").write_text("{}\n")
    monkeypatch.chdir(tmp_path)
    saved = build_config(AdaptConfig, {"model": "m", "corpus": str(tmp_path / "data" / "corpus.jsonl"),
                                       "output_dir": str(tmp_path)})
    for corpus in ("data/corpus.jsonl", "link/corpus.jsonl"):  # relative, and through a symbolic link
        check_resumable(saved, build_config(AdaptConfig, {"model": "m", "corpus": corpus, "output_dir": "."}), "x")
    with pytest.raises(CspladeError, match="corpus"):  # another file is another run
        check_resumable(saved, build_config(AdaptConfig, {"model": "m", "corpus": "other.jsonl", "output_dir": "."}),
                        "x")


def test_zero_is_no_cap_on_every_command_and_bad_lengths_fail_before_a_model_loads(tmp_path, files, train_config):
    from csplade_pyserini.cli.common import EncoderOptions
    from csplade_pyserini.core.config import overrides_from
    from csplade_pyserini.errors import CspladeError

    assert EncoderOptions(doc_top_k=0, query_top_k=5).overrides() == {"doc_top_k": None, "query_top_k": 5}
    config = train_config(tmp_path / "no-model-here", files, tmp_path / "out", doc_top_k=0, doc_max_length=64)
    assert overrides_from(config)["doc_top_k"] is None and overrides_from(config)["doc_max_length"] == 64
    with pytest.raises(CspladeError, match="doc_max_length must be an integer >= 2, got 1"):
        train_config(tmp_path / "no-model-here", files, tmp_path / "out", doc_max_length=1)
    with pytest.raises(CspladeError, match="doc_top_k must be >= 1 or null, got -3"):
        train_config(tmp_path / "no-model-here", files, tmp_path / "out", doc_top_k=-3)
