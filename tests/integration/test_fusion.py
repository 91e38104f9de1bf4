"""Hybrid runs through Pyserini's own fusion: RRF and min-max interpolation give the orders computed by
hand; tuning on dev qrels picks the best setting; a malformed run is a FILE:LINE error."""
import json
import subprocess
import sys

import pytest

from csplade_pyserini.errors import CspladeError
from csplade_pyserini.formats.trec import read_run
from csplade_pyserini.search.fusion import Fusion, fuse, tune

RUN_A = "q1 Q0 d1 1 3.0 a\nq1 Q0 d2 2 2.0 a\nq1 Q0 d3 3 1.0 a\n"
RUN_B = "q1 Q0 d3 1 10.0 b\nq1 Q0 d4 2 9.0 b\nq1 Q0 d2 3 1.0 b\n"


@pytest.fixture
def runs(tmp_path):
    (tmp_path / "a.trec").write_text(RUN_A)
    (tmp_path / "b.trec").write_text(RUN_B)
    return [tmp_path / "a.trec", tmp_path / "b.trec"]


def _order(path):
    return [doc for doc, _ in read_run(path)["q1"]]


def test_rrf_order(tmp_path, runs):
    # d3: 1/63 + 1/61, d2: 1/62 + 1/63, d1: 1/61, d4: 1/62
    assert _order(fuse(runs, tmp_path / "rrf.trec", Fusion("rrf", rrf_k=60))) == ["d3", "d2", "d1", "d4"]


def test_minmax_interpolation_order(tmp_path, runs):
    # normalised a: d1 1, d2 .5, d3 0; b: d3 1, d4 8/9, d2 0; 0.6 a + 0.4 b: d1 .6, d3 .4, d4 .356, d2 .3
    fused = fuse(runs, tmp_path / "mm.trec", Fusion("minmax", alpha=0.6))
    assert _order(fused) == ["d1", "d3", "d4", "d2"]
    assert dict(read_run(fused)["q1"])["d3"] == pytest.approx(0.4)


def test_tuning_on_dev_qrels_picks_the_best_setting(tmp_path, runs):
    qrels = tmp_path / "qrels.txt"
    qrels.write_text("q1 0 d3 1\n")  # RRF ranks d3 first, min-max with alpha 0.9 third
    results = tune(runs, qrels, tmp_path / "grid", [Fusion("rrf", rrf_k=60), Fusion("minmax", alpha=0.9)])
    assert results[0][0] == Fusion("rrf", rrf_k=60) and results[0][1] > results[1][1]


def test_cli_writes_the_chosen_setting_and_applies_it(tmp_path, runs):
    qrels = tmp_path / "qrels.txt"
    qrels.write_text("q1 0 d4 1\n")
    out = tmp_path / "tuned.trec"
    result = subprocess.run([sys.executable, "-m", "csplade_pyserini", "fuse", "--runs", *map(str, runs),
                             "--output", str(out), "--tune", "--qrels", str(qrels)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    setting = json.loads((tmp_path / "tuned.trec.json").read_text())
    assert len(setting["grid"]) == 4 + 9 and setting["dev_ndcg10"] == max(g["dev_ndcg10"] for g in setting["grid"])
    again = subprocess.run([sys.executable, "-m", "csplade_pyserini", "fuse", "--runs", *map(str, runs),
                            "--output", str(tmp_path / "again.trec"), "--setting", str(tmp_path / "tuned.trec.json")],
                           capture_output=True, text=True)
    assert again.returncode == 0 and (tmp_path / "again.trec").read_text() == out.read_text()


def test_a_malformed_run_is_a_file_line_error(tmp_path, runs):
    runs[1].write_text("q1 Q0 d3 1 high b\n")
    with pytest.raises(CspladeError, match=r"b\.trec:1: score 'high' is not a number"):
        fuse(runs, tmp_path / "x.trec", Fusion())
