"""The house's shape, read from the code with ``ast``: no import circles, no import from a lower room to a higher one.

Rooms, lowest first (docs/architecture.md): ``venues`` < ``adapters`` < ``harness``; inside ``harness``: the base
modules (``harness.errors``, ``harness.paths``) < ``harness.scenario`` < ``harness.sim`` and ``harness.io`` (peers that
never import each other) < ``harness.analytics`` < ``harness.report`` < ``harness.workflows`` < ``harness.cli``.
A module may import its own room and any lower room. Every import counts, including those inside functions (a lazy
import is still a dependency) and those under ``if TYPE_CHECKING:``. Only ``harness.sim`` imports simpy.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("venues", "adapters", "harness")

# room -> level; rooms on one level are peers and may not import each other
LEVELS: dict[str, int] = {
    "venues": 0,
    "adapters": 1,
    "harness": 2,  # harness/__init__.py, harness/errors.py, harness/paths.py
    "harness.scenario": 3,
    "harness.sim": 4,
    "harness.io": 4,
    "harness.analytics": 5,
    "harness.report": 6,
    "harness.workflows": 7,
    "harness.cli": 8,
    "harness.api": 8,  # the Python API (harness/api.py), a peer of the CLI over the same workflows
}

MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def source_modules() -> dict[str, Path]:
    return {module_name(p): p for pkg in PACKAGES for p in sorted((REPO / pkg).rglob("*.py"))}


def room_of(module: str) -> str:
    """The longest room name that is the module or a package above it."""
    best = ""
    for room in LEVELS:
        if (module == room or module.startswith(room + ".")) and len(room) > len(best):
            best = room
    if not best:
        raise AssertionError(f"{module} is in no room of LEVELS")
    return best


def imported_modules(module: str, path: Path, known: set[str]) -> set[str]:
    """Every project module ``module`` imports; ``from x import y`` counts ``x.y`` when that is a module, else ``x``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            # ``from pkg import mod`` depends on the module ``pkg.mod``; ``from mod import name`` on ``mod``
            subs = [f"{target}.{alias.name}" for alias in node.names]
            names = [n for n in subs if n in known] if any(n in known for n in subs) else [target]
        else:
            continue
        for name in names:
            if name.split(".")[0] not in PACKAGES:
                continue
            # the deepest known module the name denotes (``harness.sim.engine.simulate`` -> ``harness.sim.engine``)
            parts = name.split(".")
            while parts and ".".join(parts) not in known:
                parts.pop()
            if parts:
                found.add(".".join(parts))
    found.discard(module)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = source_modules()
    known = set(modules)
    return {m: imported_modules(m, p, known) for m, p in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    bad = []
    for module, deps in sorted(graph.items()):
        room = room_of(module)
        for dep in sorted(deps):
            dep_room = room_of(dep)
            if dep_room == room:
                continue
            if LEVELS[dep_room] >= LEVELS[room]:
                bad.append(f"{module} ({room}) imports {dep} ({dep_room})")
    return bad


def test_cycle_finder_finds_a_planted_circle() -> None:
    # a -> b -> c -> a is one circle; d -> a hangs off it and is not part of it
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_room_rule_flags_upward_and_peer_imports() -> None:
    graph = {"harness.sim.x": {"harness.analytics.y", "harness.io.z"}, "harness.analytics.y": {"harness.sim.x"},
             "harness.io.z": set()}
    assert upward_imports(graph) == [
        "harness.sim.x (harness.sim) imports harness.analytics.y (harness.analytics)",
        "harness.sim.x (harness.sim) imports harness.io.z (harness.io)",
    ]


def test_every_module_is_in_a_room() -> None:
    for module in source_modules():
        room_of(module)


def test_no_import_circles() -> None:
    assert cycles(import_graph()) == []


def test_no_import_from_a_lower_room_to_a_higher_one() -> None:
    assert upward_imports(import_graph()) == []


def test_only_the_simulation_imports_simpy() -> None:
    users = []
    for module, path in source_modules().items():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            if any(n.split(".")[0] == "simpy" for n in names):
                users.append(module)
    assert users and all(room_of(m) == "harness.sim" for m in users), users


@pytest.mark.parametrize("module", sorted(source_modules()))
def test_module_and_function_sizes(module: str) -> None:
    path = source_modules()[module]
    text = path.read_text()
    n_lines = text.count("\n")
    assert n_lines <= MAX_MODULE_LINES, f"{path.relative_to(REPO)} has {n_lines} lines"
    long = [f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
            for node in ast.walk(ast.parse(text))
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.end_lineno is not None and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]
    assert not long, f"{path.relative_to(REPO)}: {', '.join(long)}"


def test_analytics_and_reports_never_import_the_simulator() -> None:
    # they are functions of a run folder's tables: a received folder is analysed without the code that made it
    bad = [f"{m} imports {d}" for m, deps in import_graph().items()
           if room_of(m) in ("harness.analytics", "harness.report") for d in deps if room_of(d) == "harness.sim"]
    assert bad == []


def test_from_package_import_module_is_an_edge_to_the_module(tmp_path: Path) -> None:
    # ``from harness.sim import engine`` depends on harness.sim.engine, ``from harness.sim.engine import simulate``
    # on harness.sim.engine too, ``import harness.io.orders as o`` on harness.io.orders; relative imports resolve
    src = tmp_path / "m.py"
    src.write_text("from harness.sim import engine\nfrom harness.sim.engine import simulate\n"
                   "import harness.io.orders as o\nfrom . import orders\n"
                   "def f():\n    from ..errors import UserError\n")
    known = {"harness", "harness.sim", "harness.sim.engine", "harness.io", "harness.io.orders", "harness.errors"}
    assert imported_modules("harness.io.m", src, known) == {"harness.sim.engine", "harness.io.orders",
                                                           "harness.errors"}
