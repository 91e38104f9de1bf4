"""``csplade inspect``: show the top terms a text is expanded into, with their weights."""
from __future__ import annotations

from dataclasses import dataclass

from .. import options
from ..core.config import SIDES
from ..options import option
from .common import EncoderOptions, at_least


@dataclass
class InspectSettings(EncoderOptions):
    texts: list[str] = option([], "one or more texts", positional=True, nargs="+")
    side: str = option("query", "encode the texts as queries or as documents", choices=SIDES)
    top: int = option(20, "terms to show per text")

    def validate(self) -> None:
        super().validate()
        at_least(self, "top", 1)


def register(commands) -> None:
    parser = commands.add_parser("inspect", help="print a text's top terms and weights", description=__doc__)
    options.add_arguments(parser, InspectSettings)
    parser.set_defaults(run=lambda args: run(options.from_args(InspectSettings, args)))


def run(settings: InspectSettings) -> int:
    model = settings.load()
    scale = model.config.weight_scale
    for text, (ids, weights) in zip(settings.texts, model.encode(settings.texts, settings.side)):
        print(f"{settings.side}: {text}")
        print(f"  {len(ids)} non-zero terms")
        for token_id, weight in list(zip(ids, weights))[: settings.top]:
            shown = model.tokenizer.decode([token_id])
            term = model.vocabulary.term(token_id)
            print(f"  {term:<24} {weight:8.4f} {round(weight * scale):>6}  {shown!r}")
    return 0
