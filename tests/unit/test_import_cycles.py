"""No import cycles in ``csplade_pyserini``, at any depth, and packages in layers: a module imports only
from its own package or from a lower layer. The package's ``__init__`` (the public API, imported lazily) and
``__main__`` stand above all.

Every module is read with :mod:`ast` (nothing is imported): module-level imports and the ones inside
functions and classes, relative ones resolved against the importing module. An import of a package counts
as its ``__init__``; ``from package import name`` counts as the submodule ``package.name`` when there is
one, else as the package. A function-level import hides a cycle from Python but not from this test.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = "csplade_pyserini"
ROOT = Path(__file__).resolve().parents[2] / PACKAGE


def module_files(root: Path = ROOT, package: str = PACKAGE) -> dict[str, Path]:
    """{dotted module name: file}; a package's name maps to its ``__init__.py``."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if "__pycache__" in parts:
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join([package, *parts])] = path
    return modules


def packages_of(modules: dict[str, Path]) -> set[str]:
    """Dotted names of the packages (with an ``__init__.py`` or without: namespace packages)."""
    names = {name for name, path in modules.items() if path.name == "__init__.py"}
    for name in modules:
        parts = name.split(".")
        names.update(".".join(parts[:i]) for i in range(1, len(parts)))
    return names


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    if node.level > 1:
        base = base[:-(node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(module: str, path: Path, known: set[str], packages: set[str]) -> dict[str, int]:
    """{imported module of this package: first line importing it}, at every depth of the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: dict[str, int] = {}

    def add(name: str, line: int) -> None:
        while name and name not in known and name not in packages:  # `import a.b.attr`-like: its module
            name = name.rpartition(".")[0]
        if name and name != module and (name in known or name in packages):
            found.setdefault(name, line)

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == PACKAGE or alias.name.startswith(PACKAGE + "."):
                    add(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, path.name == "__init__.py", node)
            if source != PACKAGE and not source.startswith(PACKAGE + "."):
                continue
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                add(submodule if submodule in known or submodule in packages else source, node.lineno)
    return found


def import_graph() -> tuple[dict[str, dict[str, int]], dict[str, Path]]:
    modules = module_files()
    known, packages = set(modules), packages_of(modules)
    graph = {name: imports_of(name, path, known, packages) for name, path in modules.items()}
    return graph, modules


def find_cycle(graph: dict[str, dict[str, int]]) -> list[str] | None:
    """One cycle as [a, b, ..., a], or None (iterative depth-first search, nodes in sorted order)."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for start in sorted(graph):
        if state.get(start):
            continue
        path, stack = [start], [iter(sorted(graph.get(start, ())))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph.get(nxt, ()))))
    return None


def describe(cycle: list[str], graph: dict[str, dict[str, int]], modules: dict[str, Path]) -> str:
    lines = [" -> ".join(cycle)]
    for source, target in zip(cycle, cycle[1:]):
        path = modules.get(source)
        where = f"{path.relative_to(ROOT.parent)}:{graph[source][target]}" if path else source
        line = graph[source][target]
        text = path.read_text(encoding="utf-8").splitlines()[line - 1].strip() if path else ""
        lines.append(f"  {where}: {text}")
    return "\n".join(lines)


def test_the_walker_sees_the_package():
    graph, modules = import_graph()
    assert f"{PACKAGE}.cli" in modules and f"{PACKAGE}.options" in modules
    assert f"{PACKAGE}.errors" in graph[f"{PACKAGE}.options"]  # `from .errors import CspladeError`
    assert f"{PACKAGE}.bench.config" in graph[f"{PACKAGE}.cli.bench"]  # a function-level import


@pytest.mark.parametrize("edges, cycle", [
    ({"a": {"b": 1}, "b": {"c": 1}, "c": {}}, None),
    ({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}}, ["a", "b", "c", "a"]),
    ({"a": {"b": 1, "c": 1}, "b": {}, "c": {"c2": 1}, "c2": {"c": 1}}, ["c", "c2", "c"]),
])
def test_find_cycle(edges, cycle):
    assert find_cycle(edges) == cycle


def test_relative_imports_resolve(tmp_path):
    root = tmp_path / PACKAGE
    (root / "sub").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "errors.py").write_text("")
    (root / "sub" / "__init__.py").write_text("from .a import x\n")
    (root / "sub" / "a.py").write_text("def f():\n    from .. import errors\n    from ..sub import b\n")
    (root / "sub" / "b.py").write_text(f"import {PACKAGE}.sub.a\nfrom . import helper\n")
    modules = module_files(root)
    known, packages = set(modules), packages_of(modules)
    edges = {name: set(imports_of(name, path, known, packages)) for name, path in modules.items()}
    sub = f"{PACKAGE}.sub"
    assert edges[sub] == {f"{sub}.a"}
    assert edges[f"{sub}.a"] == {f"{PACKAGE}.errors", f"{sub}.b"}
    assert edges[f"{sub}.b"] == {f"{sub}.a", sub}  # `helper` is no module: the package's __init__


def test_no_import_cycles():
    graph, modules = import_graph()
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle:\n" + describe(cycle, graph, modules)


# -- layers -------------------------------------------------------------------------------------------
LAYERS = [
    {"errors"},
    {"logs", "options", "launch"},  # logging, the settings engine, multi-process launches
    {"formats"},  # files: corpora, TREC, vectors, atomic writes
    {"core"},  # the model core
    {"loading"},  # names -> models
    {"encode", "teach"},  # models -> vectors, training data
    {"runtime"},  # Java and Pyserini's modules in a subprocess
    {"index", "evaluate"},  # Anserini/Seismic indexes, trec_eval and reports
    {"search", "train"},
    {"plugin"},  # the Pyserini plug-in
    {"bench"},
    {"cli"},
]
RANK = {package: i for i, layer in enumerate(LAYERS) for package in layer}
TOP = {PACKAGE, f"{PACKAGE}.__main__"}


def package_of(module: str) -> str:
    return module.split(".")[1]


def violations(graph: dict[str, dict[str, int]], modules: dict[str, Path]) -> list[str]:
    """Every import of a package from its own layer or a higher one, FILE:LINE first."""
    found = []
    for source, targets in sorted(graph.items()):
        if source in TOP:
            continue
        for target, line in sorted(targets.items()):
            if target in TOP:
                found.append(f"{source} imports the package root ({target})")
                continue
            low, high = package_of(target), package_of(source)
            if low != high and RANK[low] >= RANK[high]:
                where = modules[source].relative_to(ROOT.parent)
                found.append(f"{where}:{line}: {high} (layer {RANK[high]}) imports {target} "
                             f"(layer {RANK[low]})")
    return found


def test_every_package_has_a_layer():
    _, modules = import_graph()
    packages = {package_of(m) for m in modules if m not in TOP}
    assert packages == set(RANK), f"declare a layer for {sorted(packages - set(RANK))}"


def test_imports_only_go_down_the_layers():
    assert violations(*import_graph()) == []


@pytest.mark.parametrize("low, high", [("formats", "core"), ("index", "plugin"), ("train", "search")])
def test_an_upward_or_sideways_import_would_be_found(low, high):
    graph, modules = import_graph()
    source = next(m for m in sorted(modules) if m.startswith(f"{PACKAGE}.{low}."))
    graph[source][f"{PACKAGE}.{high}"] = 1
    assert any(f"{low} (layer" in v and f"imports {PACKAGE}.{high}" in v for v in violations(graph, modules))
