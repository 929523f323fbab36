"""The import graph of funicular's own modules: no loop, and the layers kept apart.

Read from the source with ``ast``, not by importing, so a loop hidden in a function
body (an import done late to dodge the cycle at load time) counts as a loop too: it
still ties the two modules together. Imports under ``if TYPE_CHECKING:`` or
``if __name__ == "__main__":`` do not count. An edge goes to the module named
(``from .pkg import mod`` -> ``pkg.mod``; ``from .mod import name`` -> ``mod``), not
to the parent packages Python also runs.
"""

import ast
import pathlib

REPO = pathlib.Path(__file__).resolve().parents[2]
PACKAGES = ("core", "spawner", "extension", "widgets", "workshop")
# (importer's package, packages it may never import)
FORBIDDEN = {
    "core": {"spawner", "extension", "widgets", "workshop"},
    "spawner": {"extension"},
    "extension": {"spawner"},
}


def modules() -> dict[str, tuple[pathlib.Path, bool]]:
    """funicular's module names -> (file, is a package)."""
    found = {}
    for top in PACKAGES:
        for path in sorted((REPO / top).rglob("*.py")):
            rel = path.relative_to(REPO).with_suffix("")
            parts = ["funicular", *rel.parts]
            if parts[-1] == "__init__":
                found[".".join(parts[:-1])] = (path, True)
            else:
                found[".".join(parts)] = (path, False)
    return found


def _not_at_import(node: ast.If) -> bool:
    """``if TYPE_CHECKING:`` and ``if __name__ == "__main__":`` never run when the module
    is imported (run as a script, it is ``__main__``, a module of its own)."""
    t = node.test
    if isinstance(t, ast.Compare) and isinstance(t.left, ast.Name) and t.left.id == "__name__":
        return any(isinstance(c, ast.Constant) and c.value == "__main__"
                   for c in t.comparators)
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST):
    """Every import statement, at any depth, except where it never runs on import."""
    todo = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and _not_at_import(node):
            todo.extend(node.orelse)
            continue
        todo.extend(ast.iter_child_nodes(node))


def edges(mods=None) -> dict[str, set[str]]:
    mods = modules() if mods is None else mods
    graph: dict[str, set[str]] = {m: set() for m in mods}

    def nearest(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    for mod, (path, is_pkg) in mods.items():
        for node in _imports(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [nearest(a.name) for a in node.names]
            else:
                if node.level:
                    package = mod if is_pkg else mod.rpartition(".")[0]
                    for _ in range(node.level - 1):
                        package = package.rpartition(".")[0]
                    base = f"{package}.{node.module}" if node.module else package
                else:
                    base = node.module or ""
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else nearest(base)
                           for a in node.names]
            graph[mod].update(t for t in targets if t and t != mod)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One loop per strongly connected component of more than one module (Tarjan),
    as the path round it, e.g. [a, b, a]."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found = []

    def visit(v: str):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            scc = set()
            while True:
                w = stack.pop()
                on.discard(w)
                scc.add(w)
                if w == v:
                    break
            if len(scc) > 1:
                found.append(_loop(graph, scc))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _loop(graph, scc: set[str]) -> list[str]:
    """A shortest way from the component's first module back to itself."""
    start = min(scc)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v] & scc):
                if w == start:
                    return [*paths[v], start]
                if w not in paths:
                    paths[w] = [*paths[v], w]
                    nxt.append(w)
        frontier = nxt
    return sorted(scc)  # pragma: no cover - a component always has a loop


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    bad = []
    for src, targets in sorted(graph.items()):
        forbidden = FORBIDDEN.get(src.split(".")[1], set())
        bad += [f"{src} -> {dst}" for dst in sorted(targets) if dst.split(".")[1] in forbidden]
    return bad


def test_the_checker_sees_late_imports_and_loops():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c", "a"]]
    tree = ast.parse("import x\nif TYPE_CHECKING:\n    import y\ndef f():\n    import z\n"
                     "if __name__ == '__main__':\n    import w\n")
    assert sorted(n.names[0].name for n in _imports(tree)) == ["x", "z"]


def test_the_graph_covers_every_package():
    graph = edges()
    assert {m.split(".")[1] for m in graph} == set(PACKAGES)
    assert "funicular.core.containers.base" in graph["funicular.core.containers.podman"]


def test_no_import_loop():
    loops = cycles(edges())
    assert not loops, "import loops:\n" + "\n".join(" -> ".join(c) for c in loops)


def test_layers():
    """core never imports the hub's, the server's or the kernel's side; the spawner
    and the server extension never import each other."""
    bad = layer_violations(edges())
    assert not bad, "forbidden imports:\n" + "\n".join(bad)
