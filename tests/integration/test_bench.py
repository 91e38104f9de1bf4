"""``csplade bench --smoke`` end to end on a tiny model and SciFact: structure and consistency of the
table and JSON. Nothing here asserts a time; memory assertions are about sizes, which are exact."""
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from csplade_pyserini.loading.quantization import METHODS

REPO = Path(__file__).resolve().parents[2]
VARIANTS = ("causal", "echo", "bi")


def csplade(*args):
    return subprocess.run([sys.executable, "-m", "csplade_pyserini", *map(str, args)], capture_output=True,
                          text=True)


@pytest.fixture(scope="module")
def bench(tiny_dir, irds_home, tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    result = csplade("bench", "--smoke", "--model", tiny_dir, "--output", out / "bench.json")
    assert result.returncode == 0, result.stderr[-3000:]
    return result, json.loads((out / "bench.json").read_text()), out


def test_table_is_printed_and_written_next_to_the_json(bench):
    result, data, out = bench
    table = (out / "bench.md").read_text()
    assert table.strip() in result.stdout
    for heading in ("## 1. Encoding throughput", "## 2. Peak memory", "## 3. Sparsity and index size",
                    "## 4. Search latency", "## 5. Quantization", "### 5b. Impact weights"):
        assert heading in table
    meta = data["meta"]
    assert meta["machine"]["cores"] >= 1 and meta["machine"]["torch_threads"] >= 1
    assert meta["machine"]["cpu"] and meta["machine"]["torch"]
    assert meta["dataset"] == "beir/scifact/test" and meta["mode"] == "smoke"
    assert meta["config"]["repetitions"] == 3
    for text in (meta["machine"]["cpu"], f"torch {meta['machine']['torch_threads']}", meta["model"],
                 "median of 3 repetitions"):
        assert text in table


def test_throughput_rows_are_consistent(bench):
    _, data, _ = bench
    throughput = data["throughput"]
    paths = {"limit", "naive", "chunked@8", "chunked@32"}
    assert throughput["chunk_sizes"] == [8, 32] and throughput["model_chunk_size"] == 32
    rows = throughput["rows"]
    assert len(rows) == len(VARIANTS) * 2 * 2 * len(paths)
    assert throughput["max_abs_diff_vs_naive"] < 1e-4  # chunked pooling computes exactly the naive weights
    groups = {}
    for row in rows:
        groups.setdefault((row["variant"], row["batch"], row["length"]), {})[row["path"]] = row
    assert set(groups) == {(v, b, n) for v in VARIANTS for b in (1, 2) for n in (16, 32)}
    for (variant, batch, length), by_path in groups.items():
        assert set(by_path) == paths
        for row in by_path.values():
            assert len(row["repetitions_s"]) == 3 and min(row["repetitions_s"]) > 0
            assert row["seconds"] == pytest.approx(statistics.median(row["repetitions_s"]))
            assert row["docs_per_s"] == pytest.approx(batch / row["seconds"])
            assert row["tokens_per_s"] == pytest.approx(row["tokens"] / row["seconds"])
            assert row["speed_vs_limit"] == pytest.approx(by_path["limit"]["seconds"] / row["seconds"])
            assert row["speed_vs_naive"] == pytest.approx(by_path["naive"]["seconds"] / row["seconds"])
        tokens = by_path["limit"]["tokens"]
        if variant == "echo":  # the text twice: ~2 x length per document
            assert 2 * batch * (length - 2) < tokens <= 2 * batch * length + batch
        else:
            assert tokens == batch * length
    goal = throughput["goal"]
    assert goal["path"] == "chunked@32" and goal["configs"] == 12
    assert goal["limit_goal_met"] == (goal["min_speed_vs_limit"] >= 0.95)
    assert ("profile" in throughput) == (not (goal["limit_goal_met"] and goal["naive_goal_met"]))


def test_memory_of_chunked_pooling_does_not_grow_with_length(bench):
    _, data, _ = bench
    rows = {(r["vocab"], r["length"], r["method"]): r for r in data["memory"]["rows"]}
    assert set(rows) == {(v, n, m) for v in (32000, 128256) for n in (32, 128) for m in ("chunked", "naive")}
    big = 128256
    # naive: [B, L, V] logits, so 4x the length is ~4x the memory; ours: [B, chunk, V], flat in length
    assert rows[(big, 128, "naive")]["peak_mib"] > 3 * rows[(big, 32, "naive")]["peak_mib"]
    assert rows[(big, 128, "chunked")]["peak_mib"] < 1.5 * rows[(big, 32, "chunked")]["peak_mib"]
    assert rows[(big, 128, "chunked")]["peak_mib"] > rows[(32000, 128, "chunked")]["peak_mib"]  # grows with V
    assert rows[(big, 128, "chunked")]["naive_over_this"] > 2
    for row in rows.values():
        assert row["peak_mib"] > 0 and len(row["repetitions_mib"]) == 3
        assert row["peak_mib"] >= 0.9 * row["logits_mib"]  # the logits it must hold are really counted


def test_sparsity_index_sizes_and_search(bench):
    _, data, out = bench
    retrieval = data["retrieval"]
    subset = retrieval["subset"]
    assert subset["docs"] == 40 and 1 <= subset["queries"] <= 12
    assert subset["docs"] == subset["relevant_docs"] + subset["sampled_docs"]
    sparsity = retrieval["sparsity"]
    for side in ("doc_terms", "query_terms"):
        assert 0 < sparsity[side]["min"] <= sparsity[side]["median"] <= sparsity[side]["max"]
    assert all(v > 0 for v in retrieval["sizes"].values())
    bm25 = retrieval["bm25"]
    assert 0 < bm25["ndcg@10"] <= 1 and bm25["queries_per_s"] > 0
    pruning = {row["top_k"]: row for row in retrieval["pruning"]}
    assert set(pruning) == {None, 16}
    assert pruning[16]["query_terms_mean"] <= 16 < pruning[None]["query_terms_mean"]
    assert pruning[None]["ndcg@10"] == retrieval["impacts"][0]["ndcg@10"]
    for row in pruning.values():
        assert 0 <= row["ndcg@10"] <= 1 and row["queries_per_s"] > 0
        assert row["speed_vs_bm25"] == pytest.approx(row["queries_per_s"] / bm25["queries_per_s"])
    assert retrieval["query_encoding"]["ms_per_query"] > 0 and retrieval["encode"]["docs_per_s"] > 0
    default, eight_bit, four_bit, coarse = retrieval["impacts"]
    assert eight_bit["max_impact"] == 255 and four_bit["max_impact"] == 15
    assert coarse["max_impact"] < default["max_impact"]
    run_lines = (out / "bench-work" / "retrieval" / "runs" / "bm25.txt").read_text().splitlines()
    assert len(run_lines) > 0 and len(run_lines[0].split()) == 6


def test_quantization_rows(bench):
    _, data, _ = bench
    rows = {row["precision"]: row for row in data["quantization"]["rows"]}
    assert list(rows) == ["float32", "bfloat16", *METHODS]
    assert not rows["torchao-int4wo"]["measured"] and "mslk" in rows["torchao-int4wo"]["reason"]  # no CPU kernel
    for name in ("float32", "bfloat16", "torch-int8", "bnb-int8", "torchao-int8wo", "torchao-int8dq"):
        row = rows[name]
        assert row["measured"] and row["docs_per_s"] > 0 and 0 <= row["ndcg@10"] <= 1
        assert row["speed_vs_bf16"] == pytest.approx(row["docs_per_s"] / rows["bfloat16"]["docs_per_s"])
    assert rows["float32"]["memory_vs_bf16"] == pytest.approx(2.0, abs=0.02)
    assert rows["torch-int8"]["weights_mib"] < rows["float32"]["weights_mib"]
    assert all(row["reason"].startswith("--dtype") for row in rows.values() if not row["measured"])
    main = data["meta"]["precision"]  # auto: bfloat16 on a CPU with native bf16, else float32
    assert rows[main]["ndcg@10"] == data["retrieval"]["impacts"][0]["ndcg@10"]  # same subset, same model


def test_bad_options_are_one_line_errors(tiny_dir, tmp_path):
    result = csplade("bench", "--smoke", "--model", tiny_dir, "--parts", "speed",
                     "--output", tmp_path / "b.json")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "csplade bench: error: command line: unknown benchmark part(s) speed; "
        "choose from throughput, memory, retrieval, quantization")
    assert not (tmp_path / "b.json").exists()


def test_throughput_grid_runs_every_variant_for_a_model_with_echo_queries(tmp_path):
    """The default preset has ECHO queries over causal documents; the grid must still run `bi`."""
    from csplade_pyserini.bench.throughput import run_throughput
    from csplade_pyserini.loading.load import load_model
    from csplade_pyserini.loading.tiny import save_tiny

    directory = save_tiny(tmp_path / "echo-queries", query_variant="echo")
    result = run_throughput(lambda: load_model(str(directory)), ["causal", "echo", "bi"], [1], [16], [None],
                            repetitions=1)
    assert {row["variant"] for row in result["rows"]} == {"causal", "echo", "bi"}


def test_the_gpu_check_runs_in_smoke_mode_on_the_cpu(tmp_path):
    """recipes/gpu-check.sh's script: every part runs (its numbers only mean something on a GPU)."""
    output = tmp_path / "gpu.json"
    result = subprocess.run(["bash", str(REPO / "recipes" / "gpu-check.sh"), "--smoke", "--device", "cpu"],
                            capture_output=True, text=True, env={**os.environ, "PY": sys.executable,
                                                                 "OUTPUT": str(output)})
    assert result.returncode == 0, result.stderr[-3000:]
    data = json.loads(output.read_text())
    assert {row["variant"] for row in data["throughput"]} == {"causal", "echo", "bi"}
    methods = {row["method"]: row for row in data["quantization"]}
    assert set(methods) == {"bfloat16", *METHODS}
    assert all("not_run" in row or row["cosine_to_bf16"] > 0.9 for row in methods.values())
    assert "| method | docs/s |" in output.with_suffix(".md").read_text()


def test_the_scale_probe_measures_a_real_training_step(tiny_dir):
    from csplade_pyserini.cli.scale import measure

    result = measure({"model": str(tiny_dir), "queries": 2, "negatives": 1, "query_length": 8, "doc_length": 16,
                      "variant": "echo", "gradient_checkpointing": True, "lora_r": 4}, threads=1)
    assert result["texts"] == 2 + 2 * 2 and result["doc_texts"] == 4
    assert result["doc_tokens"] >= 2 * 16 - 2  # ECHO: the text twice
    assert result["peak_bytes"] > 0 and result["seconds"] > 0 and result["lora_parameters"] > 0
