"""``import csplade_pyserini``: the public names, imported lazily, a version and a real docstring."""
import subprocess
import sys
import types
from pathlib import Path

import pytest

import csplade_pyserini

PUBLIC = {"CspladeConfig": "core.config", "CspladeModel": "core.model", "load_model": "loading.load",
          "CspladeQueryEncoder": "plugin.encoders", "CspladeDocumentEncoder": "plugin.encoders"}


def run_python(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip()


def test_the_package_says_what_it_is():
    doc = csplade_pyserini.__doc__
    assert doc and len(doc) > 500
    assert "train -> encode -> export -> index -> search -> evaluate" in doc
    for package in ("core", "loading", "formats", "teach", "train", "encode", "index", "search", "evaluate",
                    "plugin", "bench", "cli"):
        assert f":mod:`.{package}`" in doc
        assert (Path(csplade_pyserini.__file__).parent / package).is_dir()


def test_version():
    from importlib import metadata

    try:
        expected = metadata.version("csplade-pyserini")
    except metadata.PackageNotFoundError:
        expected = "0.1.0"
    assert csplade_pyserini.__version__ == expected
    assert csplade_pyserini.__version__.count(".") >= 2


def test_public_names_are_the_defining_modules_objects():
    import importlib

    assert set(csplade_pyserini.__all__) == {*PUBLIC, "__version__"}
    assert set(PUBLIC) <= set(dir(csplade_pyserini))
    for name, module in PUBLIC.items():
        if module != "plugin.encoders":  # those import Pyserini: see the next test
            defined = getattr(importlib.import_module(f"csplade_pyserini.{module}"), name)
            assert getattr(csplade_pyserini, name) is defined
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        csplade_pyserini.nothing


def test_encoder_classes_come_from_the_plugin(monkeypatch):
    """Checked on a stand-in module, so the unit tier does not import Pyserini (the plug-in tests do)."""
    import csplade_pyserini.plugin as plugin

    stand_in = types.ModuleType("csplade_pyserini.plugin.encoders")
    stand_in.CspladeQueryEncoder, stand_in.CspladeDocumentEncoder = type("Q", (), {}), type("D", (), {})
    monkeypatch.setitem(sys.modules, stand_in.__name__, stand_in)
    monkeypatch.delattr(plugin, "encoders", raising=False)
    cache = vars(csplade_pyserini)
    for name in ("CspladeQueryEncoder", "CspladeDocumentEncoder"):
        before = cache.pop(name, None)  # a real class cached by an earlier test
        try:
            assert getattr(csplade_pyserini, name) is getattr(stand_in, name)
        finally:
            cache.pop(name, None)
            if before is not None:
                cache[name] = before


def test_import_is_light():
    """No torch, transformers or Pyserini: the start-up hook and ``csplade --help`` stay fast."""
    heavy = ("torch", "transformers", "pyserini", "jnius", "numpy")
    out = run_python(f"import sys, csplade_pyserini; print(sorted(set({heavy!r}) & set(sys.modules)))")
    assert out == "[]"
    out = run_python("import sys; from csplade_pyserini import CspladeConfig, __version__; "
                     "print('torch' in sys.modules, CspladeConfig.__module__)")
    assert out == "False csplade_pyserini.core.config"  # the config is light too
    out = run_python("import sys, csplade_pyserini; csplade_pyserini.CspladeModel; "
                     "print('torch' in sys.modules)")
    assert out == "True"


def test_every_command_module_exists():
    from csplade_pyserini.cli import COMMAND_MODULES

    cli = Path(csplade_pyserini.__file__).parent / "cli"
    assert [name for name in COMMAND_MODULES if not (cli / f"{name}.py").is_file()] == []
