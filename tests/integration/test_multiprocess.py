"""Several processes through accelerate's launcher on the CPU (torchrun, gloo): the code a multi-GPU run
takes, on a tiny model. Two processes train exactly like one process on the same global batch, resume
after a kill to the uninterrupted result, write their outputs once, and encode a corpus in shards that
equal one process's export and index as one collection."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from conftest import write_toy  # noqa: E402  (the unit tier's toy retrieval set)

PY = sys.executable


def csplade(processes: int, *args: str) -> list[str]:
    """The command line of ``csplade ARGS`` on ``processes`` CPU processes."""
    if processes == 1:
        return [PY, "-m", "csplade_pyserini", *args]
    return [PY, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", str(processes),
            "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
            "--main_process_port", "0", "-m", "csplade_pyserini", *args]


def run(processes: int, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(csplade(processes, *args), capture_output=True, text=True, timeout=600,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    if check and result.returncode:
        pytest.fail(f"exit {result.returncode}:\n{result.stderr[-3000:]}")
    return result


def metrics(output: Path) -> list[dict]:
    return [json.loads(line) for line in (output / "metrics.jsonl").read_text().splitlines()]


def adapter(output: Path) -> dict[str, torch.Tensor]:
    return load_file(str(output / "adapter" / "adapter_model.safetensors"))


@pytest.fixture(scope="module")
def toy(tmp_path_factory) -> dict[str, Path]:
    return write_toy(tmp_path_factory.mktemp("toy"))


def train_args(model: Path, toy: dict[str, Path], output: Path, batch_size: int) -> list[str]:
    """Three steps, float32, no dropout, FLOPS on, a dev set evaluated at every step."""
    return ["train", "--model", str(model), "--queries", str(toy["queries"]), "--corpus", str(toy["corpus"]),
            "--qrels", str(toy["qrels"]), "--hard-negatives", str(toy["run"]), "--output-dir", str(output),
            "--steps", "3", "--batch-size", str(batch_size), "--negatives", "2", "--cross-device-negatives",
            "--lora-r", "4", "--lora-dropout", "0", "--learning-rate", "1e-3", "--warmup-steps", "0",
            "--query-max-length", "12", "--doc-max-length", "24", "--lambda-q", "1e-3", "--lambda-d", "1e-3",
            "--flops-warmup", "0", "--cpu", "--mixed-precision", "no", "--log-every", "1",
            "--save-every", "1", "--keep-checkpoints", "0", "--dev-topics", str(toy["queries"]),
            "--dev-qrels", str(toy["qrels"]), "--dev-corpus", str(toy["corpus"]), "--dev-every", "1"]


def test_two_processes_train_like_one_process_on_the_global_batch(tiny_dir, toy, tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    run(1, *train_args(tiny_dir, toy, one, batch_size=4))
    run(2, *train_args(tiny_dir, toy, two, batch_size=2))  # 2 x 2 queries: the same global batch

    single, double = metrics(one), metrics(two)
    assert [m["step"] for m in double] == [0, 1, 2, 3]  # one writer: each step logged once
    for a, b in zip(single[1:], double[1:]):
        # every process scores the global batch; DDP's averaged gradient is the global batch's gradient
        assert b["loss"] == pytest.approx(a["loss"], rel=1e-5)
        assert b["flops_d"] == pytest.approx(a["flops_d"], rel=1e-5)
        assert b["grad_norm"] == pytest.approx(a["grad_norm"], rel=1e-4)
    assert double[0]["dev_ndcg10"] == pytest.approx(single[0]["dev_ndcg10"])
    a, b = adapter(one), adapter(two)
    assert a.keys() == b.keys()
    assert max((a[k] - b[k]).abs().max().item() for k in a) < 1e-5

    # the main process alone wrote the dev runs, best/, the checkpoints and the exports
    assert sorted(p.name for p in (two / "dev").iterdir()) == [f"run-{s:06d}.trec" for s in range(4)]
    assert (two / "best" / "best.json").is_file() and (two / "final" / "csplade_config.json").is_file()
    state = json.loads((two / "checkpoint-3" / "trainer_state.json").read_text())
    assert state == {"step": 3, "total_steps": 3, "processes": 2}
    assert not list(two.glob(".checkpoint-*"))

    # a checkpoint of two processes merges into the model of one
    run(1, "merge", str(one / "checkpoint-3"), "--output", str(tmp_path / "merged-one"))
    run(1, "merge", str(two / "checkpoint-3"), "--output", str(tmp_path / "merged-two"))
    from csplade_pyserini.loading.load import load_model

    texts = ["the lazy dog sleeps", "proteins regulate cell death"]
    x = load_model(str(tmp_path / "merged-one"), dtype="float32").weights(texts, "doc")
    y = load_model(str(tmp_path / "merged-two"), dtype="float32").weights(texts, "doc")
    assert torch.allclose(x, y, atol=1e-4)


def adapt_args(model: Path, corpus: Path, output: Path, *extra: str) -> list[str]:
    return ["adapt", "--model", str(model), "--corpus", str(corpus), "--output-dir", str(output),
            "--steps", "16", "--seq-length", "24", "--batch-size", "2", "--lora-r", "4", "--lora-dropout", "0",
            "--cpu", "--mixed-precision", "no", "--loss-chunk-size", "16", "--probe-every", "0",
            "--log-every", "1", "--save-every", "1", "--keep-checkpoints", "2", *extra]


def test_a_killed_two_process_adaptation_resumes_to_the_uninterrupted_result(tiny_dir, toy, tmp_path):
    reference, killed = tmp_path / "reference", tmp_path / "killed"
    run(2, *adapt_args(tiny_dir, toy["corpus"], reference))

    process = subprocess.Popen(csplade(2, *adapt_args(tiny_dir, toy["corpus"], killed)), start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, "OMP_NUM_THREADS": "1"})
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None and not any(
            int(p.name.split("-")[1]) >= 4 for p in killed.glob("checkpoint-*")):
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)  # the launcher and both workers, mid-run
    process.wait()
    assert not (killed / "final").exists(), "the run ended before it could be killed"
    _wait_for_the_lock(killed)  # the workers die a moment after the launcher: then the kernel frees their lock

    refused = run(1, *adapt_args(tiny_dir, toy["corpus"], killed, "--resume"), check=False)
    assert refused.returncode == 2
    assert "trained by 2 process(es); resume it with 2, not 1" in refused.stderr.strip().splitlines()[-1]

    run(2, *adapt_args(tiny_dir, toy["corpus"], killed, "--resume"))
    a, b = adapter(reference), adapter(killed)
    assert max((a[k] - b[k]).abs().max().item() for k in a) < 1e-6  # same batches, same optimizer state
    assert [m["step"] for m in metrics(killed)] == list(range(1, 17))
    for x, y in zip(metrics(reference), metrics(killed)):
        assert y["loss"] == pytest.approx(x["loss"], rel=1e-5)


def _wait_for_the_lock(output: Path, seconds: float = 30) -> None:
    from csplade_pyserini.errors import CspladeError
    from csplade_pyserini.formats.files import exclusive

    deadline = time.monotonic() + seconds
    while True:
        try:
            with exclusive(output, "a training run"):
                return
        except CspladeError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_a_launcher_encodes_one_shard_per_process_like_one_process(tiny_dir, toy, tmp_path):
    args = ["--encoder", str(tiny_dir), "--corpus", str(toy["corpus"]), "--dtype", "float32", "--batch-size", "3"]
    run(1, "encode", *args, "--output", str(tmp_path / "one"))
    run(2, "encode", *args, "--output", str(tmp_path / "two"))
    shards = sorted((tmp_path / "two" / "vectors").iterdir())
    assert [p.name for p in shards] == ["part-00000-of-00002.jsonl", "part-00001-of-00002.jsonl"]

    def lines(export: Path) -> list[str]:
        return sorted(line for p in (export / "vectors").iterdir() for line in p.read_text().splitlines())

    assert lines(tmp_path / "two") == lines(tmp_path / "one")  # byte-identical after sorting
    run(2, "encode", *args, "--output", str(tmp_path / "two"))  # each shard is found finished
    assert lines(tmp_path / "two") == lines(tmp_path / "one")
    clash = run(2, "encode", *args, "--output", str(tmp_path / "three"), "--shard-num", "2", check=False)
    assert clash.returncode != 0 and "come from the launcher (2 processes)" in clash.stderr

    indexed = run(1, "index", str(tmp_path / "two"), str(tmp_path / "index"))
    assert "8 documents indexed" in indexed.stdout + indexed.stderr


def test_launches_that_would_run_something_else_are_refused(tiny_dir, toy, tmp_path):
    single = [PY, "-m", "accelerate.commands.launch", "--cpu", "--num_processes", "2", "-m", "csplade_pyserini",
              "adapt", "--model", str(tiny_dir), "--corpus", str(toy["corpus"]), "--output-dir",
              str(tmp_path / "out"), "--steps", "1"]
    result = subprocess.run(single, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0 and "starts one process without MPI" in result.stderr
    assert not (tmp_path / "out").exists()


def test_fsdp2_shards_the_lora_model_over_cpu_processes_with_one_process_gradients(tiny_dir, tmp_path):
    """accelerate enables its FSDP plugin on GPU processes only; torch's FSDP2, which that plugin applies,
    runs on CPU processes: sharded over two, the LoRA gradients are those of one process on the batch."""
    script = str(Path(__file__).with_name("fsdp_step.py"))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run([PY, script, str(tiny_dir), str(tmp_path / "one.safetensors")], check=True, env=env,
                   capture_output=True, timeout=300)
    result = subprocess.run([PY, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                             script, str(tiny_dir), str(tmp_path / "two.safetensors")], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    one, two = load_file(str(tmp_path / "one.safetensors")), load_file(str(tmp_path / "two.safetensors"))
    assert one.keys() == two.keys() and len(one) == 28  # every LoRA A and B of the tiny model
    scale = max(g.abs().max().item() for g in one.values())
    assert scale > 0 and max((one[k] - two[k]).abs().max().item() for k in one) < 1e-5 * scale
