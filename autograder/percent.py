"""Convert between a percent-format text file and an nbgrader source notebook.

Lessons are edited either in JupyterLab (with nbgrader's "Create Assignment"
toolbar) or as text, which reviews and diffs better. The text format::

    # %% [markdown]
    # # A heading
    # Some prose (every line starts with "# ").

    # %%
    import numpy as np              # a read-only code cell

    # %% [solution] id=central_difference
    def central_difference(...):    # the student's answer cell
        ### BEGIN SOLUTION
        ...
        ### END SOLUTION

    # %% [tests] id=test_central_difference points=2
    check_central_difference(central_difference)      # the self-check
    ### BEGIN HIDDEN TESTS
    check_central_difference(central_difference, rng=hidden_rng("central_difference"))
    ### END HIDDEN TESTS

    # %% [scratch]
    # an editable cell without grading metadata (experiments, widgets)

Usage: ``python -m autograder.percent to-notebook lesson.py out.ipynb`` and
``python -m autograder.percent to-text in.ipynb lesson.py``.
"""
from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

import nbformat

HEADER = re.compile(r"^# %%(?: \[(?P<kind>\w+)\])?(?P<attrs>.*)$")
SCHEMA = 3


def _nbgrader(grade_id: str, *, grade: bool = False, solution: bool = False, locked: bool = False,
              points: float | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked,
            "schema_version": SCHEMA, "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return meta


def _parse_attrs(text: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in shlex.split(text.strip()))


def _blocks(text: str) -> list[tuple[str, dict[str, str], list[str]]]:
    blocks: list[tuple[str, dict[str, str], list[str]]] = []
    for line in text.splitlines():
        m = HEADER.match(line)
        if m:
            blocks.append((m.group("kind") or "code", _parse_attrs(m.group("attrs")), []))
        elif blocks:
            blocks[-1][2].append(line)
        elif line.strip():
            raise ValueError(f"text before the first '# %%' header: {line!r}")
    return blocks


def _trim(lines: list[str]) -> str:
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    while lines and not lines[0].strip():
        lines = lines[1:]
    return "\n".join(lines)


def to_notebook(text: str) -> nbformat.NotebookNode:
    """Build an nbgrader source notebook from percent-format text.

    Every markdown and plain code cell is locked (read-only; nbgrader restores
    it if a student edits it); solution cells are editable; test cells are
    locked and carry points.
    """
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    counter = 0
    for kind, attrs, lines in _blocks(text):
        counter += 1
        if kind == "markdown":
            body = [ln[2:] if ln.startswith("# ") else ln.lstrip("#") for ln in lines]
            cell = nbformat.v4.new_markdown_cell(_trim(body))
            cell.metadata["nbgrader"] = _nbgrader(attrs.get("id", f"cell-{counter:02d}"), locked=True)
        elif kind == "code":
            cell = nbformat.v4.new_code_cell(_trim(lines))
            cell.metadata["nbgrader"] = _nbgrader(attrs.get("id", f"cell-{counter:02d}"), locked=True)
        elif kind == "solution":
            cell = nbformat.v4.new_code_cell(_trim(lines))
            cell.metadata["nbgrader"] = _nbgrader(attrs["id"], solution=True)
        elif kind == "tests":
            cell = nbformat.v4.new_code_cell(_trim(lines))
            cell.metadata["nbgrader"] = _nbgrader(attrs["id"], grade=True, locked=True,
                                                  points=float(attrs["points"]))
        elif kind == "scratch":
            cell = nbformat.v4.new_code_cell(_trim(lines))
        else:
            raise ValueError(f"unknown cell kind [{kind}]")
        cell.id = re.sub(r"[^A-Za-z0-9-]", "-", cell.metadata.get("nbgrader", {}).get("grade_id", f"scratch-{counter:02d}"))
        nb.cells.append(cell)
    return nb


def to_text(nb: nbformat.NotebookNode) -> str:
    """The percent-format text of an nbgrader source notebook (inverse of :func:`to_notebook`)."""
    out: list[str] = []
    for position, cell in enumerate(nb.cells, start=1):
        meta = cell.metadata.get("nbgrader")
        # an id is written unless to_notebook would give the same one (cell-NN, NN its position)
        auto_id = bool(meta) and meta["grade_id"] == f"cell-{position:02d}"
        id_attr = "" if not meta or auto_id else f" id={meta['grade_id']}"
        if cell.cell_type == "markdown":
            out.append(f"# %% [markdown]{id_attr}")
            out.extend(("# " + ln).rstrip() for ln in cell.source.splitlines())
        elif not meta:
            out += ["# %% [scratch]", cell.source]
        elif meta.get("grade"):
            points = meta.get("points", 0)
            points = int(points) if float(points).is_integer() else points
            out += [f"# %% [tests] id={meta['grade_id']} points={points}", cell.source]
        elif meta.get("solution"):
            out += [f"# %% [solution] id={meta['grade_id']}", cell.source]
        else:
            out += [f"# %%{id_attr}", cell.source]
        out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    for name in ("to-notebook", "to-text"):
        p = sub.add_parser(name)
        p.add_argument("src", type=Path)
        p.add_argument("dst", type=Path)
    args = parser.parse_args(argv)
    if args.cmd == "to-notebook":
        nbformat.write(to_notebook(args.src.read_text()), args.dst)
    else:
        args.dst.write_text(to_text(nbformat.read(args.src, as_version=4)))


if __name__ == "__main__":
    main()
