"""The query-side ablation of docs/inference-free.md: one encoder's dev documents, several query sides.

    python recipes/query_sides.py --encoder ENCODER --dev WORK --output OUT.md [--table NAME=DIR ...]

The dev documents (WORK/dev/corpus, ranked for WORK/split/dev-topics.tsv) are encoded once by ENCODER; each
query side is then scored on them exactly as `csplade dev-eval` scores (integer impacts, dot products,
trec_eval): the encoder's own LM queries, each ``--table`` (a query table directory: inference-free), a
uniform table (every token weight 1: what the IDF adds) and the sum of the LM and the first table's vector
scaled to the LM vector's total weight (the team's probe). Prints and writes a Markdown table.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import torch

from csplade_pyserini.core.model import CspladeModel
from csplade_pyserini.core.query_table import QueryTable
from csplade_pyserini.evaluate.tables import markdown_table
from csplade_pyserini.formats.files import write_text
from csplade_pyserini.loading.load import load_model
from csplade_pyserini.train.dev import DevSet, impact_matrix, score_run


def with_table(model: CspladeModel, table: QueryTable) -> CspladeModel:
    return CspladeModel(model.lm, model.tokenizer, model.config.replace(query_encoder="table"), table)


def scaled_sum(lm: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
    """Per query: the LM vector + the table vector scaled to the same total weight (rounded impacts)."""
    lm, table = lm.to_dense(), table.to_dense()
    scale = lm.sum(dim=1, keepdim=True) / table.sum(dim=1, keepdim=True).clamp(min=1)
    return (lm + torch.round(table * scale)).to_sparse()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--encoder", required=True, help="the document encoder (its LM queries are a row)")
    parser.add_argument("--dev", type=Path, required=True, help="recipes/train-doc.sh's WORK")
    parser.add_argument("--table", action="append", default=[], help="NAME=DIR of a query table")
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    dev = DevSet.read(args.dev / "split" / "dev-topics.tsv", args.dev / "split" / "dev-qrels.txt",
                      args.dev / "dev" / "corpus")
    texts = list(dev.queries.values())
    model = load_model(args.encoder, dtype="auto", query_encoder="model")
    model.eval()
    with torch.no_grad():
        docs = impact_matrix(model, dev.doc_texts, "doc", 16)
        lm_queries = CspladeModel(model.lm, model.tokenizer, model.config.replace(query_top_k=64))  # as csplade
        sides = {"LM queries (the encoder's own, ECHO, top 64)": impact_matrix(lm_queries, texts, "query", 16)}
        tables = dict(item.split("=", 1) for item in args.table)
        for name, directory in tables.items():
            sides[f"table: {name}"] = impact_matrix(with_table(model, QueryTable.load(directory)), texts, "query", 16)
        uniform = QueryTable(torch.ones(len(model.vocabulary)))
        sides["table: uniform (every token 1)"] = impact_matrix(with_table(model, uniform), texts, "query", 16)
        first = f"table: {next(iter(tables))}"
        sides[f"LM queries + {first[7:]} (scaled to the LM's total weight)"] = scaled_sum(
            sides["LM queries (the encoder's own, ECHO, top 64)"], sides[first])
    rows = []
    for number, (name, queries) in enumerate(sides.items()):
        metrics = score_run(docs, queries.coalesce(), dev, args.output.with_name(f"{args.output.stem}-{number}.trec"))
        rows.append([name, f"{metrics['dev_ndcg10']:.4f}", f"{metrics['dev_r100']:.2f}",
                     f"{metrics['dev_q_terms']:.1f}"])
    table = markdown_table(["query side", "dev nDCG@10", "R@100", "terms/query"], rows)
    write_text(args.output, f"Documents: {args.encoder} ({docs.shape[0]} dev documents)\n\n{table}\n")
    print(table)


if __name__ == "__main__":
    main()
