"""Do the packages' modules import each other in one direction only (no import cycle)?

The graph is read from the source with :mod:`ast`, without importing
anything: every ``import``/``from ... import`` anywhere in a module (inside
functions too), absolute or relative, that names a module of the package.
"""
from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _module_name(package_dir: Path, path: Path) -> str:
    """``autograder/preprocessors/lint_solutions.py`` -> ``autograder.preprocessors.lint_solutions``."""
    parts = [package_dir.name, *path.relative_to(package_dir).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(package_dir: Path) -> dict[str, set[str]]:
    """``{module: the package's modules it imports}`` for every module under ``package_dir``.

    ``from . import x`` counts as importing the module ``x`` when there is one,
    else the package it names; ``import a.b.c`` counts as importing the
    deepest of ``a.b.c``, ``a.b``, ``a`` that is a module of the package. The
    parent packages' ``__init__`` that Python runs on the way are not counted:
    every submodule would otherwise "import" its package.
    """
    files = {_module_name(package_dir, p): p for p in sorted(package_dir.rglob("*.py"))
             if "__pycache__" not in p.parts}

    def known(dotted: str) -> str | None:
        parts = dotted.split(".")
        while parts:
            if ".".join(parts) in files:
                return ".".join(parts)
            parts.pop()
        return None

    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        here = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = ".".join([*here[: len(here) - node.level + 1], *(node.module or "").split(".")]
                                if node.level else (node.module or "").split(".")).strip(".")
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in files else base for alias in node.names]
            else:
                continue
            edges |= {t for t in map(known, targets) if t is not None and t != module}
        graph[module] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` as ``[a, b, ..., a]``, or ``None`` when there is none."""
    state: dict[str, str] = {}  # "open" while on the current path, "done" once fully explored
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_the_import_graph_sees_relative_and_function_level_imports(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from .leaf import x\n")
    (pkg / "sub" / "leaf.py").write_text("from .. import top\nimport pkg.other\n")
    (pkg / "top.py").write_text("def f():\n    from .sub import leaf\n")
    (pkg / "other.py").write_text("import os\nfrom pkg.sub.leaf import y\n")
    assert import_graph(pkg) == {"pkg": set(), "pkg.sub": {"pkg.sub.leaf"}, "pkg.sub.leaf": {"pkg.top", "pkg.other"},
                                 "pkg.top": {"pkg.sub.leaf"}, "pkg.other": {"pkg.sub.leaf"}}
    assert find_cycle(import_graph(pkg)) == ["pkg.other", "pkg.sub.leaf", "pkg.other"]


def test_autograder_imports_only_downward():
    graph = import_graph(REPO / "autograder")
    assert "autograder.report" in graph["autograder.pipeline"], "an import inside grade() was not seen"
    cycle = find_cycle(graph)
    assert cycle is None, "autograder's modules import each other in a circle: " + " -> ".join(cycle)
    importers = sorted(m for m, edges in graph.items() if "autograder.pipeline" in edges)
    assert importers == ["autograder.__main__"], f"only the command line may import the orchestrator: {importers}"


#: Which parts of backprop_lib each part may import: the network library first, then what judges it, then
#: what shows it. Imports run one way, down this list.
LIBRARY_LAYERS = {
    "nn": {"nn"},
    "checking": {"nn", "checking"},
    "lessons": {"nn", "checking", "lessons"},
    "pictures": {"nn", "checking", "lessons", "pictures"},
    "widgets": {"nn", "checking", "lessons", "pictures", "widgets"},
    "exercises": {"nn", "checking", "lessons", "pictures", "exercises"},
}


def _part(module: str) -> str:
    """``backprop_lib.nn.engine`` -> ``nn``; the package itself -> ``""``."""
    return module.split(".")[1] if module.count(".") else ""


def test_backprop_lib_is_grouped_by_job_and_imports_only_downward():
    graph = import_graph(REPO / "backprop_lib")
    loose = sorted(m for m in graph if m.count(".") == 1 and _part(m) not in LIBRARY_LAYERS)
    assert not loose, f"every module of backprop_lib belongs in one of {sorted(LIBRARY_LAYERS)}: {loose}"
    upward = sorted(f"{m} -> {t}" for m, edges in graph.items() if _part(m) for t in edges
                    if _part(t) and _part(t) not in LIBRARY_LAYERS[_part(m)])
    assert not upward, "these imports run against the layering nn <- checking <- lessons <- pictures <- widgets/exercises:\n" + "\n".join(upward)
    cycle = find_cycle(graph)
    assert cycle is None, "backprop_lib's modules import each other in a circle: " + " -> ".join(cycle)


def test_the_library_a_student_reads_carries_nothing_of_the_grader():
    """The grader describes library types from its own side (autograder/transport.py)."""
    for path in sorted((REPO / "backprop_lib").rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        imports = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imports |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert not {i for i in imports if i.split(".")[0] == "autograder"}, f"{path} imports the grader"
        names = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        names |= {t.id for n in ast.walk(tree) if isinstance(n, (ast.Assign, ast.AnnAssign))
                  for t in (n.targets if isinstance(n, ast.Assign) else [n.target]) if isinstance(t, ast.Name)}
        assert not {n for n in names if "remote" in n}, f"{path} carries the grader's transport hooks"
