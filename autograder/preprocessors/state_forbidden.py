"""StateForbidden: each exercise says what its check forbids (runs in ``nbgrader generate_assignment``).

The course library holds reference implementations that later lessons and
widgets use; an exercise's check forbids the ones that would answer it
(called under any name, or copied). Each lesson's checks module lists them
(``FORBIDDEN_REFERENCES``, ``{task: ("module.function", ...)}``), and says
which inputs each exercise's function may change in place (``MAY_MODIFY``,
``{task: ("params",)}``; by default none: every array, list and dict it is
given must come back as it was). This preprocessor appends both to the
instructions right above each exercise, from the very tables the checks
read, so the statement and the check cannot drift apart.
"""
from __future__ import annotations

import ast

from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from traitlets import Bool

MARK = "Not allowed in this exercise"
IN_PLACE_MARK = "Your function's inputs"


def statement(references: tuple[str, ...]) -> str:
    """The sentence naming the library functions an exercise may not use."""
    names = ", ".join(f"`backprop_lib.{r}`" for r in references)
    return (f"\n\n*{MARK}: the course library's own {names}, called or copied (the check fails an answer "
            "that uses one). Write the computation yourself.*")


def in_place_statement(may_modify: tuple[str, ...]) -> str:
    """The sentence saying which inputs an exercise's function may change in place (``()``: none)."""
    if may_modify:
        names = " and ".join(f"`{n}`" for n in may_modify)
        return (f"\n\n*{IN_PLACE_MARK}: it may change {names} in place; every other array, list or dict it is "
                "given must come back as it was (the check fails an answer that changes one).*")
    return (f"\n\n*{IN_PLACE_MARK}: it must not change the arrays, lists or dicts it is given (no `-=`, `+=`, "
            "`[...] =` or `.append()` on them: build new ones); the check fails an answer that does.*")


def exercise_statement(references: tuple[str, ...], may_modify: tuple[str, ...] | None) -> str:
    """All an exercise's instructions end with: the forbidden functions (if any), then the in-place rule.

    ``may_modify`` is None for a function without inputs (nothing to say).
    """
    text = statement(references) if references else ""
    return text + (in_place_statement(may_modify) if may_modify is not None else "")


def takes_inputs(source: str, task: str) -> bool:
    """Whether the function ``task`` defined in a solution cell takes any argument (True when unsure)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return True
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == task:
            a = node.args
            return bool(a.posonlyargs or a.args or a.vararg or a.kwonlyargs or a.kwarg)
    return True


class StateForbidden(Preprocessor):
    """Append to the markdown above each exercise the library functions its check forbids and its in-place rule."""

    # nbconvert registers configured preprocessors disabled; this one must always run
    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict):
        from ..verify import checks_module

        lesson = resources.get("nbgrader", {}).get("assignment", "")
        module = checks_module(lesson) if lesson else None
        forbidden = getattr(module, "FORBIDDEN_REFERENCES", {}) if module else {}
        may_modify = getattr(module, "MAY_MODIFY", {}) if module else {}
        above = None
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                above = cell
                continue
            task = cell.metadata.get("nbgrader", {}).get("grade_id")
            if not cell.metadata.get("nbgrader", {}).get("solution") or above is None or module is None:
                continue
            if task in forbidden and MARK not in above.source:
                above.source = above.source.rstrip() + statement(tuple(forbidden[task]))
            if takes_inputs(cell.source, task) and IN_PLACE_MARK not in above.source:
                above.source = above.source.rstrip() + in_place_statement(tuple(may_modify.get(task, ())))
        return nb, resources
