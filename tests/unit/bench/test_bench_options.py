"""``csplade bench``'s flags come from BenchConfig's fields (the options engine): every flag name the tests
and recipes use still works, ``--smoke`` means BenchConfig.smoke_test's sizes, and ``--config`` files work."""
import argparse
import json
import sys

import pytest

from csplade_pyserini.bench.config import BenchConfig
from csplade_pyserini.cli import bench
from csplade_pyserini.errors import CspladeError


def parse(argv):
    parser = argparse.ArgumentParser(prog="csplade")
    bench.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["bench", *map(str, argv)])
    return bench.bench_config(args), args


def test_no_flags_are_the_full_defaults():
    config, args = parse(["--model", "m"])
    assert config == BenchConfig.full(model="m")
    assert args.output == "bench.json" and args.workdir is None


def test_smoke_is_the_smoke_test_sizes_and_flags_still_apply():
    assert parse(["--smoke", "--model", "m"])[0] == BenchConfig.smoke_test(model="m")
    config, _ = parse(["--smoke", "--encoder", "m", "--docs", "7", "--prune-k", "all", "8"])
    assert config == BenchConfig.smoke_test(model="m", docs=7, prune_k=[None, 8])


def test_every_flag_name_maps_to_its_field():
    config, args = parse([
        "--encoder", "dir", "--dataset", "beir/nfcorpus/test", "--device", "cuda:1", "--dtype", "float32",
        "--threads", "2", "--repetitions", "5", "--seed", "3", "--batch-size", "4",
        "--parts", "memory", "retrieval", "--variants", "bi", "--batch-sizes", "2", "--lengths", "64",
        "--chunk-sizes", "model", "16", "--memory-vocabs", "model", "1000", "--memory-lengths", "8",
        "--memory-batch", "3", "--memory-hidden", "16", "--docs", "9", "--queries", "8", "--doc-length", "7",
        "--latency-queries", "6", "--prune-k", "all", "4", "--quant-docs", "5", "--quant-queries", "4",
        "--precisions", "float32", "torch-int8", "--coarse-scale", "2.5", "--output", "out/b.json",
        "--workdir", "work"])
    assert config == BenchConfig(
        model="dir", dataset="beir/nfcorpus/test", device="cuda:1", dtype="float32", threads=2, repetitions=5,
        seed=3, batch_size=4, families=["memory", "retrieval"], variants=["bi"], batch_sizes=[2],
        lengths=[64], chunk_sizes=[None, 16], memory_vocabs=[None, 1000], memory_lengths=[8], memory_batch=3,
        memory_hidden=16, docs=9, queries=8, doc_length=7, latency_queries=6, prune_k=[None, 4], quant_docs=5,
        quant_queries=4, precisions=["float32", "torch-int8"], coarse_scale=2.5)
    assert (args.output, args.workdir) == ("out/b.json", "work")
    assert parse(["--model", "m", "--families", "memory"])[0].families == ["memory"]


def test_config_file_under_flags_and_smoke_from_the_file(tmp_path):
    path = tmp_path / "bench.json"
    path.write_text(json.dumps({"smoke": True, "docs": 11, "queries": 5, "prune_k": [None, 2]}))
    config, _ = parse(["--config", path, "--model", "m", "--queries", "4"])
    assert config == BenchConfig.smoke_test(model="m", docs=11, queries=4, prune_k=[None, 2])
    assert parse(["--config", path, "--model", "m", "--no-smoke"])[0] == BenchConfig(
        model="m", docs=11, queries=5, prune_k=[None, 2])


def test_bad_values_are_one_line_errors(tmp_path):
    with pytest.raises(CspladeError, match=r"^command line: unknown benchmark part\(s\) speed; choose from "):
        parse(["--model", "m", "--parts", "speed"])
    with pytest.raises(CspladeError, match=r"unknown precision\(s\) fp8"):
        parse(["--model", "m", "--precisions", "fp8"])
    path = tmp_path / "bench.yaml"
    path.write_text("docs: many\n")
    with pytest.raises(CspladeError, match="bench.yaml: field 'docs' must be an integer, got 'many'"):
        parse(["--config", path, "--model", "m"])


def test_the_flags_do_not_import_torch():
    import subprocess

    code = ("import argparse, sys; from csplade_pyserini.cli import bench; "
            "bench.register(argparse.ArgumentParser().add_subparsers()); print('torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
