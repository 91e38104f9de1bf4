"""recipes/choose_default.py: the default is the best preset on dev among those within the encoding budget,
and ECHO documents cost twice their length."""
import json
import subprocess
import sys
from pathlib import Path

RECIPE = Path(__file__).resolve().parents[3] / "recipes" / "choose_default.py"


def _checkpoint(folder: Path, variant: str, trained_length: int, step: int, score: float,
                start: Path | None = None) -> None:
    best = folder / "train" / "best"
    best.mkdir(parents=True)
    if start is not None:  # the model the training started from
        start.mkdir(parents=True, exist_ok=True)
        (folder / "train" / "train_config.json").write_text(json.dumps({"model": str(start)}))
    (best / "csplade_config.json").write_text(json.dumps({"variant": variant, "doc_max_length": trained_length}))
    (best / "best.json").write_text(json.dumps({"step": step, "dev_ndcg10": score}))


def test_echo_documents_cost_twice_and_the_best_within_the_budget_wins(tmp_path):
    run, variants = tmp_path / "adapt-corpus", tmp_path / "variants"
    _checkpoint(run, "causal", 128, 300, 0.63)
    (run / "inference.json").write_text(json.dumps({"step": 300, "doc_max_length": 256,
                                                    "dev_ndcg10_by_doc_length": {"128": 0.63, "256": 0.69}}))
    adaptation = run / "adapt" / "adapter"
    _checkpoint(variants / "echo", "echo", 128, 300, 0.70, start=adaptation)
    (variants / "echo" / "dev-doc-256.json").write_text(json.dumps({"dev_ndcg10": 0.74}))
    _checkpoint(variants / "bi", "bi", 128, 400, 0.56)  # still training: no dev-doc file, not a candidate
    _checkpoint(variants / "causal-raw", "causal", 128, 400, 0.99)  # a raw-start control ships no preset
    (variants / "causal-raw" / "dev-doc-256.json").write_text(json.dumps({"dev_ndcg10": 0.99}))
    _checkpoint(variants / "causal", "causal", 128, 300, 0.99, start=tmp_path / "older-adaptation")
    (variants / "causal" / "dev-doc-256.json").write_text(json.dumps({"dev_ndcg10": 0.99}))  # not this adaptation's
    output = tmp_path / "choice.json"
    table = subprocess.run([sys.executable, str(RECIPE), str(run), "--budget", "256", "--output", str(output),
                            "--variants", str(variants)], capture_output=True, text=True, check=True).stdout
    choice = json.loads(output.read_text())
    assert (choice["preset"], choice["doc_max_length"], choice["input_tokens"]) == ("csplade-echo", 128, 256)
    assert choice["dev_run"].endswith("echo/train/dev/run-000300.trec") and choice["budget_tokens"] == 256
    costs = {(c["preset"], c["doc_max_length"]): c["input_tokens"] for c in choice["candidates"]}
    assert costs == {("csplade-mixed", 128): 128, ("csplade-mixed", 256): 256,
                     ("csplade-echo", 128): 256, ("csplade-echo", 256): 512}
    assert "| csplade-echo | 256 | 512 | 0.7400 | over the budget |" in table
    assert "| csplade-echo | 128 | 256 | 0.7000 | **default** |" in table
    subprocess.run([sys.executable, str(RECIPE), str(run), "--budget", "512", "--output", str(output),
                    "--variants", str(variants)], check=True, capture_output=True)
    assert json.loads(output.read_text())["doc_max_length"] == 256  # a larger budget buys the longer documents
