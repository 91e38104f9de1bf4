"""Encoding throughput of chunked pooling against the naive path and against the limit.

* ``limit``: the LM forward to hidden states plus one vocabulary projection of every position, no
  pooling at all (no encoder can be faster);
* ``naive``: full ``[B, L, V]`` logits, then log1p-relu and the masked max (:func:`naive_max_pool`);
* ``chunked@c``: :func:`chunked_max_pool` with ``c`` positions per chunk (what ``CspladeModel`` runs).

The three paths differ only after the LM forward, so each repetition runs the forward once and then
every pooling path on its hidden states, in a rotating order; a path's time is that forward's time
plus its own. Inputs are synthetic documents built by the model's own :class:`InputBuilder`, exactly
``length`` tokens per copy (ECHO: two copies, the second pooled); tokenisation is not timed.
"""
from __future__ import annotations

import random
from typing import Any, Callable

import torch
from tqdm import tqdm

from ..core.config import VARIANTS
from ..core.model import CspladeModel
from ..core.pooling import chunked_max_pool, naive_max_pool
from .timing import median, timed

GOAL_OF_LIMIT = 0.95
WORDS = ("protein cell gene expression tumour patients trial dose response immune infection vaccine "
         "antibody receptor signal pathway mutation cancer risk cohort study effect mice tissue blood "
         "level increase decrease therapy outcome clinical evidence analysis model sample data").split()


def synthetic_texts(count: int, words: int, seed: int = 0) -> list[str]:
    """``count`` different texts of ``words`` words (each word is at least one token)."""
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(words)) for _ in range(count)]


def ordered_variants(variants: list[str]) -> list[str]:
    """In the library's order (causal, echo, bi)."""
    return [v for v in VARIANTS if v in variants]


def pooling_paths(model: CspladeModel, pool_mask: torch.Tensor,
                  chunk_sizes: list[int]) -> dict[str, Callable[[torch.Tensor], torch.Tensor]]:
    paths: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
        "limit": model.logits,
        "naive": lambda hidden: naive_max_pool(hidden, pool_mask, model.logits) * model.allowed,
    }
    for chunk in chunk_sizes:
        paths[f"chunked@{chunk}"] = (lambda hidden, c=chunk:
                                     chunked_max_pool(hidden, pool_mask, model.logits, c) * model.allowed)
    return paths


def measure_config(model: CspladeModel, texts: list[str], repetitions: int,
                   chunk_sizes: list[int]) -> dict[str, Any]:
    """Time the LM forward and each pooling path on one batch; seconds per repetition."""
    device = str(model.device)
    inputs = model.tokenize(texts, "doc")
    paths = pooling_paths(model, inputs.pool_mask, chunk_sizes)
    names = list(paths)
    backbone: list[float] = []
    pooling: dict[str, list[float]] = {name: [] for name in names}
    with torch.inference_mode():
        hidden = model.hidden_states(inputs)  # warm-up
        outputs = {name: paths[name](hidden) for name in names}
        reference = outputs["naive"]
        max_diff = max(float((outputs[n] - reference).abs().max()) for n in names if n.startswith("chunked"))
        del outputs
        for rep in range(repetitions):
            seconds, hidden = timed(lambda: model.hidden_states(inputs), device)
            backbone.append(seconds)
            for name in names[rep % len(names):] + names[: rep % len(names)]:
                pooling[name].append(timed(lambda path=paths[name], states=hidden: path(states), device)[0])
    return {"tokens": inputs.num_tokens, "length": int(inputs.input_ids.shape[1]), "backbone_s": backbone,
            "pooling_s": pooling, "max_abs_diff_vs_naive": max_diff}


def summarize(variant: str, batch: int, length: int, raw: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per path: medians of end-to-end seconds (forward + pooling), docs/s, tokens/s, ratios."""
    rows = []
    total = {name: [forward + pool for forward, pool in zip(raw["backbone_s"], times, strict=True)]
             for name, times in raw["pooling_s"].items()}
    seconds = {name: median(values) for name, values in total.items()}
    for name, value in seconds.items():
        rows.append({
            "variant": variant, "batch": batch, "length": length, "input_length": raw["length"],
            "tokens": raw["tokens"], "path": name, "seconds": value, "forward_s": median(raw["backbone_s"]),
            "pooling_s": median(raw["pooling_s"][name]), "docs_per_s": batch / value,
            "tokens_per_s": raw["tokens"] / value,
            "speed_vs_limit": seconds["limit"] / value, "speed_vs_naive": seconds["naive"] / value,
            "repetitions_s": total[name],
        })
    return rows


def run_throughput(model_loader: Callable[[], CspladeModel], variants: list[str], batch_sizes: list[int],
                   lengths: list[int], chunk_sizes: list[int | None], repetitions: int,
                   seed: int = 0) -> dict[str, Any]:
    """The throughput grid; ``model_loader`` returns the model loaded as ``causal``."""
    base = model_loader()
    chunks = sorted({c or base.config.pool_chunk_size for c in chunk_sizes})
    rows: list[dict[str, Any]] = []
    diffs = []
    grid = [(v, b, n) for v in ordered_variants(variants) for n in lengths for b in batch_sizes]
    for variant, batch, length in tqdm(grid, desc="throughput", unit="config"):
        config = base.config.replace(variant=variant, query_variant=None, query_encoder="model", doc_max_length=length)
        model = CspladeModel(base.lm, base.tokenizer, config)
        raw = measure_config(model, synthetic_texts(batch, 2 * length, seed), repetitions, chunks)
        diffs.append(raw["max_abs_diff_vs_naive"])
        rows.extend(summarize(variant, batch, length, raw))
    goal = goal_summary(rows, base.config.pool_chunk_size)
    result = {"rows": rows, "chunk_sizes": chunks, "model_chunk_size": base.config.pool_chunk_size,
              "max_abs_diff_vs_naive": max(diffs), "goal_of_limit": GOAL_OF_LIMIT, "goal": goal}
    if not (goal["limit_goal_met"] and goal["naive_goal_met"]):  # show where the time goes
        worst = goal["worst"]
        config = base.config.replace(variant=worst["variant"], query_variant=None, query_encoder="model",
                                     doc_max_length=worst["length"])
        model = CspladeModel(base.lm, base.tokenizer, config)
        texts = synthetic_texts(worst["batch"], 2 * worst["length"], seed)
        result["profile"] = {**worst, "ops": profile_pooling(model, texts, base.config.pool_chunk_size)}
    return result


def profile_pooling(model: CspladeModel, texts: list[str], chunk: int, top: int = 6) -> dict[str, list]:
    """The most expensive operators (self time, ms) of one call of each pooling path: where time goes."""
    from torch.profiler import ProfilerActivity, profile

    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if model.device.type == "cuda" else [])
    inputs = model.tokenize(texts, "doc")
    paths = pooling_paths(model, inputs.pool_mask, [chunk])
    result = {}
    with torch.inference_mode():
        hidden = model.hidden_states(inputs)
        for name, path in paths.items():
            path(hidden)
            with profile(activities=activities) as prof:
                path(hidden)
            events = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)[:top]
            result[name] = [{"op": e.key, "calls": e.count, "self_ms": round(e.self_cpu_time_total / 1000, 2)}
                            for e in events]
    return result


def goal_summary(rows: list[dict[str, Any]], chunk: int) -> dict[str, Any]:
    """Is chunked pooling (at the model's chunk size) >= 0.95x the limit and never slower than naive?"""
    ours = [r for r in rows if r["path"] == f"chunked@{chunk}"]
    worst_limit = min(ours, key=lambda r: r["speed_vs_limit"])
    worst_naive = min(ours, key=lambda r: r["speed_vs_naive"])
    return {
        "path": f"chunked@{chunk}",
        "min_speed_vs_limit": worst_limit["speed_vs_limit"],
        "min_speed_vs_naive": worst_naive["speed_vs_naive"],
        "limit_goal_met": worst_limit["speed_vs_limit"] >= GOAL_OF_LIMIT,
        "naive_goal_met": worst_naive["speed_vs_naive"] >= 1.0,
        "configs_below_limit_goal": sum(r["speed_vs_limit"] < GOAL_OF_LIMIT for r in ours),
        "configs_slower_than_naive": sum(r["speed_vs_naive"] < 1.0 for r in ours),
        "configs": len(ours),
        "worst": {k: worst_limit[k] for k in ("variant", "batch", "length")},
    }
