"""The package's shape stays as CONTRIBUTING.md draws it.

- few modules directly under ``playbook/``; everything else in its layer's subpackage;
- layers import one way: cli -> report/explore/sample -> steps/plots -> workspace -> shared;
- no import cycle;
- modules under 600 lines and functions under 100.

Modules and functions that are still too long are listed below with their size today: they may
shrink (then lower the number, or drop the entry once under the limit) but never grow, and
nothing new may join them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "playbook"
MAX_TOP_LEVEL_MODULES = 14
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 100

#: Layer of each top-level part of the package; a module may import its own layer and below.
LAYERS = {
    "cli": 5,
    "report": 4,
    "explore": 4,
    "sample": 4,
    "steps": 3,
    "plots": 3,
    "workspace": 2,
    "stats": 1,
    "findings": 1,
    "display": 1,
    "i18n": 0,
    "exceptions": 1,
}

#: Modules allowed over the limit, path -> lines (none: every module is within it).
LONG_MODULES = {}

#: Functions allowed over the limit, "path:function" -> lines (none).
LONG_FUNCTIONS = {}


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _imports(tree: ast.Module) -> list[str]:
    """Every ``playbook`` import in the module, at any depth, except under TYPE_CHECKING."""
    names: list[str] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("playbook"):
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.extend(a.name for a in node.names if a.name.startswith("playbook"))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return names


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = _modules()

    def module_of(name: str) -> str:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name

    edges = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        targets = {module_of(imported) for imported in _imports(tree)}
        # importing a package's own ancestors is implicit in Python: not an edge
        edges[name] = {t for t in targets if t and t != name and not name.startswith(t + ".")}
    return edges


def _cycles(edges: dict[str, set[str]]) -> set[tuple[str, ...]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: set[tuple[str, ...]] = set()

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.add(tuple(sorted(component)))

    for node in sorted(edges):
        if node not in index:
            connect(node)
    return found


def _layer(module: str) -> int:
    part = module.split(".")[1] if "." in module else ""
    if part.startswith("i18n_"):  # a step's strings, merged into the one table
        part = "i18n"
    # the package root re-exports the public API: it may import anything
    return LAYERS.get(part, 5 if part == "" else 99)


def test_few_modules_sit_directly_in_the_package() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top
    undeclared = [
        name for name in top if _layer(f"playbook.{name[:-3]}") == 99 and name != "__init__.py"
    ]
    assert not undeclared, (
        f"give these a layer in LAYERS or move them into a subpackage: {undeclared}"
    )
    folders = sorted(
        p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()
    )
    assert set(folders) <= set(LAYERS), folders


def test_no_import_cycle(graph) -> None:
    assert _cycles(graph) == set(), "import cycle(s): move what both sides need below them"


def test_layers_import_one_way(graph) -> None:
    wrong = {
        (importer, imported)
        for importer, targets in graph.items()
        for imported in targets
        if _layer(imported) > _layer(importer)
    }
    adapters_to_loader = {
        (importer, imported)
        for importer, targets in graph.items()
        if importer.startswith("playbook.workspace.adapters")
        for imported in targets
        if imported == "playbook.workspace.load"
    }
    assert wrong == set(), "imports against the layers (see CONTRIBUTING.md)"
    assert adapters_to_loader == set(), (
        "adapters read files through workspace.files, not the loader"
    )


def test_the_layer_rule_catches_a_step_importing_the_runner() -> None:
    edges = {"playbook.steps.journey": {"playbook.report.runner"}, "playbook.report.runner": set()}
    assert _layer("playbook.report.runner") > _layer("playbook.steps.journey")
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == {("a", "b", "c")}
    assert _cycles(edges) == set()


def test_modules_stay_short() -> None:
    sizes = {
        str(path.relative_to(PACKAGE)): len(path.read_text(encoding="utf-8").splitlines())
        for path in PACKAGE.rglob("*.py")
    }
    too_long = {name: n for name, n in sizes.items() if n > MAX_MODULE_LINES}
    grew = {
        n: (LONG_MODULES.get(n), lines)
        for n, lines in too_long.items()
        if lines > LONG_MODULES.get(n, MAX_MODULE_LINES)
    }
    assert not grew, f"split these modules (limit, or their size today -> now): {grew}"
    fixed = {n for n in LONG_MODULES if sizes.get(n, 0) <= MAX_MODULE_LINES}
    assert not fixed, f"now under the limit: remove from LONG_MODULES: {sorted(fixed)}"


def test_functions_stay_short() -> None:
    sizes = {}
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                key = f"{path.relative_to(PACKAGE)}:{node.name}"
                sizes[key] = max(sizes.get(key, 0), node.end_lineno - node.lineno + 1)
    grew = {
        k: (LONG_FUNCTIONS.get(k), n)
        for k, n in sizes.items()
        if n > LONG_FUNCTIONS.get(k, MAX_FUNCTION_LINES)
    }
    assert not grew, f"split these functions at their seams (limit or size today -> now): {grew}"
    fixed = {k for k in LONG_FUNCTIONS if sizes.get(k, 0) <= MAX_FUNCTION_LINES}
    assert not fixed, f"now under the limit: remove from LONG_FUNCTIONS: {sorted(fixed)}"
