"""csplade-pyserini: CSPLADE learned sparse retrieval on causal LMs, as a Pyserini/Anserini plug-in.

A causal LM becomes a sparse encoder: each text is a vector of ``log(1 + ReLU(logit))`` weights over the
LM's vocabulary, max-pooled over its positions (plain ``causal``, ``echo`` (the text fed twice) or ``bi``
(causal mask removed)), quantised to Lucene impacts and searched by Anserini's impact index, exactly as
Pyserini searches SPLADE. The data flow, one package per step::

    train -> encode -> export -> index -> search -> evaluate

- :mod:`.core`: the model core (``CspladeConfig``, inputs per variant, pooling, ``CspladeModel``, terms and
  impacts, the bidirectional attention switch); no I/O beyond its own config file.
- :mod:`.loading`: what a name means (presets, packaged base models, precision) and :func:`load_model`.
- :mod:`.formats`: the files (corpora, TREC topics/qrels/runs, ir_datasets, vectors, teacher scores) and
  atomic writes.
- :mod:`.teach`: training data for a corpus (pseudo-queries, teacher scores, a dev split).
- :mod:`.train`: adaptation (L_CLM + L_ReLU), contrastive training and distillation, exports, curves.
- :mod:`.encode`: corpora into JsonVectorCollection shards, topics into query vectors.
- :mod:`.index`, :mod:`.search`: Lucene impact / BM25 indexes and search through Pyserini, fusion.
- :mod:`.evaluate`: trec_eval through Pyserini, run reports and Markdown tables.
- :mod:`.runtime`: Java >= 21 and Pyserini's command-line modules in a subprocess (used by index, search,
  evaluate and the plug-in).
- :mod:`.plugin`: the Pyserini encoder classes and the start-up hook's patches (``--encoder csplade``).
- :mod:`.bench`: the performance benchmark; :mod:`.cli`: the ``csplade`` command; :mod:`.options`: the one
  way a settings dataclass becomes flags and ``--config FILE``; :mod:`.launch`: multi-process launches.

Packages import only from lower layers (errors < logs, options, launch < formats < core < loading < encode,
teach < runtime < index, evaluate < search, train < plugin < bench < cli; ``tests/unit/test_import_cycles.py``).

The names below are imported on first use, so ``import csplade_pyserini`` imports neither torch nor
Pyserini (the start-up hook and ``csplade --help`` stay light)::

    from csplade_pyserini import load_model
    model = load_model("csplade")
"""
from __future__ import annotations

from importlib import metadata

try:
    __version__ = metadata.version("csplade-pyserini")
except metadata.PackageNotFoundError:  # a source checkout that was never installed
    __version__ = "0.1.0"

__all__ = ["CspladeConfig", "CspladeModel", "load_model", "CspladeQueryEncoder", "CspladeDocumentEncoder",
           "__version__"]


def __getattr__(name: str):
    """The public names, imported on first use (plain imports, so the import-cycle test sees them)."""
    if name == "CspladeConfig":
        from .core.config import CspladeConfig as value
    elif name == "CspladeModel":
        from .core.model import CspladeModel as value
    elif name == "load_model":
        from .loading.load import load_model as value
    elif name in ("CspladeQueryEncoder", "CspladeDocumentEncoder"):
        from .plugin import encoders

        value = getattr(encoders, name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
