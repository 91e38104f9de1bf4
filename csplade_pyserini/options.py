"""The one way settings become command-line flags: a dataclass, its fields' metadata, and a config file.

Every command's settings are a dataclass whose fields are declared with :func:`option` (default + help,
optionally ``choices``, ``flags`` (aliases) and ``none`` (a word that means None in a list, e.g.
``model``)). :func:`add_arguments` turns the fields into flags (``lora_r`` -> ``--lora-r``) plus
``--config FILE``; :func:`from_args` resolves defaults < the JSON/YAML/TOML file < flags given on the
command line; :func:`build` checks types (one line naming the source and the field) and calls the
dataclass's ``validate()``. Saved configs reload through :func:`build` too.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import tomllib
import typing
from pathlib import Path
from typing import Any, TypeVar

from .errors import CspladeError

T = TypeVar("T")


def option(default: Any, help: str, **metadata: Any) -> Any:
    """A dataclass field with its help text (and ``choices``, ``flags``, ``none``, ``positional``)."""
    if isinstance(default, list):
        return dataclasses.field(default_factory=lambda: list(default), metadata={"help": help, **metadata})
    return dataclasses.field(default=default, metadata={"help": help, **metadata})


# -- types -------------------------------------------------------------------------------------------------
def _unwrap(hint: Any) -> tuple[Any, bool]:
    """(the type without ``| None``, whether None is allowed)."""
    args = typing.get_args(hint)
    if type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return (rest[0] if len(rest) == 1 else typing.Union[tuple(rest)]), True
    return hint, False


def _coerce(value: Any, hint: Any, where: str) -> Any:
    base, optional = _unwrap(hint)
    if value is None:
        if optional:
            return None
        raise CspladeError(f"{where} may not be null")
    if typing.get_origin(base) is list:
        (item,) = typing.get_args(base) or (str,)
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, list):
            raise CspladeError(f"{where} must be a list, got {value!r}")
        return [_coerce(v, item, where) for v in value]
    if base is bool:
        if not isinstance(value, bool):
            raise CspladeError(f"{where} must be true or false, got {value!r}")
        return value
    if base is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise CspladeError(f"{where} must be a finite number, got {value!r}")
        return float(value)
    if base is int:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise CspladeError(f"{where} must be an integer, got {value!r}")
        return value
    if base is str:
        if not isinstance(value, str):
            raise CspladeError(f"{where} must be a string, got {value!r}")
        return value
    return value


def read_config_file(path: str | Path) -> dict[str, Any]:
    """A JSON, YAML or TOML mapping of field names to values."""
    path = Path(path)
    if not path.is_file():
        raise CspladeError(f"{path}: no such config file")
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        elif path.suffix == ".toml":
            data = tomllib.loads(text)
        else:
            data = json.loads(text)
    except Exception as exc:  # noqa: BLE001 - any parser error becomes one line naming the file
        raise CspladeError(f"{path}: cannot parse config: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise CspladeError(f"{path}: a config file must hold a mapping of field names to values")
    return data


def build(cls: type[T], values: dict[str, Any], source: str = "config") -> T:
    """``cls(**values)`` with unknown fields and wrong types as one line naming ``source``, validated."""
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(values) - known)
    if unknown:
        raise CspladeError(f"{source}: unknown field(s) {', '.join(unknown)}")
    checked = {name: _coerce(value, hints[name], f"{source}: field {name!r}") for name, value in values.items()}
    for item in dataclasses.fields(cls):  # type: ignore[arg-type]
        choices = item.metadata.get("choices")
        given = checked.get(item.name)
        if choices and given is not None and any(v not in choices for v in _items(given)):
            raise CspladeError(f"{source}: {item.name} must be one of {', '.join(map(str, choices))}, "
                               f"got {given!r}")
    try:
        config = cls(**checked)
    except CspladeError as exc:
        raise CspladeError(f"{source}: {exc}") from None
    validate = getattr(config, "validate", None)
    if validate is not None:
        try:
            validate()
        except CspladeError as exc:
            if str(exc).startswith(source):
                raise
            raise CspladeError(f"{source}: {exc}") from None
    return config


def _items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def load_json(cls: type[T], path: str | Path) -> T:
    """A dataclass saved as JSON (a resolved config), checked like a config file."""
    path = Path(path)
    if not path.is_file():
        raise CspladeError(f"{path}: no such file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CspladeError(f"{path}: invalid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise CspladeError(f"{path}: expected a JSON object of fields")
    return build(cls, data, str(path))


# -- flags ----------------------------------------------------------------------------------------------------
def _converter(kind: Any, none_word: str | None, flag: str):
    def convert(text: str) -> Any:
        if none_word is not None and text == none_word:
            return None
        if kind is str:
            return text
        try:
            return kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid {kind.__name__} value: {text!r}") from None
    convert.__name__ = getattr(kind, "__name__", "value")
    return convert


def add_arguments(parser: argparse.ArgumentParser, cls: type, config_flag: bool = True) -> None:
    """One flag per field of ``cls`` (``--config FILE`` too); flags not given stay out of the namespace."""
    if config_flag:
        parser.add_argument("--config", help="JSON, YAML or TOML file of these settings (flags override it)")
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        meta = f.metadata
        if meta.get("hidden"):
            continue
        base, optional = _unwrap(hints[f.name])
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        help_text = meta.get("help", "")
        if default not in (None, "", []) or base is bool:
            help_text += f" (default: {default!r})"
        kwargs: dict[str, Any] = {"help": help_text.replace("%", "%%"), "default": argparse.SUPPRESS}
        if meta.get("positional"):
            names: list[str] = [f.name]
            if meta.get("nargs"):
                kwargs["nargs"] = meta["nargs"]
        else:
            names = [*meta.get("flags", ()), "--" + f.name.replace("_", "-")]
            kwargs["dest"] = f.name
        if base is bool:
            parser.add_argument(*names, action=argparse.BooleanOptionalAction, **kwargs)
            continue
        if typing.get_origin(base) is list:
            item, item_optional = _unwrap((typing.get_args(base) or (str,))[0])
            kwargs["nargs"] = "+"
            kwargs["type"] = _converter(item, meta.get("none") if item_optional else None, names[-1])
        else:
            kwargs["type"] = _converter(base, meta.get("none") if optional else None, names[-1])
        if meta.get("choices"):
            kwargs["choices"] = meta["choices"]
        if meta.get("metavar"):
            kwargs["metavar"] = meta["metavar"]
        parser.add_argument(*names, **kwargs)


def given(cls: type, args: argparse.Namespace) -> dict[str, Any]:
    """The fields of ``cls`` set on the command line."""
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in vars(args).items() if k in names}


def from_args(cls: type[T], args: argparse.Namespace, **defaults: Any) -> T:
    """Defaults (``defaults`` over the dataclass's) < ``--config`` file < flags given on the command line."""
    values: dict[str, Any] = dict(defaults)
    source = "command line"
    if getattr(args, "config", None):
        values.update(read_config_file(args.config))
        source = str(args.config)
    values.update(given(cls, args))
    return build(cls, values, source)


def to_dict(config: Any) -> dict[str, Any]:
    return dataclasses.asdict(config)
