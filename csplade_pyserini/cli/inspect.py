"""``csplade inspect``: show the top terms a text is expanded into, with their weights."""
from __future__ import annotations

import argparse

from .common import add_model_options, load_from_args


def register(commands) -> None:
    parser = commands.add_parser("inspect", help="print a text's top terms and weights", description=__doc__)
    parser.add_argument("texts", nargs="+", help="one or more texts")
    parser.add_argument("--side", choices=("query", "doc"), default="query")
    parser.add_argument("--top", type=int, default=20, help="terms to show per text")
    add_model_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    model = load_from_args(args)
    scale = model.config.weight_scale
    for text, (ids, weights) in zip(args.texts, model.encode(args.texts, args.side)):
        print(f"{args.side}: {text}")
        print(f"  {len(ids)} non-zero terms")
        for token_id, weight in list(zip(ids, weights))[: args.top]:
            shown = model.tokenizer.decode([token_id])
            print(f"  {model.vocabulary.term(token_id):<24} {weight:8.4f} {round(weight * scale):>6}  {shown!r}")
    return 0
