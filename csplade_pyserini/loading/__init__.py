"""What a name means: presets, packaged base models, precision, and loading a :class:`CspladeModel`.

``from csplade_pyserini.loading import load_model`` imports torch only when it is first used, so that
the import-light parts (presets, the Pyserini start-up hook) stay light.
"""

__all__ = ["load_model", "parse_device"]


def __getattr__(name: str):
    if name in __all__:
        from . import load

        return getattr(load, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
