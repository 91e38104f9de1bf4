"""The benchmark's markdown report, rendered from its JSON results (nothing is computed here)."""
from __future__ import annotations

from typing import Any

from ..evaluate.tables import markdown_table

NA = "—"


def num(value: Any, digits: int = 1) -> str:
    if value is None:
        return NA
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def ratio(value: float | None) -> str:
    return NA if value is None else f"{value:.2f}x"


def table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table ending in a newline (the sections are joined with blank lines)."""
    return markdown_table(header, rows) + "\n"


def header(results: dict[str, Any]) -> str:
    meta = results["meta"]
    machine, config = meta["machine"], meta["config"]
    gpu = f", GPU {machine['gpu']}" if machine.get("gpu") else ""
    features = ", ".join(machine.get("cpu_features") or []) or "no AVX2"
    parts = ", ".join(f"{part} {num(s, 0)} s" for part, s in meta["part_seconds"].items())
    rows = [
        ["machine", f"{machine['cpu']} ({features}), {machine['cores']} cores; "
                    f"device {machine['device']}{gpu}"],
        ["threads", f"torch {machine['torch_threads']}; Lucene search 1 (single thread)"],
        ["software", f"torch {machine['torch']}, transformers {machine['transformers']}, "
                     f"pyserini {machine['pyserini']}, Python {machine['python']}"],
        ["model", f"`{meta['model']}`: {meta['precision']}, variant {meta['variant']}, vocabulary "
                  f"{meta['vocab']:,}, pool_chunk_size {meta['pool_chunk_size']}, "
                  f"weights {num(meta['weights_mib'])} MiB"],
        ["dataset", dataset_line(results)],
        ["method", f"every figure is the median of {meta['repetitions']} repetitions after a warm-up; "
                   f"mode {meta['mode']}; the run took {num(meta['seconds'], 0)} s ({parts})"],
    ]
    text = f"# csplade bench: `{meta['model']}` on `{meta['dataset']}`\n\n"
    if meta["mode"] == "smoke":
        text += "**Smoke mode: tiny sizes; these numbers only show that every part runs.**\n\n"
    text += table(["", ""], rows)
    return text + (f"\nDocuments are cut to {config['doc_length']} tokens for the encoder; "
                   "BM25 indexes the full text.\n")


def subset_text(subset: dict[str, Any]) -> str:
    return (f"{subset['queries']} queries, {subset['docs']:,} documents ({subset['relevant_docs']} relevant "
            f"+ {subset['sampled_docs']} sampled, seed {subset['seed']})")


def dataset_line(results: dict[str, Any]) -> str:
    parts = [f"`{results['meta']['dataset']}`"]
    if "retrieval" in results:
        parts.append(f"retrieval subset: {subset_text(results['retrieval']['subset'])}")
    if "quantization" in results:
        parts.append(f"precision-study subset: {subset_text(results['quantization']['subset'])}")
    return "; ".join(parts)


def met(ok: bool) -> str:
    return "MET" if ok else "**NOT MET**"


def throughput_section(data: dict[str, Any]) -> str:
    rows = [[r["variant"], str(r["batch"]), f"{r['length']} ({r['input_length']})", r["path"],
             num(r["docs_per_s"], 2), num(r["tokens_per_s"], 0), num(r["forward_s"] * 1000, 1),
             num(r["pooling_s"] * 1000, 1), ratio(r["speed_vs_limit"]), ratio(r["speed_vs_naive"])]
            for r in data["rows"]]
    text = ("## 1. Encoding throughput\n\nSynthetic documents of exactly *length* tokens (input length in "
            "brackets: ECHO doubles it); tokenisation not timed. *limit* = LM forward + one vocabulary "
            "projection of every position, no pooling; *naive* = full [B, L, V] logits then "
            "log1p-relu-max; *chunked@c* = ours with c positions per chunk. A path's time is the LM forward "
            "plus its pooling, both measured in the same repetition (the forward is shared).\n\n")
    text += table(["variant", "batch", "length", "path", "docs/s", "tokens/s", "forward ms", "pooling ms",
                   "vs limit", "vs naive"], rows)
    goal, worst = data["goal"], data["goal"]["worst"]
    text += (f"\nGoal for `{goal['path']}` (the model's chunk size): >= {data['goal_of_limit']:.2f}x the "
             f"limit: {met(goal['limit_goal_met'])} (worst {ratio(goal['min_speed_vs_limit'])}, "
             f"{worst['variant']} batch {worst['batch']} length {worst['length']}; "
             f"{goal['configs_below_limit_goal']} of {goal['configs']} configurations below); never slower "
             f"than naive: {met(goal['naive_goal_met'])} (worst {ratio(goal['min_speed_vs_naive'])}; "
             f"{goal['configs_slower_than_naive']} slower). Largest |chunked - naive| weight difference: "
             f"{data['max_abs_diff_vs_naive']:.2e}.\n")
    if "profile" in data:
        profile = data["profile"]
        text += (f"\nProfile of one pooling call ({profile['variant']}, batch {profile['batch']}, length "
                 f"{profile['length']}), top operators by self time:\n\n")
        rows = [[path, op["op"], str(op["calls"]), num(op["self_ms"], 1)]
                for path, ops in profile["ops"].items() for op in ops]
        text += table(["path", "operator", "calls", "self ms"], rows)
    return text


def memory_section(data: dict[str, Any]) -> str:
    rows = [[num(r["vocab"]), str(r["length"]), r["method"], num(r["peak_mib"], 1), num(r["logits_mib"], 1),
             num(r["per_batch_vocab"], 2), num(r["per_batch_length_vocab"], 3), ratio(r["naive_over_this"])]
            for r in data["rows"]]
    batch = data["rows"][0]["batch"] if data["rows"] else NA
    text = (f"## 2. Peak memory of pooling\n\n{data['measure']} above the memory in use before the call, "
            f"one fresh process per row; random hidden states (hidden {data['hidden']}) and LM head, batch "
            f"{batch}, {data['dtype']}, chunk {data['chunk']}. The normalised columns divide the peak "
            f"(bytes) by the bytes of B x V and of B x L x V values: ours stays flat in the first as the "
            f"length grows, the naive path stays flat in the second.\n\n")
    return text + table(["vocab", "length", "method", "peak MiB", "logits MiB", "peak / (B·V)",
                         "peak / (B·L·V)", "naive / this"], rows)


def sparsity_section(data: dict[str, Any]) -> str:
    sparsity, sizes = data["sparsity"], data["sizes"]
    rows = [[name, num(d["mean"], 1), num(d["median"], 1), num(d["min"]), num(d["max"])]
            for name, d in (("terms per document", sparsity["doc_terms"]),
                            ("terms per query", sparsity["query_terms"]))]
    text = (f"## 3. Sparsity and index size\n\nNon-zero impacts at weight_scale {sparsity['weight_scale']:g} "
            f"(doc_top_k {sparsity['doc_top_k']}, query_top_k {sparsity['query_top_k']}).\n\n")
    text += table(["", "mean", "median", "min", "max"], rows)
    bm25 = sizes["bm25_index_mib"]
    size_rows = [[name, num(sizes[key], 2), ratio(sizes[key] / bm25)]
                 for name, key in (("corpus JSONL (BM25 input)", "corpus_mib"),
                                   ("JsonVectorCollection", "collection_mib"),
                                   ("Lucene impact index", "impact_index_mib"),
                                   ("Lucene BM25 index", "bm25_index_mib"))]
    text += "\n" + table(["artefact", "MiB", "vs BM25 index"], size_rows)
    return text + ("\nBoth indexes are built through Pyserini (`csplade index`): impact = "
                   "`--impact --pretokenized`; BM25 = `--storePositions --storeDocvectors --storeRaw`.\n")


def search_section(data: dict[str, Any]) -> str:
    encode, latency, bm25 = data["encode"], data["query_encoding"], data["bm25"]
    text = (f"## 4. Search latency and query pruning\n\nSingle-thread Lucene search, 1,000 hits, queries "
            f"encoded beforehand. Query encoding on its own: {num(latency['ms_per_query'], 1)} ms per query "
            f"(batch 1, {latency['queries']} queries). Document encoding: {num(encode['docs_per_s'], 2)} "
            f"docs/s, {num(encode['tokens_per_s'], 0)} tokens/s (batch {encode['batch_size']}).\n\n")
    rows = [["BM25", NA, num(bm25["queries_per_s"], 0), num(bm25["ms_per_query"], 2), ratio(1.0),
             "— (Lucene analyzer)", num(bm25["ndcg@10"], 4)]]
    for r in data["pruning"]:
        name = "CSPLADE, all terms" if r["top_k"] is None else f"CSPLADE, top {r['top_k']} terms"
        rows.append([name, num(r["query_terms_mean"], 1), num(r["queries_per_s"], 0),
                     num(r["ms_per_query"], 2), ratio(r["speed_vs_bm25"]), num(latency["ms_per_query"], 1),
                     num(r["ndcg@10"], 4)])
    return text + table(["run", "query terms", "queries/s", "search ms/query", "speed vs BM25",
                         "query encoding ms", "nDCG@10"], rows)


def impacts_section(data: dict[str, Any]) -> str:
    rows = [[r["impacts"], num(r["max_impact"]), num(r["collection_mib"], 2), num(r["index_mib"], 2),
             num(r["queries_per_s"], 0), num(r["ndcg@10"], 4)] for r in data["impacts"]]
    return ("\n### 5b. Impact weights (retrieval subset, the same float weights quantised four ways)\n\n"
            + table(["impacts", "max impact", "collection MiB", "index MiB", "queries/s", "nDCG@10"], rows))


def quantization_section(data: dict[str, Any]) -> str:
    rows = []
    for r in data["rows"]:
        if not r["measured"]:
            rows.append([r["precision"], r["reason"]] + [NA] * 6)
            continue
        rows.append([r["precision"], num(r["docs_per_s"], 2), num(r["tokens_per_s"], 0),
                     ratio(r.get("speed_vs_bf16")), num(r["weights_mib"], 1),
                     ratio(r.get("memory_vs_bf16")), num(r["ndcg@10"], 4),
                     num(r.get("ndcg_delta_vs_bf16"), 4)])
    return (f"## 5. Quantization\n\n### 5a. Model precision ({subset_text(data['subset'])})\n\n"
            "Weights = bytes of the model's tensors (GPU: memory allocated by loading); the quantization methods "
            "are those of `--dtype` (the LM head stays in the float dtype); ratios and deltas are against "
            "bfloat16 in this run.\n\n"
            + table(["precision", "docs/s", "tokens/s", "speed vs bf16", "weights MiB", "memory vs bf16",
                     "nDCG@10", "Δ nDCG@10"], rows))


def render(results: dict[str, Any]) -> str:
    parts = [header(results)]
    if "throughput" in results:
        parts.append(throughput_section(results["throughput"]))
    if "memory" in results:
        parts.append(memory_section(results["memory"]))
    if "retrieval" in results:
        parts += [sparsity_section(results["retrieval"]), search_section(results["retrieval"])]
    if "quantization" in results:
        parts.append(quantization_section(results["quantization"]))
    if "retrieval" in results:
        parts.append(impacts_section(results["retrieval"]))
    return "\n".join(parts)
