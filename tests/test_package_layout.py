"""The package layout (issue 17): one package per concern, imports in one direction.

Parsed, not imported: every ``import``/``from ... import`` of ``wizard`` in every module, those inside
functions too (a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WIZARD = ROOT / "wizard"

#: Low to high: a unit may import only units of its own layer's index or lower (its own package freely).
LAYERS = [
    ["base"],
    ["answers"],
    ["repo"],
    ["render"],
    ["write"],
    ["validate"],
    ["onepassword"],
    ["verify"],
    ["session", "headless", "init_answers"],
    ["plain", "tui"],
    ["cli", "__main__"],
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(dotted: str) -> bool:
    base = ROOT.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _imports(path: Path) -> set[str]:
    """The wizard modules ``path`` imports (``from wizard.x import y`` names module y when y is one)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "wizard"}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module.split(".")[0] == "wizard":
            for alias in node.names:
                child = f"{node.module}.{alias.name}"
                found.add(child if _is_module(child) else node.module)
    return found


def _graph() -> dict[str, set[str]]:
    return {_module_name(p): _imports(p) - {_module_name(p)} for p in sorted(WIZARD.rglob("*.py"))}


def _unit(module: str) -> str | None:
    """The package (or top-level module) directly under wizard/ that ``module`` belongs to."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_more_than_ten_modules_directly_in_wizard():
    top = sorted(p.name for p in WIZARD.glob("*.py"))
    assert len(top) <= 10, top


def test_every_package_says_what_it_owns_and_may_import():
    for init in sorted(WIZARD.glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        assert doc, f"{init.relative_to(ROOT)} has no docstring"
        if init.parent.name != "tui":
            assert "Owns" in doc and "May import" in doc, f"{init.relative_to(ROOT)}: say what it owns and may import"


def test_every_unit_has_a_layer():
    units = {_unit(m) for m in _graph()} - {None}
    placed = {u for layer in LAYERS for u in layer}
    assert units <= placed, f"not in LAYERS: {sorted(units - placed)}"


def test_no_import_cycle_between_packages():
    graph = _graph()
    units: dict[str, set[str]] = {}
    for module, deps in graph.items():
        if (unit := _unit(module)) is None:
            continue
        units.setdefault(unit, set()).update(u for d in deps if (u := _unit(d)) is not None and u != unit)
    assert _cycle(units) is None, f"import cycle between packages: {' -> '.join(_cycle(units) or [])}"


def test_no_import_cycle_between_modules():
    """No module imports one that imports it, not even lazily (the crd_schema <-> crd_sources circle is gone)."""
    graph = _graph()
    assert _cycle(graph) is None, f"import cycle: {' -> '.join(_cycle(graph) or [])}"


def test_imports_run_down_the_layers_only():
    rank = {unit: i for i, layer in enumerate(LAYERS) for unit in layer}
    upward = sorted(
        f"{module} imports {dep}"
        for module, deps in _graph().items()
        for dep in deps
        if (a := _unit(module)) and (b := _unit(dep)) and a != b and rank[b] > rank[a]
    )
    assert not upward, "\n".join(upward)


def test_the_checker_sees_a_cycle_and_an_upward_import():
    """The checks above can fail: a planted circle and an upward edge are found."""
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None
    assert _unit("wizard.render.render") == "render" and _unit("wizard.cli") == "cli" and _unit("wizard") is None
    assert "wizard.render.render" in _imports(WIZARD / "validate" / "__init__.py")
