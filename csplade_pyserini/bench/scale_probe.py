"""Child process of ``csplade scale --measure``: real contrastive training steps on the CPU, measured.

``python -m csplade_pyserini.bench.scale_probe '{"model": ..., "queries": 2, "negatives": 3, ...}'`` trains
a LoRA CspladeModel (float32, no autocast) on synthetic texts long enough to be cut at the maximum lengths,
runs one step (AdamW allocates its moments), then measures the second step: its peak resident memory above
the memory in use before it (activations, gradients, vocabulary buffers: what the step allocates and frees)
and its time. JSON on stdout: the measurement and the batch's real shape.
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

WORDS = "protein cell immune response vaccine trial gene expression cancer sparse index model".split()


def write_data(directory: Path, documents: int, words: int) -> dict[str, str]:
    corpus, topics, qrels = directory / "corpus.jsonl", directory / "topics.tsv", directory / "qrels.txt"
    corpus.write_text("".join(json.dumps({"id": f"d{i}", "contents": " ".join(
        WORDS[(i + j) % len(WORDS)] for j in range(words))}) + "\n" for i in range(documents)))
    topics.write_text("".join(f"q{i}\t{' '.join(WORDS[(i + j) % len(WORDS)] for j in range(words))}\n"
                              for i in range(documents)))
    qrels.write_text("".join(f"q{i} 0 d{i} 1\n" for i in range(documents)))
    return {"corpus": str(corpus), "queries": str(topics), "qrels": str(qrels)}


def probe(spec: dict) -> dict:
    import torch

    from ..options import build
    from ..train.config import TrainConfig
    from ..train.contrastive import setup_contrastive
    from .memory_probe import read_peak, reset_peak

    torch.set_num_threads(spec.get("threads", 1))
    with tempfile.TemporaryDirectory() as tmp:
        data = write_data(Path(tmp), 64, 4 * max(spec["query_length"], spec["doc_length"]))
        config = build(TrainConfig, {
            **data, "model": spec["model"], "output_dir": str(Path(tmp) / "run"), "cpu": True,
            "mixed_precision": "no", "model_dtype": "float32", "steps": 3, "batch_size": spec["queries"],
            "negatives": spec["negatives"], "lora_r": spec["lora_r"], "lora_dropout": 0.0, "save_every": 0,
            "query_max_length": spec["query_length"], "doc_max_length": spec["doc_length"],
            "variant": spec["variant"], "gradient_checkpointing": spec["gradient_checkpointing"],
            "warmup_steps": 0, "flops_warmup": 0})
        run = setup_contrastive(config)
        trainer, model = run.trainer, run.trainable.model
        batch = trainer.task.batches.batch(0)
        sides = [model.tokenize(batch.queries, "query"), model.tokenize(batch.docs, "doc")]
        trainer._train_step()
        trainer.step = 1
        before = reset_peak("cpu")
        started = time.perf_counter()
        trainer._train_step()
        seconds = time.perf_counter() - started
        peak = read_peak("cpu") - before
    return {"texts": sum(s.input_ids.shape[0] for s in sides),
            "tokens": sum(s.input_ids.numel() for s in sides),
            "pooled": sum(int(s.pool_mask.sum()) for s in sides),
            "doc_texts": sides[1].input_ids.shape[0], "doc_tokens": sides[1].input_ids.shape[1],
            "doc_pooled": int(sides[1].pool_mask.sum()),
            "lora_parameters": sum(p.numel() for p in run.trainable.trainable_parameters()),
            "peak_bytes": peak, "seconds": seconds}


if __name__ == "__main__":
    print(json.dumps(probe(json.loads(sys.argv[1]))))
