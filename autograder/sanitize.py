"""Rebuild a submission's structure from the released notebook before nbgrader sees it.

A student owns the *source of their solution cells* and any cells they add;
everything else in the notebook belongs to the course. Students (and their
editors) still manage to delete, edit, split, copy and re-tag cells, or change
cell metadata (points, grade flags, a ``skip-execution`` tag that nbclient
obeys). nbgrader restores some of this and crashes on the rest (a copied
test cell makes its ``OverwriteCells.add_missing_cells`` raise ``KeyError``).

:func:`normalize` keeps the order of the student's cells and, by ``grade_id``:

* a course cell (instructions, examples, test cells) is replaced by the
  released cell, source and metadata (hidden tests come back from the
  gradebook during autograding as usual);
* a solution cell keeps the student's source under the released metadata;
* a second copy of a course or solution cell keeps its code as a plain cell
  (a split solution still runs), with no grading metadata;
* a course or solution cell the student deleted is put back after the cell
  that precedes it in the released notebook;
* any other nbgrader metadata and every tag on student cells is dropped.

It returns the repaired notebook and one line per repair, for the log.
"""
from __future__ import annotations

import copy

import nbformat
from nbformat import NotebookNode


def _grade_id(cell: NotebookNode) -> str | None:
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta.get("grade_id") if isinstance(meta, dict) else None


def _plain(cell: NotebookNode) -> NotebookNode:
    """A copy of ``cell`` with no grading metadata and no tags."""
    out = copy.deepcopy(cell)
    out.metadata.pop("nbgrader", None)
    out.metadata.pop("tags", None)
    out.metadata.pop("deletable", None)
    out.metadata.pop("editable", None)
    if out.get("cell_type") == "code":
        out["outputs"], out["execution_count"] = [], None
    return out


def normalize(submitted: NotebookNode, released: NotebookNode) -> tuple[NotebookNode, list[str]]:
    """The submission rebuilt around the released notebook's cells; returns ``(nb, repairs)``."""
    canon = {_grade_id(c): c for c in released.cells if _grade_id(c)}
    order = [_grade_id(c) for c in released.cells if _grade_id(c)]
    repairs: list[str] = []
    seen: set[str] = set()
    cells: list[NotebookNode] = []
    for cell in submitted.cells:
        gid = _grade_id(cell)
        if gid not in canon:
            if gid is not None or cell.metadata.get("tags"):
                repairs.append(f"cell {gid or '(untagged)'}: unknown grading metadata or tags removed")
            cells.append(_plain(cell))
            continue
        if gid in seen:
            repairs.append(f"cell {gid} appears twice: the copy is kept as plain code")
            if cell.get("cell_type") == "code" and canon[gid].metadata["nbgrader"].get("solution"):
                cells.append(_plain(cell))
            continue
        seen.add(gid)
        ref = copy.deepcopy(canon[gid])
        if ref.metadata["nbgrader"].get("solution"):
            if cell.get("cell_type") == ref.cell_type:
                ref.source = cell.source
            else:
                repairs.append(f"cell {gid}: cell type changed, the released stub is used")
        elif cell.get("source") != ref.source or cell.metadata.get("nbgrader") != ref.metadata["nbgrader"] \
                or cell.metadata.get("tags", []) != ref.metadata.get("tags", []):
            repairs.append(f"cell {gid} was changed: the course's version is restored")
        cells.append(ref)
    for gid in order:
        if gid not in seen:
            repairs.append(f"cell {gid} was deleted: the course's version is restored")
            before = order[: order.index(gid)]
            at = max((i + 1 for i, c in enumerate(cells) if _grade_id(c) in before), default=0)
            cells.insert(at, copy.deepcopy(canon[gid]))
            seen.add(gid)
    used: set[str] = set()
    for i, cell in enumerate(cells):  # cell ids must be unique (nbformat 4.5)
        if not cell.get("id") or cell["id"] in used:
            cell["id"] = f"student-{i:03d}"
        used.add(cell["id"])
    nb = nbformat.v4.new_notebook(cells=cells, metadata=copy.deepcopy(released.metadata))
    nb.nbformat, nb.nbformat_minor = released.nbformat, released.nbformat_minor
    return nb, repairs
