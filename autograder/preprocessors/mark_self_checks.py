"""MarkSelfChecks: Run All goes on past a failing self-check (runs in ``nbgrader generate_assignment``).

A student's notebook is full of exercises not done yet, and each self-check
cell under one raises. JupyterLab's Run All, like nbclient, stops at the first
cell that raises, so the rest of the lesson (its explanations' code, widgets
and plots) would never run. Both go on past a cell tagged
``raises-exception``; this preprocessor puts that tag on every test cell of
the student version.

The tag changes nothing in grading: nbgrader executes with ``allow_errors``
on, and Validate and autograde read a test cell's error output, so a failing
self-check still fails (``tests/test_mark_self_checks.py`` runs nbgrader
validate to show it).
"""
from __future__ import annotations

from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from traitlets import Bool

TAG = "raises-exception"


def is_test_cell(cell: NotebookNode) -> bool:
    """True for an nbgrader test cell: a graded code cell that is not the student's answer."""
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


class MarkSelfChecks(Preprocessor):
    """Tag every test cell ``raises-exception``, so that Run All continues past its failure."""

    # nbconvert registers configured preprocessors disabled; this one must always run
    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell: NotebookNode, resources: dict, index: int):
        if is_test_cell(cell):
            tags = cell.metadata.setdefault("tags", [])
            if TAG not in tags:
                tags.append(TAG)
        return cell, resources
