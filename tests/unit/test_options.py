"""The one dataclass -> flags/config-file engine: precedence, types, lists with a None word, errors."""
import argparse
from dataclasses import dataclass

import pytest

from csplade_pyserini import options
from csplade_pyserini.errors import CspladeError
from csplade_pyserini.options import option


@dataclass
class Settings:
    name: str = option("x", "a name")
    size: int = option(3, "a size")
    ratio: float = option(0.5, "a ratio")
    flag: bool = option(False, "a switch")
    cap: int | None = option(None, "an optional cap")
    sizes: list[int | None] = option([1, 2], "sizes ('all' = no limit)", none="all")

    def validate(self) -> None:
        if self.size < 1:
            raise CspladeError(f"size must be >= 1, got {self.size}")


def parse(argv, tmp_path=None):
    parser = argparse.ArgumentParser()
    options.add_arguments(parser, Settings)
    return options.from_args(Settings, parser.parse_args(argv))


def test_defaults_then_file_then_flags(tmp_path):
    assert parse([]) == Settings()
    config = tmp_path / "s.yaml"
    config.write_text("size: 7\nratio: 1\nsizes: [4, null]\n")
    settings = parse(["--config", str(config), "--ratio", "0.25", "--flag", "--sizes", "5", "all"])
    assert settings == Settings(size=7, ratio=0.25, flag=True, sizes=[5, None])
    toml = tmp_path / "s.toml"
    toml.write_text('name = "t"\ncap = 9\n')
    assert parse(["--config", str(toml)]) == Settings(name="t", cap=9)


@pytest.mark.parametrize("content, message", [
    ("size: big\n", "s.yaml: field 'size' must be an integer, got 'big'"),
    ("flag: 1\n", "s.yaml: field 'flag' must be true or false"),
    ("colour: red\n", "s.yaml: unknown field(s) colour"),
    ("size: 0\n", "s.yaml: size must be >= 1, got 0"),
    ("- a list\n", "s.yaml: a config file must hold a mapping"),
    ("size: [\n", "s.yaml: cannot parse config"),
])
def test_bad_config_files_are_one_line_errors(tmp_path, content, message):
    config = tmp_path / "s.yaml"
    config.write_text(content)
    with pytest.raises(CspladeError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        parse(["--config", str(config)])


def test_a_bad_flag_value_is_argparse_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse(["--size", "many"])
    assert exit_info.value.code == 2 and "invalid int value: 'many'" in capsys.readouterr().err


@dataclass
class Chosen:
    side: str = option("doc", "a side", choices=("query", "doc"))
    sides: list[str] = option(["doc"], "sides", choices=("query", "doc"))


def test_choices_hold_for_config_files_as_for_flags(tmp_path):
    assert options.build(Chosen, {"side": "query", "sides": ["query", "doc"]}).side == "query"
    with pytest.raises(CspladeError, match=r"^c.yaml: side must be one of query, doc, got 'banana'$"):
        options.build(Chosen, {"side": "banana"}, "c.yaml")
    with pytest.raises(CspladeError, match="sides must be one of query, doc"):
        options.build(Chosen, {"sides": ["doc", "both"]}, "c.yaml")
