"""``csplade adapt`` then ``csplade train`` end to end on a tiny local dataset, then encode the result."""
import json

from csplade_pyserini.cli import main
from csplade_pyserini.loading.load import load_model


def test_adapt_then_train_produce_an_encoder_directory(tmp_path, tiny_dir, capsys, files, toy_docs):
    adapt_yaml = tmp_path / "adapt.yaml"
    adapt_yaml.write_text(f"model: {tiny_dir}\ncorpus: {files['corpus']}\nseq_length: 24\nbatch_size: 2\n"
                          "steps: 5\nlora_r: 4\nprobe_every: 1\nprobe_docs: 3\n")
    adapt_dir = tmp_path / "adapt"
    assert main(["adapt", "--config", str(adapt_yaml), "--output-dir", str(adapt_dir), "--steps", "2",
                 "--cpu", "--save-every", "1", "--keep-checkpoints", "1"]) == 0
    saved = json.loads((adapt_dir / "adapt_config.json").read_text())
    assert saved["steps"] == 2 and saved["seq_length"] == 24  # the flag beat the file
    assert [p.name for p in adapt_dir.glob("checkpoint-*")] == ["checkpoint-2"]
    metrics = [json.loads(line) for line in (adapt_dir / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in metrics] == [0, 1, 2] and "probe_terms" in metrics[0]
    assert all("zero_frac" in m and "pooled_terms" in m for m in metrics[1:])

    train_dir = tmp_path / "train"
    assert main(["train", "--model", str(adapt_dir), "--topics", str(files["queries"]), "--corpus",
                 str(files["corpus"]), "--qrels", str(files["qrels"]), "--hard-negatives", str(files["run"]),
                 "--output-dir", str(train_dir), "--steps", "2", "--batch-size", "2", "--negatives", "2",
                 "--variant", "bi", "--lora-r", "4", "--doc-max-length", "24", "--train-doc-top-k", "32",
                 "--cpu"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == str(train_dir / "final")
    encoder = load_model(str(train_dir / "final"))
    assert encoder.config.variant == "bi" and encoder.config.doc_max_length == 24
    impacts = encoder.encode_impacts(list(toy_docs.values()), "doc")
    assert len(impacts) == len(toy_docs) and all(impacts)
    base = json.loads((train_dir / "adapter" / "csplade_config.json").read_text())["base_model"]
    assert base == "../../adapt/final"  # relative to the adapter: the pair of runs can move together
    assert (train_dir / "data_report.json").is_file()
    assert main(["merge", str(train_dir / "checkpoint-2"), "--output", str(tmp_path / "merged")]) == 0
    again = load_model(str(tmp_path / "merged")).encode_impacts(list(toy_docs.values()), "doc")
    assert again == impacts


def test_errors_are_one_line(tmp_path, tiny_dir, capsys, files):
    assert main(["train", "--model", str(tiny_dir), "--output-dir", str(tmp_path / "o"), "--steps", "1"]) == 2
    assert "no training data" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text('model = "x"\nlearning_rat = 1\n')
    assert main(["adapt", "--config", str(bad), "--corpus", str(files["corpus"])]) == 2
    assert "unknown field(s) learning_rat" in capsys.readouterr().err
    assert main(["merge", str(tmp_path), "--output", str(tmp_path / "m")]) == 2
    assert "neither an adapter directory nor a training checkpoint" in capsys.readouterr().err
