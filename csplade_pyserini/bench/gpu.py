"""The GPU check: one short run that needs only the working tree (no hub, no data set, no weights).

    python -m csplade_pyserini.bench.gpu --output docs/bench-gpu.json [--device cuda] [--smoke]

On a random Llama of SmolLM2-135M's shape (config only: 30 layers, hidden 576, 49,152-term vocabulary,
tied head) it measures, in bf16:

* the model core's throughput (documents and tokens per second) for causal, echo and bi inputs;
* peak memory (``torch.cuda.max_memory_allocated``) of chunked against naive pooling, for SmolLM2's and a
  Llama-3 (128,256-term) vocabulary;
* every quantization method of ``--dtype`` (bitsandbytes, torchao, torch): weight memory, throughput,
  and the cosine of its vectors to bf16's, or the library's reason when it cannot run.

``--smoke`` shrinks everything (a 2-layer, 64-wide model; seconds on a CPU) to check the script itself.
"""
from __future__ import annotations

import argparse
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

import torch

from ..core.config import CspladeConfig
from ..core.inputs import EncoderInputs
from ..core.model import CspladeModel
from ..core.pooling import chunked_max_pool, naive_max_pool
from ..errors import CspladeError
from ..evaluate.tables import markdown_table
from ..formats.files import write_json, write_text
from ..loading.quantization import METHODS, quantize
from ..loading.tiny import build_tokenizer

SMOLLM2 = dict(hidden_size=576, intermediate_size=1536, num_hidden_layers=30, num_attention_heads=9,
               num_key_value_heads=3, vocab_size=49152, tie_word_embeddings=True)
SMOKE = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
             num_key_value_heads=2, vocab_size=2048, tie_word_embeddings=True)
LLAMA3_VOCAB = 128256


def random_lm(shape: dict[str, int], device: str, dtype: torch.dtype = torch.bfloat16):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    return LlamaForCausalLM(LlamaConfig(max_position_embeddings=4096, **shape)).to(device=device, dtype=dtype).eval()


def encoder(lm, variant: str) -> CspladeModel:
    return CspladeModel(lm, build_tokenizer(), CspladeConfig(variant=variant, doc_top_k=None, pool_chunk_size=128))


def random_inputs(batch: int, length: int, vocab: int, device: str) -> EncoderInputs:
    ids = torch.randint(0, vocab, (batch, length), device=device)
    real = torch.ones(batch, length, dtype=torch.bool, device=device)
    pooled = real.clone()
    pooled[:, 0] = False
    return EncoderInputs(ids, real, pooled)


def synchronize(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize(device)


def seconds(fn, device: str, repetitions: int) -> float:
    """Median wall time of ``fn`` after one warm-up."""
    fn()
    times = []
    for _ in range(repetitions):
        synchronize(device)
        start = time.perf_counter()
        fn()
        synchronize(device)
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


@torch.inference_mode()
def throughput(lm, device: str, batches: list[int], lengths: list[int], repetitions: int) -> list[dict[str, Any]]:
    rows = []
    vocab = lm.config.vocab_size
    for variant in ("causal", "echo", "bi"):
        model = encoder(lm, variant)
        for length in lengths:
            for batch in batches:
                real = 2 * length if variant == "echo" else length  # ECHO feeds the text twice
                inputs = random_inputs(batch, real, vocab, device)
                took = seconds(lambda: model(inputs), device, repetitions)
                rows.append({"variant": variant, "batch": batch, "length": length, "seconds": took,
                             "docs_per_s": batch / took, "tokens_per_s": batch * real / took})
    return rows


@torch.inference_mode()
def pooling_memory(device: str, hidden: int, vocabs: list[int], lengths: list[int], batch: int) -> list[dict]:
    """Peak memory of chunked and naive pooling over random hidden states and a random head."""
    rows = []
    for vocab in vocabs:
        head = torch.nn.Linear(hidden, vocab, bias=False, device=device, dtype=torch.bfloat16)
        for length in lengths:
            states = torch.randn(batch, length, hidden, device=device, dtype=torch.bfloat16)
            mask = torch.ones(batch, length, dtype=torch.bool, device=device)
            row: dict[str, Any] = {"vocab": vocab, "length": length, "batch": batch}
            for name, pool in (("chunked", partial(chunked_max_pool, states, mask, head, 128)),
                               ("naive", partial(naive_max_pool, states, mask, head))):
                try:
                    row[f"{name}_mib"] = peak_mib(pool, device)
                except torch.OutOfMemoryError:
                    row[f"{name}_mib"] = None
            rows.append(row)
    return rows


def peak_mib(fn, device: str) -> float:
    if not device.startswith("cuda"):
        fn()
        return float("nan")  # peak device memory is a CUDA measurement
    torch.cuda.empty_cache()
    base = torch.cuda.memory_allocated(device)
    torch.cuda.reset_peak_memory_stats(device)
    fn()
    torch.cuda.synchronize(device)
    return (torch.cuda.max_memory_allocated(device) - base) / 2**20


@torch.inference_mode()
def quantization(shape: dict[str, int], device: str, batch: int, length: int, repetitions: int) -> list[dict]:
    """bf16 and every quantization method on the same random model and inputs."""
    inputs = random_inputs(batch, length, shape["vocab_size"], device)
    reference = None
    rows = []
    for method in ("bfloat16", *METHODS):  # one model at a time: each replaces the last (memory)
        row: dict[str, Any] = {"method": method}
        try:
            allocated = torch.cuda.memory_allocated(device) if device.startswith("cuda") else 0
            lm = random_lm(shape, device)
            if method != "bfloat16":
                lm = quantize(lm, method, device, torch.bfloat16)
            model = encoder(lm, "causal")
            weights = model(inputs)
            took = seconds(partial(model, inputs), device, repetitions)
            row.update(docs_per_s=batch / took, weight_mib=weight_mib(lm, device, allocated))
            if reference is None:
                reference = weights
            row["cosine_to_bf16"] = float(torch.nn.functional.cosine_similarity(weights, reference, dim=1).mean())
        except CspladeError as exc:
            row["not_run"] = str(exc)
        rows.append(row)
        if device.startswith("cuda"):
            torch.cuda.empty_cache()
    return rows


def weight_mib(lm, device: str, before: int) -> float:
    if device.startswith("cuda"):
        return (torch.cuda.memory_allocated(device) - before) / 2**20
    seen, total = set(), 0
    for tensor in lm.state_dict().values():
        if isinstance(tensor, torch.Tensor) and tensor.data_ptr() not in seen:
            seen.add(tensor.data_ptr())
            total += tensor.numel() * tensor.element_size()
    return total / 2**20


def render(results: dict[str, Any]) -> str:
    out = [f"# GPU check: {results['device_name']}, torch {results['torch']}, {results['seconds']:.0f} s\n",
           "## Model core throughput (bf16, SmolLM2-135M-shaped random Llama)\n",
           markdown_table(["variant", "batch", "length", "docs/s", "tokens/s"],
                          [[r["variant"], str(r["batch"]), str(r["length"]), f"{r['docs_per_s']:.1f}",
                            f"{r['tokens_per_s']:.0f}"] for r in results["throughput"]]),
           "\n## Pooling peak memory (MiB): chunked (128 positions) vs naive\n",
           markdown_table(["vocab", "length", "batch", "chunked", "naive", "naive / chunked"],
                          [[str(r["vocab"]), str(r["length"]), str(r["batch"]), _mib(r["chunked_mib"]),
                            _mib(r["naive_mib"]), _ratio(r["naive_mib"], r["chunked_mib"])]
                           for r in results["pooling_memory"]]),
           "\n## Quantization (same model and inputs)\n"]
    bf16 = results["quantization"][0]
    rows = []
    for r in results["quantization"]:
        if "not_run" in r:
            rows.append([r["method"], "–", "–", "–", "–", r["not_run"]])
        else:
            rows.append([r["method"], f"{r['docs_per_s']:.1f}", _ratio(r["docs_per_s"], bf16.get("docs_per_s")),
                         _mib(r["weight_mib"]), f"{r['cosine_to_bf16']:.4f}", ""])
    out.append(markdown_table(["method", "docs/s", "vs bf16", "weights MiB", "cosine to bf16", "not run"], rows))
    return "\n".join(out) + "\n"


def _mib(value: float | None) -> str:
    return "OOM" if value is None else "–" if value != value else f"{value:.0f}"


def _ratio(a: float | None, b: float | None) -> str:
    return "–" if not a or not b or a != a or b != b else f"{a / b:.2f}x"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", default="docs/bench-gpu.json", help="JSON results (markdown beside it)")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: check that the script runs")
    args = parser.parse_args(argv)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print("bench.gpu: error: no CUDA device here", file=sys.stderr)
        return 2
    started = time.perf_counter()
    shape = SMOKE if args.smoke else SMOLLM2
    sizes = dict(batches=[2], lengths=[16], repetitions=1) if args.smoke else \
        dict(batches=[16, 64], lengths=[128, 512], repetitions=5)
    lm = random_lm(shape, args.device)
    results: dict[str, Any] = {
        "device": args.device, "torch": torch.__version__, "smoke": args.smoke, "shape": shape,
        "device_name": torch.cuda.get_device_name(args.device) if args.device.startswith("cuda") else "cpu",
        "throughput": throughput(lm, args.device, **sizes)}
    del lm
    vocabs = [shape["vocab_size"]] if args.smoke else [shape["vocab_size"], LLAMA3_VOCAB]
    results["pooling_memory"] = pooling_memory(args.device, shape["hidden_size"], vocabs,
                                               [32] if args.smoke else [128, 512, 2048], 2 if args.smoke else 8)
    results["quantization"] = quantization(shape, args.device, 2 if args.smoke else 32, 16 if args.smoke else 256,
                                           1 if args.smoke else 5)
    results["seconds"] = time.perf_counter() - started
    output = Path(args.output)
    write_json(output, results)
    write_text(output.with_suffix(".md"), render(results))
    print(output.with_suffix(".md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
