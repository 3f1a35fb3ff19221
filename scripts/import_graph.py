"""The import graph of the program's packages, drawn from the code (`ast`), and its cycles.

    python scripts/import_graph.py                 # every module's imports of our modules
    python scripts/import_graph.py --cycles        # only the import cycles; exit 1 if any
    python scripts/import_graph.py --largest 5     # the largest modules, in lines

Counts every `import` and `from ... import` of a module of `components`, `policies`,
`promises` or `review`, wherever it stands in the file (inside a function too: a deferred import
still ties the two modules together).
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("components", "policies", "promises", "review")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            if "__pycache__" not in path.parts and "tests" not in path.parts:
                found[module_name(path)] = path
    return found


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Our modules that `name` imports (a `from package import module` names the module)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imports_of(name, path, known) for name, path in found.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    sys.setrecursionlimit(10_000)
    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(groups)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", action="store_true", help="only the cycles; exit 1 if any")
    parser.add_argument("--largest", type=int, metavar="N", help="the N largest modules")
    options = parser.parse_args()
    edges = graph()
    if options.largest:
        sizes = sorted(
            ((len(p.read_text().splitlines()), n) for n, p in modules().items()), reverse=True
        )
        for lines, name in sizes[: options.largest]:
            print(f"{lines:6d}  {name}")
        return 0
    found = cycles(edges)
    if not options.cycles:
        for name in sorted(edges):
            print(f"{name} -> {', '.join(sorted(edges[name])) or '(none of ours)'}")
        print()
    for group in found:
        print("cycle: " + " <-> ".join(group))
    if options.cycles and not found:
        print("no import cycle")
    return 1 if found and options.cycles else 0


if __name__ == "__main__":
    sys.exit(main())
