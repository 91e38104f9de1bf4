"""``csplade curves``: window means of metrics.jsonl, runs side by side, one-line errors."""
import json

import pytest

from csplade_pyserini.cli import main
from csplade_pyserini.errors import CspladeError
from csplade_pyserini.train.curves import curves_table, read_metrics, window_means


def write_run(directory, records):
    directory.mkdir(parents=True)
    (directory / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return directory


def test_window_means_average_the_records_that_have_the_key():
    records = [{"step": 0, "probe": 9.0}] + [{"step": s, "q_zero": s / 10} for s in range(1, 8)]
    records[3]["probe"] = 4.0
    means = window_means(records, 3, ["q_zero", "probe"])
    assert means[0] == {"probe": 9.0}
    assert means[1] == {"q_zero": pytest.approx(0.2), "probe": 4.0}  # steps 1-3
    assert means[4] == {"q_zero": pytest.approx(0.5)}  # steps 4-6
    assert means[7] == {"q_zero": pytest.approx(0.7)}


def test_two_runs_side_by_side(tmp_path, capsys):
    raw = write_run(tmp_path / "raw", [{"step": s, "q_zero": 1.0 if s > 2 else 0.0, "acc": 0.5}
                                       for s in range(1, 5)])
    adapted = write_run(tmp_path / "adapted", [{"step": s, "q_zero": 0.0} for s in range(1, 3)])
    assert main(["curves", str(raw), f"adapted={adapted}", "--window", "2", "--keys", "q_zero", "acc"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "| steps | q_zero (raw) | q_zero (adapted) | acc (raw) | acc (adapted) |"
    assert lines[2:] == ["| 1-2 | 0 | 0 | 0.5 | – |", "| 3-4 | 1 | – | 0.5 | – |"]


def test_default_keys_are_the_logged_ones():
    table = curves_table({"run": [{"step": 1, "rank": 2.5, "zero_frac": 0.25, "lr": 1e-4}]}, 10, ["rank"])
    assert table.splitlines()[0] == "| steps | rank |"
    from csplade_pyserini.train.curves import default_keys

    records = {"run": [{"step": 1, "zero_frac": 0.2, "rank": 1.0, "lr": 1.0}]}
    assert default_keys(records) == ["rank", "zero_frac"]


def test_bad_metrics_files_are_one_line_errors(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.jsonl").write_text('{"step": 1, "rank": 1}\n{"step": 2, "rank"\n')
    with pytest.raises(CspladeError, match=r"metrics.jsonl:2: not JSON"):
        read_metrics(run)
    (run / "metrics.jsonl").write_text('{"rank": 1}\n')
    with pytest.raises(CspladeError, match=r"metrics.jsonl:1: a record needs an integer 'step'"):
        read_metrics(run)
    assert main(["curves", str(tmp_path / "missing")]) == 2
    assert capsys.readouterr().err.strip().endswith("no such metrics file (is "
                                                    f"{tmp_path / 'missing'} a training output directory?)")
