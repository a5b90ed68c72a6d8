"""The shape of the code: data flows one way between obsql's packages, and DuckDB is opened in one place."""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import obsql

PACKAGE = Path(obsql.__file__).parent


def _modules() -> dict[str, ast.Module]:
    """Every module of obsql by dotted name, parsed."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(("obsql", *path.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(".__init__")
        found[name] = ast.parse(path.read_text(encoding="utf-8"))
    return found


def _imported(tree: ast.Module) -> set[str]:
    """The obsql modules a module imports anywhere in its body, at the top or inside a function."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("obsql"):
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names if alias.name.startswith("obsql"))
    return names


def _unit(module: str) -> str:
    """The part of obsql a module belongs to: its package (obsql.engine) or, at the top, itself (obsql.result)."""
    return ".".join(module.split(".")[:2])


def _package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for module, tree in _modules().items():
        for target in _imported(tree):
            if _unit(target) not in (_unit(module), "obsql"):
                graph[_unit(module)].add(_unit(target))
    return graph


def _cycle_through(start: str, graph: dict[str, set[str]]) -> list[str] | None:
    stack = [(start, [start])]
    while stack:
        node, path = stack.pop()
        for following in graph.get(node, ()):
            if following == start:
                return path + [start]
            if following not in path:
                stack.append((following, path + [following]))
    return None


def test_no_package_imports_one_that_imports_it_back():
    graph = _package_graph()
    cycles = [cycle for cycle in (_cycle_through(unit, graph) for unit in sorted(graph)) if cycle]
    assert not cycles, "import cycles between packages: " + "; ".join(" -> ".join(c) for c in cycles)


def test_result_is_a_leaf():
    assert _imported(_modules()["obsql.result"]) == set()


def test_only_the_store_reader_opens_duckdb():
    opening = sorted(module for module, tree in _modules().items()
                     if any(isinstance(node, ast.Attribute) and node.attr == "connect"
                            and isinstance(node.value, ast.Name) and node.value.id == "duckdb"
                            for node in ast.walk(tree)))
    assert opening == ["obsql.storage.reader"]
