"""The import graph of a package, read from its source (nothing is imported).

Every import counts: at module level, inside functions (the lazy imports of
the CLI) and under `TYPE_CHECKING`, because each is a dependency of the
design even when Python does not run it at import time.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path


def module_files(package_dir: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package below `package_dir`."""
    modules: dict[str, Path] = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _absolute(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base.pop()
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def import_graph(package_dir: Path) -> dict[str, set[str]]:
    """Module -> the modules of the same package it imports."""
    modules = module_files(package_dir)
    root = package_dir.name
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        deps: set[str] = set()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                target = _absolute(name, node, path.name == "__init__.py")
                if target != root and not target.startswith(root + "."):
                    continue
                for alias in node.names:
                    # `from pkg import module` names a module; `from module import name` the module
                    full = f"{target}.{alias.name}"
                    deps.add(full if full in modules else target)
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names if a.name == root or a.name.startswith(root + "."))
        deps.discard(name)
        graph[name] = {d for d in deps if d in modules}
    return graph


def find_cycle(graph: Mapping[str, Iterable[str]]) -> list[str] | None:
    """One import cycle as a path `[a, b, ..., a]`, or None; iterative, so no depth limit."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    for start in sorted(graph):
        if state.get(start):
            continue
        path: list[str] = [start]
        stack = [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph.get(nxt, ()))))
    return None


def layer_of(module: str, layers: Mapping[str, int]) -> int | None:
    """The rank of the longest prefix of `module` listed in `layers`."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        rank = layers.get(".".join(parts[:end]))
        if rank is not None:
            return rank
    return None


def against_direction(graph: Mapping[str, Iterable[str]], layers: Mapping[str, int]) -> list[str]:
    """Every import of a higher layer by a lower one, as `importer -> imported` lines."""
    wrong = []
    for module, deps in sorted(graph.items()):
        mine = layer_of(module, layers)
        for dep in sorted(deps):
            theirs = layer_of(dep, layers)
            if mine is not None and theirs is not None and theirs > mine:
                wrong.append(f"{module} -> {dep}")
    return wrong
