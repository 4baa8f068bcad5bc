"""The import graph of the six rooms, read from the source with ``ast`` (module level and inside functions).

Run ``python tests/rooms.py`` for the counts the architecture notes quote (modules per room, arrows
between rooms, cycles); ``tests/test_rooms.py`` holds the rules.
"""

from __future__ import annotations

import ast
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROOMS = ("sources", "transforms", "warehouse", "pipelines", "dashboards", "cli")
# who may import whom (besides itself); see docs/ARCHITECTURE.md
ALLOWED = {
    "transforms": set(),
    "sources": {"transforms"},
    "warehouse": {"sources", "transforms"},  # the DuckDB file, its table registry, loading, manifests, rebuild
    "dashboards": {"sources", "transforms"},
    "pipelines": {"sources", "transforms", "warehouse", "dashboards"},
    "cli": {"sources", "transforms", "warehouse", "pipelines", "dashboards"},  # the command line; nothing imports it
}
ENTRY_POINTS = {"cli.main", "pipelines.definitions"}  # the console script, the Dagster workspace


def modules(root: Path = ROOT) -> dict[str, Path]:
    found = {}
    for room in (*ROOMS, "areavasta"):
        for path in sorted((root / room).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports(path: Path, known: set[str]) -> list[tuple[str, bool]]:
    """(imported module, at module level?) for every import of a project module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top_level = {id(node) for node in tree.body}
    out = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                out.append((name, id(node) in top_level))
    return sorted(set(out))


def room(module: str) -> str:
    return module.split(".")[0]


def graph(root: Path = ROOT) -> dict[str, set[str]]:
    found = modules(root)
    known = set(found)
    return {
        name: {target for target, _ in imports(path, known) if target != name and not name.startswith(target + ".")}
        for name, path in found.items()
    }


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, out, counter = {}, {}, [], set(), [], [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
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
                out.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for node in edges:
        if node not in index:
            visit(node)
    return out


def violations(edges: dict[str, set[str]]) -> list[str]:
    bad = []
    for source, targets in edges.items():
        for target in targets:
            a, b = room(source), room(target)
            if b == "areavasta" and target != "areavasta":
                bad.append(f"{source} -> {target}: areavasta/ holds only data")
            if a in ROOMS and b in ROOMS and a != b and b not in ALLOWED[a]:
                bad.append(f"{source} -> {target}: {a} may not import {b}")
            if b == "pipelines" and a not in {room(m) for m in ENTRY_POINTS}:
                bad.append(f"{source} -> {target}: only entry points use pipelines")
    return sorted(bad)


def summary(edges: dict[str, set[str]]) -> dict:
    per_room = Counter(room(m) for m in edges)
    arrows = Counter((room(a), room(b)) for a, targets in edges.items() for b in targets if room(a) != room(b))
    return {
        "modules": dict(per_room),
        "arrows": {f"{a} -> {b}": n for (a, b), n in sorted(arrows.items())},
        "cycles": cycles(edges),
        "violations": violations(edges),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(summary(graph(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT)), indent=1))
