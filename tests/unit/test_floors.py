"""The packages form floors that import only downward, even inside functions.

Top to bottom (each floor may import the floors below it, never one above)::

    bench, cli          the commands
    evals               offline evaluations (drives app/)
    app                 HTTP service
    graph               the LangGraph turn
    nlu                 understanding      \\
    knowledge           retrieval           > one floor, ordered nlu -> knowledge -> tools
    tools               actions on backends /
    observability, prompts                  leaves: import neither each other nor above

Inside the nlu/knowledge/tools floor the order is nlu -> knowledge -> tools: nlu may use
the encoder and the store, knowledge may read the store, tools imports neither.
Every import counts: module level, inside functions, under ``TYPE_CHECKING``, and
relative imports once resolved. Product code never imports ``tests``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
RANKS = {
    "bench": 7,
    "cli": 7,
    "evals": 6,
    "app": 5,
    "graph": 4,
    "nlu": 3,
    "knowledge": 2,
    "tools": 1,
    "observability": 0,
    "prompts": 0,
}
"""Higher imports lower; equal ranks are separate packages that must not import each other."""


def _module_of(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported(tree: ast.AST, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the tree, relative ones resolved."""
    found: list[tuple[int, str]] = []
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.append((node.lineno, name))
    return found


def _edges() -> list[tuple[str, int, str]]:
    """(file, line, imported module) for every import between two of our packages."""
    edges = []
    for top in RANKS:
        for path in sorted((ROOT / top).rglob("*.py")):
            module = _module_of(path)
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for line, name in _imported(tree, module, path.name == "__init__.py"):
                target = name.split(".")[0]
                if target in RANKS or target == "tests":
                    edges.append((str(path.relative_to(ROOT)), line, name))
    return edges


def _offending(edges: list[tuple[str, int, str]]) -> list[str]:
    bad = []
    for file, line, name in edges:
        source, target = file.split("/")[0], name.split(".")[0]
        if target == "tests":
            bad.append(f"{file}:{line} -> {name}  (product code imports tests/)")
        elif source != target and RANKS[target] >= RANKS[source]:
            way = "sideways" if RANKS[target] == RANKS[source] else "upward"
            bad.append(f"{file}:{line} -> {name}  ({way}: {source} imports {target})")
    return bad


def test_floors_import_only_downward() -> None:
    edges = _edges()
    assert edges, "found no imports between the packages: is ROOT right?"
    bad = _offending(edges)
    if bad:
        pytest.fail("imports that break the floors:\n  " + "\n  ".join(bad), pytrace=False)


def test_floors_check_catches_upward_and_tests_imports() -> None:
    bad = _offending(
        [
            ("knowledge/x.py", 3, "app.settings"),
            ("observability/x.py", 4, "prompts"),
            ("tools/x.py", 5, "tests.fakes"),
            ("cli/x.py", 6, "knowledge.retrieval"),
            ("nlu/x.py", 7, "nlu.model"),
        ]
    )
    assert bad == [
        "knowledge/x.py:3 -> app.settings  (upward: knowledge imports app)",
        "observability/x.py:4 -> prompts  (sideways: observability imports prompts)",
        "tools/x.py:5 -> tests.fakes  (product code imports tests/)",
    ]


def test_floors_resolve_relative_imports() -> None:
    tree = ast.parse("from . import a\nfrom ..store import b\nfrom .c import d\n")
    assert _imported(tree, "tools.policy.rules", is_package=False) == [
        (1, "tools.policy"),
        (2, "tools.store"),
        (3, "tools.policy.c"),
    ]
