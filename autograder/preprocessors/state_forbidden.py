"""StateForbidden: each exercise says which library functions it may not use (runs in ``nbgrader generate_assignment``).

The course library holds reference implementations that later lessons and
widgets use; an exercise's check forbids the ones that would answer it
(called under any name, or copied). Each lesson's checks module lists them
(``FORBIDDEN_REFERENCES``, ``{task: ("module.function", ...)}``), and this
preprocessor appends that list to the instructions right above each
exercise, so the statement and the check cannot drift apart.
"""
from __future__ import annotations

from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from traitlets import Bool

MARK = "Not allowed in this exercise"


def statement(references: tuple[str, ...]) -> str:
    """The sentence an exercise's instructions end with."""
    names = ", ".join(f"`backprop_lib.{r}`" for r in references)
    return (f"\n\n*{MARK}: the course library's own {names}, called or copied (the check fails an answer "
            "that uses one). Write the computation yourself.*")


class StateForbidden(Preprocessor):
    """Append to the markdown above each exercise the library functions its check forbids."""

    # nbconvert registers configured preprocessors disabled; this one must always run
    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict):
        from ..verify import checks_module

        lesson = resources.get("nbgrader", {}).get("assignment", "")
        forbidden = getattr(checks_module(lesson), "FORBIDDEN_REFERENCES", {}) if lesson else {}
        above = None
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                above = cell
                continue
            task = cell.metadata.get("nbgrader", {}).get("grade_id")
            if cell.metadata.get("nbgrader", {}).get("solution") and task in forbidden and above is not None \
                    and MARK not in above.source:
                above.source = above.source.rstrip() + statement(tuple(forbidden[task]))
        return nb, resources
