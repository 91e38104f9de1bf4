"""The Pyserini plug-in: encoder classes, the patches of its start-up hook and the ``--encoder`` name resolution.

Import-light on purpose: the start-up hook imports :mod:`.patches` (and the Java runtime) while Pyserini
loads; only :mod:`.encoders` pulls in torch and Pyserini.
"""

ENCODERS = ("CspladeQueryEncoder", "CspladeDocumentEncoder")


def __getattr__(name: str):
    """``from csplade_pyserini.plugin import CspladeQueryEncoder`` without importing torch up front."""
    if name in ENCODERS:
        from . import encoders

        return getattr(encoders, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
