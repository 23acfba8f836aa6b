"""Grader-side reading of a student's own cells: what a solution has no business doing.

The library's reference implementations are caught at run time by
``checks.forbid`` (a profiler, by code object), but that detector lives in the
student's kernel. To call a reference unseen, a submission has to switch the
detector off or step around it: replace ``sys.setprofile`` or a check,
rebind a module attribute, reach objects by reflection (``getattr``,
``__dict__``, ``__import__``), run code from strings, or call the reference
on another thread or in another process, which the profiler does not watch.

This module reads the **source** of the cells the student owns (solution
cells and cells they added), as the grader holds it after normalization, so
the student's code cannot change what is read, and finds those constructs
with :mod:`ast`. Exercise code in this course never needs any of them. (A
plain call of a reference, under any name, is left to the run-time detector,
which sees it as long as it is not switched off; which function is a
reference depends on the exercise, which source text alone cannot tell.) A finding in a solution cell fails that
exercise; one in a cell the student added fails every exercise of the
notebook (such a cell can reach any of them). The message names the line and
the construct.

What this cannot see: a copy of the library's source pasted into the
submission (the library ships to students; no run-time measure can tell
pasted code from written code), and obfuscation through a path not listed
here. Both are the instructor's to review; ``report/mistakes.csv`` lists every
finding.
"""
from __future__ import annotations

import ast
import functools
import importlib.machinery
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

#: Modules a solution may not import: reflection, code objects, other threads and processes, the grader.
FORBIDDEN_MODULES = {
    "importlib": "imports modules by name", "inspect": "reads the library's code and frames",
    "ctypes": "reaches the interpreter's memory", "gc": "reaches objects by reflection",
    "threading": "runs code on another thread, where the reference detector does not look",
    "_thread": "runs code on another thread", "concurrent": "runs code on another thread or process",
    "multiprocessing": "runs code in another process", "subprocess": "runs another program",
    "pty": "runs another program", "types": "builds functions and code objects",
    "marshal": "loads code objects", "pickle": "loads objects from bytes", "dill": "loads objects from bytes",
    "cloudpickle": "loads objects from bytes", "copyreg": "changes how objects are rebuilt",
    "builtins": "replaces built-in functions", "runpy": "runs other code", "code": "runs code from strings",
    "codeop": "compiles code from strings", "contextvars": "changes the checks' context",
    "operator": "reaches attributes by name (attrgetter)", "IPython": "changes how cells run",
    "autograder": "changes the grader", "ipykernel": "changes how cells run", "jupyter_client": "talks to kernels",
    "zmq": "talks to kernels", "traitlets": "changes the kernel's configuration", "tornado": "runs code later",
    "asyncio": "runs code on other threads or later", "timeit": "runs code from strings",
    "traceback": "reaches frames and their variables", "logging": "runs handlers on other threads",
    "pdb": "starts a debugger", "bdb": "traces code", "trace": "traces code", "sysconfig": "reads the interpreter",
    "unittest": "patches objects by name (mock.patch)", "weakref": "reaches objects by reflection",
    "signal": "runs code on signals", "atexit": "runs code later", "sched": "runs code later",
    "faulthandler": "reaches frames", "site": "changes imports", "pkgutil": "imports modules by name",
    "zipimport": "imports code from archives", "shutil": "changes files", "tempfile": "writes files",
    "socket": "opens connections", "select": "waits on sockets", "mmap": "maps memory",
    "numexpr": "runs code from strings", "pandas": "runs code from strings (eval, query)",
}
#: Built-in names a solution may not use.
FORBIDDEN_NAMES = {
    "exec": "runs code from a string", "eval": "runs code from a string", "compile": "compiles code from a string",
    "__import__": "imports modules by name", "globals": "reaches variables by name",
    "locals": "reaches variables by name", "vars": "reaches attributes by name",
    "getattr": "reaches attributes by name", "setattr": "changes attributes by name",
    "delattr": "deletes attributes by name", "breakpoint": "starts a debugger",
    "__builtins__": "reaches the built-in functions",
}
#: Attributes a solution may not touch (whatever object they are on).
FORBIDDEN_ATTRIBUTES = {
    "setprofile": "switches the reference detector off", "settrace": "switches the reference detector off",
    "modules": "reaches loaded modules by name (sys.modules)", "_getframe": "reaches the caller's frame",
    "f_back": "reaches the caller's frame", "f_globals": "reaches a frame's variables",
    "f_locals": "reaches a frame's variables", "gi_frame": "reaches a frame", "tb_frame": "reaches a frame",
    "system": "runs another program", "popen": "runs another program",
    "instance": "reaches the kernel application (IPKernelApp.instance())", "shell": "reaches the IPython shell",
    "kernel": "reaches the kernel", "tb_next": "reaches a frame", "f_code": "reaches a frame's code",
    "gi_code": "reaches code", "cr_frame": "reaches a frame", "ag_frame": "reaches a frame",
    "attrgetter": "reaches attributes by name", "methodcaller": "calls methods by name",
    **{name: "reaches an object's internals" for name in (
        "__dict__", "__code__", "__globals__", "__builtins__", "__getattribute__", "__closure__", "__func__",
        "__wrapped__", "__subclasses__", "__mro__", "__bases__", "__self__", "__setattr__", "__delattr__")},
}
FORBIDDEN_ATTRIBUTE_PREFIXES = ("execv", "execl", "spawn", "posix_spawn", "fork")
#: Forbidden modules other modules re-export as an attribute (``queue.threading``, ``os.sys``-style reach-arounds).
REEXPORTED_MODULES = {"threading", "_thread", "multiprocessing", "subprocess", "concurrent", "asyncio", "importlib",
                      "ctypes", "inspect", "gc", "builtins", "pickle", "marshal", "pty", "runpy", "traceback",
                      "timeit", "weakref", "atexit", "signal", "pdb", "bdb", "faulthandler", "unittest"}
#: Functions that run code from a string: always refused (no exercise needs them)...
STRING_EVALUATORS = {"sympify", "parse_expr"}
#: ...and refused when given a string (``sp.S(1)`` and ``sp.lambdify(x, expr)`` are fine).
STRING_EVALUATORS_IF_GIVEN_TEXT = {"S", "lambdify"}
#: The attributes of ``sys`` a solution may read; any other reaches the interpreter's machinery.
SAFE_SYS = {"float_info", "int_info", "maxsize", "version", "version_info", "byteorder", "platform",
            "stdout", "stderr", "float_repr_style", "hash_info", "implementation", "getsizeof", "getrecursionlimit"}
#: IPython magics a student may use (``%timeit``); any other magic or ``!command`` may run other code.
SAFE_MAGICS = {"timeit", "time", "matplotlib", "precision"}
#: Names the course's own cells bind that a student may not rebind.
PROTECTED = re.compile(r"^(check_\w+|hidden_rng)$")


@dataclass(frozen=True)
class Finding:
    """One forbidden construct in a student's cell."""

    task: str | None  #: the exercise whose solution cell it is in; None: a cell the student added
    line: int  #: 1-based, within the cell
    what: str  #: e.g. "calls getattr (reaches attributes by name)"

    def message(self) -> str:
        where = f"your solution of {self.task}" if self.task else "a cell you added"
        return (f"{where}, line {self.line}, {self.what}. Solutions in this course never need that, and the "
                "grader cannot tell it from switching off its checks, so it scores 0. Remove it.")


def _module_aliases(trees: Iterable[ast.AST]) -> dict[str, str]:
    """``{local name: module}`` for every ``import m``/``import m as x``/``from p import m`` in ``trees``."""
    out: dict[str, str] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    out[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module:
                for a in node.names:
                    # `from backprop_lib import gradcheck`: maybe a module; a function alias is harmless here
                    out[a.asname or a.name] = f"{node.module}.{a.name}"
    return out


def _forbidden_module(name: str) -> str | None:
    for module, why in FORBIDDEN_MODULES.items():
        if name == module or name.startswith(module + "."):
            return f"imports {name} ({why})"
    if name and not name.startswith(".") and not _installed(name.split(".")[0]):
        return (f"imports {name}, which is not part of the course's environment "
                "(a module the notebook writes itself runs code the grader cannot read)")
    return None


@functools.lru_cache(maxsize=None)
def _installed(top: str) -> bool:
    """Whether ``top`` is a module of the interpreter or its site-packages (never the current folder)."""
    if top in sys.builtin_module_names or top in sys.stdlib_module_names or top == "backprop_lib":
        return True
    repo = Path(__file__).resolve().parent.parent
    paths = [p for p in sys.path if p and Path(p).resolve() not in (repo, Path.cwd().resolve())]
    try:
        return importlib.machinery.PathFinder.find_spec(top, paths) is not None
    except (ImportError, ValueError):
        return False


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def python_source(cell_source: str) -> tuple[str, list[str]]:
    """The cell as plain Python (IPython syntax transformed) and the findings from its magics."""
    from IPython.core.inputtransformer2 import TransformerManager

    findings = []
    for line in cell_source.splitlines():
        stripped = line.strip()
        if stripped.startswith("!"):
            findings.append("runs a shell command (!...)")
        elif stripped.startswith("%"):
            magic = stripped.lstrip("%").split(maxsplit=1)[0] if stripped.lstrip("%") else ""
            if magic not in SAFE_MAGICS:
                findings.append(f"uses the magic %{magic}")
    return TransformerManager().transform_cell(cell_source), findings


def parse_cell(source: str) -> tuple[ast.AST | None, list[str]]:
    """The cell's syntax tree (None if it does not parse) and the findings from its magics.

    Fails closed: a cell the grader cannot read for any reason but a plain
    syntax error (which the kernel cannot run either), e.g. an expression so
    deep that parsing it overflows the stack, is itself a finding.
    """
    try:
        code, magic_findings = python_source(source)
        return ast.parse(code), magic_findings
    except SyntaxError:
        return None, []
    except Exception as exc:  # noqa: BLE001 - RecursionError, MemoryError, a transformer's own failure
        return None, [f"cannot be read by the grader ({type(exc).__name__}), so it cannot be checked"]


def inspect_cell(source: str, parsed: tuple[ast.AST | None, list[str]],
                 modules: dict[str, str]) -> list[tuple[int, str]]:
    """``(line, what)`` for every forbidden construct in one cell.

    ``parsed`` is :func:`parse_cell` of ``source``; ``modules`` maps the names
    bound to modules anywhere in the notebook to the module.
    """
    tree, magic_findings = parsed
    out = [(1, what) for what in magic_findings]
    aliases_of_modules = _module_variables(tree, modules) if tree is not None else set()
    if "get_ipython" in source:
        out.append((1 + source[: source.index("get_ipython")].count("\n"), "uses get_ipython (changes how cells run)"))
    if tree is None:
        return out  # the kernel reports it; nothing in it can run
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 1)
        if isinstance(node, ast.Import):
            for a in node.names:
                why = _forbidden_module(a.name)
                if why:
                    out.append((line, why))
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            why = _forbidden_module(module)
            if why:
                out.append((line, why))
            for a in node.names:
                full = f"{module}.{a.name}"
                why = _forbidden_module(full) or (f"imports {a.name} from {module} "
                                                 f"({FORBIDDEN_ATTRIBUTES[a.name]})" if a.name in FORBIDDEN_ATTRIBUTES
                                                 else None)
                if why:
                    out.append((line, why))
                if a.asname and PROTECTED.match(a.asname) or not a.asname and PROTECTED.match(a.name):
                    out.append((line, f"imports a name the checks use ({a.asname or a.name})"))
        elif isinstance(node, ast.Name):
            if node.id in FORBIDDEN_NAMES:
                out.append((line, f"uses {node.id} ({FORBIDDEN_NAMES[node.id]})"))
            if isinstance(node.ctx, (ast.Store, ast.Del)) and PROTECTED.match(node.id):
                out.append((line, f"rebinds {node.id}, which the checks use"))
        elif isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            name = modules.get(name, name).rsplit(".", 1)[-1]  # `from sympy import lambdify as L`
            given_text = any(isinstance(sub, ast.JoinedStr) or isinstance(sub, ast.Constant) and isinstance(sub.value, str)
                             for arg in [*node.args, *(k.value for k in node.keywords)] for sub in ast.walk(arg))
            if name in STRING_EVALUATORS or name in STRING_EVALUATORS_IF_GIVEN_TEXT and given_text:
                out.append((line, f"calls {name} (runs code from a string)"))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and PROTECTED.match(node.name):
            out.append((line, f"redefines {node.name}, which the checks use"))
        elif isinstance(node, ast.Attribute):
            if node.attr in FORBIDDEN_ATTRIBUTES:
                out.append((line, f"uses .{node.attr} ({FORBIDDEN_ATTRIBUTES[node.attr]})"))
            elif node.attr.startswith(FORBIDDEN_ATTRIBUTE_PREFIXES):
                out.append((line, f"uses .{node.attr} (runs another program)"))
            elif node.attr in REEXPORTED_MODULES:
                out.append((line, f"reaches the module {node.attr} through .{node.attr} "
                                  f"({FORBIDDEN_MODULES[node.attr]})"))
            root = _root_name(node)
            module = modules.get(root) if root else None
            if module is not None and isinstance(node.ctx, (ast.Store, ast.Del)):
                out.append((line, f"changes {_shown(node)}, an attribute of the module {module}"))
            if module == "sys" and isinstance(node.value, ast.Name) and node.attr not in SAFE_SYS | FORBIDDEN_ATTRIBUTES.keys():
                out.append((line, f"uses sys.{node.attr} (reaches the interpreter's machinery)"))
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            # a module held in a variable and changed through it: `m = backprop_lib.checking.checks; m.compare = ...`
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Attribute) and isinstance(sub.ctx, ast.Store) and \
                            _root_name(sub) in aliases_of_modules:
                        out.append((line, f"changes {_shown(sub)}, an attribute of a module"))
    return sorted(set(out))


def _shown(node: ast.AST) -> str:
    """Source text of a small node for a message (never fails, never long)."""
    try:
        return ast.unparse(node)[:80]
    except Exception:  # noqa: BLE001 - a node too deep to print
        return "an attribute"


def _module_variables(tree: ast.AST, modules: dict[str, str]) -> set[str]:
    """Names bound to a module or to an attribute path starting at one (``m = backprop_lib.checking.checks``)."""
    out = set(modules)
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and _root_name(node.value) in out | set(modules):
            out.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return out


def student_owned(cell: dict[str, Any]) -> tuple[bool, str | None]:
    """Whether the student owns ``cell`` (a solution cell, or one they added), and its exercise if a solution."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    if cell.get("cell_type") != "code":
        return False, None
    if meta.get("solution"):
        return True, meta.get("grade_id")
    return not meta.get("grade_id"), None


def lint_notebook(cells: list[dict[str, Any]]) -> list[Finding]:
    """Every forbidden construct in the cells the student owns (see the module docstring)."""
    parsed = {i: parse_cell(cell.get("source", "")) for i, cell in enumerate(cells) if cell.get("cell_type") == "code"}
    modules = _module_aliases(tree for tree, _ in parsed.values() if tree is not None)
    findings = []
    for i, cell in enumerate(cells):
        owned, task = student_owned(cell)
        if owned:
            findings += [Finding(task, line, what)
                         for line, what in inspect_cell(cell.get("source", ""), parsed[i], modules)]
    return findings
