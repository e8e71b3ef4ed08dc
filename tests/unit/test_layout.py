"""The layout holds: no import cycle, no tool folder importing another, small product modules.

Imports are read with `ast` (every import statement, also inside functions and TYPE_CHECKING
blocks), so the check sees what a reader of the code sees, not only what runs.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from components.config import PROJECT_ROOT

PRODUCT = ("components", "offline_plan", "policy", "verify", "adopt", "rehearsal", "sandbox")
TOOLS = ("offline_plan", "policy", "verify", "adopt", "sandbox", "bench")
MAX_LINES = 400


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _python_files(*folders: str) -> Iterator[Path]:
    for folder in folders:
        yield from sorted((PROJECT_ROOT / folder).rglob("*.py"))


MODULES = {_module_name(p): p for p in _python_files(*PRODUCT, "bench")}
MODULES["__main__"] = PROJECT_ROOT / "__main__.py"


def _imports(module: str, path: Path) -> set[str]:
    """Project modules that `module` imports, resolved to the most specific known module."""
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [f"{base}.{a.name}" for a in node.names] + [base]
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
                break
    return found


GRAPH = {m: _imports(m, p) for m, p in MODULES.items()}


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    return found


def test_the_graph_reads_real_imports() -> None:
    # A guard for the checks below: they pass vacuously if no edge is resolved.
    assert "components.config" in GRAPH["__main__"]
    assert "components.query_engine.pg_hba" in GRAPH["policy.guardrails"]
    assert "components.immuta.client" in GRAPH["components.immuta.provider"]  # a lazy import


def test_no_import_cycle() -> None:
    assert _cycles() == []


@pytest.mark.parametrize("tool", TOOLS)
def test_a_tool_never_imports_another_tool(tool: str) -> None:
    others = {t for t in TOOLS if t != tool}
    offending = {
        f"{m} -> {dep}"
        for m, deps in GRAPH.items()
        if m.split(".")[0] == tool
        for dep in deps
        if dep.split(".")[0] in others
    }
    assert offending == set()


def test_product_code_imports_no_tool_and_no_test() -> None:
    offending = {
        f"{m} -> {dep}"
        for m, deps in GRAPH.items()
        if m.split(".")[0] in ("components", "__main__")
        for dep in deps
        if dep.split(".")[0] in (*TOOLS, "rehearsal")
    }
    assert offending == set()
    for path in _python_files("components", "rehearsal", *TOOLS[:-1]):
        assert "from tests" not in path.read_text(), path


@pytest.mark.parametrize("module", sorted(m for m in MODULES if not m.startswith("bench")))
def test_every_product_module_is_under_the_size_limit(module: str) -> None:
    lines = len(MODULES[module].read_text().splitlines())
    assert lines < MAX_LINES, f"{module}: {lines} lines"


def test_test_helpers_live_in_tests_support() -> None:
    for path in (PROJECT_ROOT / "tests").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.endswith("conftest"), path
