"""Reading a lesson's solution notebook in its tests: a cell by id, its prose, some of its cells run."""
from __future__ import annotations

import contextlib
import io

import nbformat

from autograder.layout import SOLUTIONS


def read(lesson: str) -> nbformat.NotebookNode:
    """The solution notebook of ``lesson`` (``"07_vanishing"``)."""
    return nbformat.read(SOLUTIONS / lesson / f"{lesson}.ipynb", as_version=4)


def source(nb: nbformat.NotebookNode, cell_id: str) -> str:
    """The source of the cell called ``cell_id``."""
    return next(c.source for c in nb.cells if c.get("id") == cell_id)


def markdown(nb: nbformat.NotebookNode) -> str:
    """Every markdown cell's source, one after the other."""
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def run(nb: nbformat.NotebookNode, *cell_ids: str) -> dict:
    """The namespace after running the lesson's import cell (``cell-02``) and then the given cells (prints hidden)."""
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        for cell_id in ("cell-02", *cell_ids):
            exec(source(nb, cell_id), namespace)  # noqa: S102 - the course's own notebook
    return namespace
