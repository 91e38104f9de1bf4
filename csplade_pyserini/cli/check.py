"""``csplade check``: compare a report's scores with a recipe's expected scores (recipes/expected.yaml)."""
from __future__ import annotations

import sys
from dataclasses import dataclass

from .. import options
from ..options import option


@dataclass
class CheckSettings:
    report: str = option("", "a report JSON (csplade report --json; the recipes write report.json)")
    recipe: str = option("", "the recipe's name in the expected-scores file, e.g. quickstart")
    expected: str = option("recipes/expected.yaml", "the expected-scores file")
    mode: str = option("full", "full (the real run) or smoke (SMOKE=1)", choices=("full", "smoke"))

    def validate(self) -> None:
        from ..errors import CspladeError

        if not self.report or not self.recipe:
            raise CspladeError("--report and --recipe are required")


def register(commands) -> None:
    parser = commands.add_parser("check", help="compare a report with a recipe's expected scores",
                                 description=__doc__)
    options.add_arguments(parser, CheckSettings)
    parser.set_defaults(run=lambda args: run(options.from_args(CheckSettings, args)))


def run(settings: CheckSettings) -> int:
    from ..errors import CspladeError
    from ..evaluate.expected import check, load_expected

    lines = check(settings.report, load_expected(settings.expected, settings.recipe, settings.mode))
    print("\n".join(lines))
    failed = sum(line.startswith("MISMATCH") for line in lines)
    if failed:
        raise CspladeError(f"{failed} of {len(lines)} scores differ from {settings.expected} "
                           f"({settings.recipe}, {settings.mode})")
    print(f"all {len(lines)} scores as expected ({settings.recipe}, {settings.mode})", file=sys.stderr)
    return 0
