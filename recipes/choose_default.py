"""Choose the default `csplade` encoder on dev among the trained presets, at the default's encoding cost.

    python recipes/choose_default.py RUN --budget TOKENS --output OUT/choice.json [--variants WORK]
    python recipes/choose_default.py --previous encoders/csplade.json --doc WORK --output OUT/choice.json

Candidates: csplade-mixed (RUN: recipes/adapt-corpus.sh's own training, RUN/inference.json: its dev nDCG@10
per document length) and every variant of recipes/variants.sh in WORK (WORK/VARIANT: the best checkpoint's
dev nDCG@10 at its training length, train/best/best.json, and at the inference length, dev-doc-LENGTH.json).
A candidate's encoding cost is the encoder's input tokens per document: the document length, twice it for
ECHO documents (the text is read twice). The default is the best on dev among the candidates whose cost is
at most TOKENS (the quickstart's budget; ties go to the cheaper); the others are listed beside it. Prints a
Markdown table, writes the choice (preset, document length, its dev run) as JSON.
With ``--previous`` (the shipped default preset) its recorded candidates and budget compete again, and
``--doc`` adds recipes/train-doc.sh's inference-free csplade-doc (its best dev step, at each length it was
evaluated at).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from csplade_pyserini.evaluate.tables import markdown_table
from csplade_pyserini.formats.files import write_json


def _load(path: Path) -> dict:
    return json.loads(path.read_text())


def candidates(run: Path, work: Path | None) -> list[dict]:
    """One entry per (preset, document length) with a dev score."""
    found = []
    inference = _load(run / "inference.json")
    for length, score in inference["dev_ndcg10_by_doc_length"].items():
        dev_run = run / "dev" / f"step-{inference['step']:06d}-doc-{length}.trec"
        found.append(_entry("csplade-mixed", run / "train" / "best", int(length), score, dev_run))
    folders = sorted(work.iterdir()) if work is not None and work.is_dir() else []
    for folder in (f for f in folders if (f / "train" / "best" / "best.json").is_file()):
        dev_files = sorted(folder.glob("dev-doc-*.json"))  # written once the training has finished
        if folder.name.endswith("-raw") or not dev_files:  # the raw-start controls ship no preset
            continue
        start = _load(folder / "train" / "train_config.json")["model"]
        if not Path(start).exists() or Path(start).resolve() != (run / "adapt" / "adapter").resolve():
            continue  # trained from another adaptation: its dev score says nothing of this one's presets
        best = folder / "train" / "best"
        step = _load(best / "best.json")
        trained = _load(best / "csplade_config.json")["doc_max_length"]
        scores = {trained: (step["dev_ndcg10"], folder / "train" / "dev" / f"run-{step['step']:06d}.trec")}
        for dev in dev_files:
            scores[int(dev.stem.removeprefix("dev-doc-"))] = (_load(dev)["dev_ndcg10"], dev.with_suffix(".trec"))
        for length, (score, dev_run) in sorted(scores.items()):
            found.append(_entry(f"csplade-{folder.name}", best, length, score, dev_run))
    return found


def previous_candidates(preset: Path) -> tuple[list[dict], int]:
    """The candidates (and budget) the shipped default was chosen among, as its preset recorded them."""
    chosen = _load(preset)["metadata"]["chosen_on_dev"]
    return chosen["candidates"], chosen["budget_tokens"]


def doc_candidates(work: Path) -> list[dict]:
    """recipes/train-doc.sh's csplade-doc: the best dev step at its training length and at the other
    inference lengths it was evaluated at (WORK/dev-doc-LENGTH.json)."""
    best = work / "train" / "best"
    step = _load(best / "best.json")
    length = _load(best / "csplade_config.json")["doc_max_length"]
    found = [_entry("csplade-doc", best, length, step["dev_ndcg10"],
                    work / "train" / "dev" / f"run-{step['step']:06d}.trec")]
    for dev in sorted(work.glob("dev-doc-*.json"), key=lambda p: int(p.stem.removeprefix("dev-doc-"))):
        found.append(_entry("csplade-doc", best, int(dev.stem.removeprefix("dev-doc-")),
                            _load(dev)["dev_ndcg10"], dev.with_suffix(".trec")))
    return found


def _entry(preset: str, checkpoint: Path, length: int, score: float, dev_run: Path) -> dict:
    echo_docs = _load(checkpoint / "csplade_config.json").get("variant") == "echo"
    return {"preset": preset, "doc_max_length": length, "input_tokens": length * (2 if echo_docs else 1),
            "dev_ndcg10": score, "dev_run": str(dev_run)}


def choose(found: list[dict], budget: int) -> dict:
    eligible = [c for c in found if c["input_tokens"] <= budget]
    if not eligible:
        raise SystemExit(f"choose_default: no candidate encodes within {budget} tokens per document")
    return max(eligible, key=lambda c: (c["dev_ndcg10"], -c["input_tokens"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path, nargs="?", help="recipes/adapt-corpus.sh's WORK (csplade-mixed)")
    parser.add_argument("--budget", type=int, help="input tokens per document at most (default: --previous's)")
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--variants", type=Path, help="recipes/variants.sh's WORK (none: csplade-mixed only)")
    parser.add_argument("--previous", type=Path, help="the shipped default preset: its candidates compete again")
    parser.add_argument("--doc", type=Path, help="recipes/train-doc.sh's WORK: csplade-doc competes")
    args = parser.parse_args()
    found = candidates(args.run, args.variants) if args.run else []
    if args.previous:
        earlier, budget = previous_candidates(args.previous)
        found += [c for c in earlier if c["preset"] != "csplade-doc"]
        args.budget = args.budget or budget
    if args.doc:
        found += doc_candidates(args.doc)
    if not found or not args.budget:
        raise SystemExit("choose_default: give RUN and --budget, or --previous")
    chosen = choose(found, args.budget)
    write_json(args.output, {**chosen, "budget_tokens": args.budget, "candidates": found})
    rows = [[c["preset"], str(c["doc_max_length"]), str(c["input_tokens"]), f"{c['dev_ndcg10']:.4f}",
             "**default**" if c is chosen else "" if c["input_tokens"] <= args.budget else "over the budget"]
            for c in found]
    print(markdown_table(["preset", "doc tokens", "input tokens", "dev nDCG@10", "choice"], rows))


if __name__ == "__main__":
    main()
