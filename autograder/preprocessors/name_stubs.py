"""NameStubs: each exercise stub names its exercise (runs in ``nbgrader generate_assignment``)."""
from __future__ import annotations

from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from traitlets import Bool

STUB = "raise NotImplementedError()"


class NameStubs(Preprocessor):
    """Make each exercise stub name its exercise (runs in ``generate_assignment``).

    nbgrader replaces a solution region by ``raise NotImplementedError()``;
    this turns it into ``raise NotImplementedError("Exercise TASK: ...")`` so
    that running an unfinished notebook says which exercise is missing.
    """

    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell: NotebookNode, resources: dict, index: int):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution") and STUB in cell.source:
            message = f"Exercise {meta['grade_id']}: replace this line with your code"
            cell.source = cell.source.replace(STUB, f"raise NotImplementedError({message!r})")
        return cell, resources
