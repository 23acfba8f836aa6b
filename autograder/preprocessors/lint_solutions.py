"""LintSolutions: nbgrader's Validate button names a forbidden construct before the student submits."""
from __future__ import annotations

import textwrap

from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from traitlets import Bool

from ..lint import lint_notebook
from ..verify import fail_cell


class LintSolutions(Preprocessor):
    """Add each :mod:`autograder.lint` finding as an error to the test cells it would cost (runs in ``validate``).

    Grading fails those exercises from the grader's side (``verify.verify_notebook``);
    this shows the student the same message first. A finding in a solution
    cell marks the test cells of that exercise (``test_<task>``), one in a
    cell the student added marks every test cell.
    """

    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict):
        findings = lint_notebook(nb.cells)
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
                continue
            task = str(meta.get("grade_id", "")).removeprefix("test_")
            hits = [f for f in findings if f.task in (None, task)]
            if hits:
                text = hits[0].message()
                fail_cell(cell, text, [textwrap.fill(f"CheckFailed: {text}", 80)])  # Validate cuts lines at 90
        return nb, resources


def add_to_validate() -> None:
    """Make nbgrader's Validate run :class:`LintSolutions` too (called by both nbgrader configurations).

    ``Validator.preprocessors`` is not configurable (a list of classes), so its default is extended.
    """
    from nbgrader.validator import Validator

    trait = Validator.class_traits()["preprocessors"]
    default = list(trait.default())
    if LintSolutions not in default:
        trait.default_args = ([*default, LintSolutions],)
