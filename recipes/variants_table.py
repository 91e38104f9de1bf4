"""The variants table of recipes/variants.sh: variant x start -> dev and test, the paper's ordering beside it.

    python recipes/variants_table.py WORK VARIANT...

Reads, for every variant name given (``causal``, ``echo-raw``...): WORK/<name>/train/best/best.json (the
dev curve's best step, at the training's document length), WORK/<name>/dev-doc-LENGTH.json (that checkpoint
on dev at the inference length) and WORK/<name>/quickstart/report.json (SciFact test, from
recipes/quickstart.sh); prints one Markdown table with the paper's dev MRR@10 (Table 1, MS MARCO) at 1B and
8B for the ordering.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from csplade_pyserini.evaluate.tables import markdown_table

PAPER = {"causal": ("38.2", "39.5"), "echo": ("38.8", "40.8"), "bi": ("40.4", "41.3")}  # dev MRR@10, 1B / 8B


def row(work: Path, name: str) -> list[str]:
    """One variant's row; a variant whose training or test run has not finished says so in its cells."""
    variant, _, raw = name.partition("-")
    start, paper = "raw" if raw else "adapted", PAPER.get(variant, ("–", "–"))
    dev_files = sorted((work / name).glob("dev-doc-*.json"))  # written once the training has finished
    if not dev_files:
        return [variant, start, "not trained yet", *["–"] * 7, *paper]
    best = json.loads((work / name / "train" / "best" / "best.json").read_text())
    trained = json.loads((work / name / "train" / "best" / "csplade_config.json").read_text())["doc_max_length"]
    (dev_file,) = dev_files
    report_file = work / name / "quickstart" / "report.json"
    length = dev_file.stem.removeprefix("dev-doc-")
    dev = json.loads(dev_file.read_text())
    dev_cells = [f"{best['dev_ndcg10']:.4f} (step {best['step']}, {trained})", f"{dev['dev_ndcg10']:.4f} ({length})"]
    if not report_file.is_file():
        return [variant, start, *dev_cells, "not run yet", *["–"] * 5, *paper]
    report = json.loads(report_file.read_text())
    csplade = report["runs"][0]
    docs = csplade.get("documents") or 0
    seconds = csplade.get("encode_seconds") or 0
    return [variant, start, *dev_cells,
            f"{csplade['scores']['nDCG@10']:.4f}", f"{csplade['scores']['R@100']:.4f}",
            f"{csplade['doc_terms']:.1f}", f"{csplade['query_terms']:.1f}",
            f"{csplade['index_bytes'] / 1e6:.1f} MB", f"{docs / seconds:.2f}" if seconds else "–",
            *paper]


def main() -> None:
    work, names = Path(sys.argv[1]), sys.argv[2:]
    header = ["variant", "start", "dev nDCG@10 (best step, doc tokens)",
              "dev nDCG@10 (doc tokens)", "test nDCG@10", "test R@100", "terms/doc",
              "terms/query", "index", "encode docs/s", "paper dev MRR@10 1B", "paper 8B"]
    print(markdown_table(header, [row(work, name) for name in names]))


if __name__ == "__main__":
    main()
