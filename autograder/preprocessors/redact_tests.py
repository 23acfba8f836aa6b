"""RedactTests: hide hidden tests and tracebacks in feedback (runs in ``nbgrader generate_feedback``).

:class:`RedactTests` runs inside ``nbgrader generate_feedback`` (see
``nbgrader_config.py``). nbgrader's own feedback shows the autograded
notebook as it ran: with the hidden tests restored into the test cells and
with full tracebacks into test code. This preprocessor removes both and keeps
what teaches: the visible self-check, the points, and the one-paragraph
diagnosis that the checks put in their error message.
"""
from __future__ import annotations

import re

from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from traitlets import Bool

ANSI = re.compile(r"\x1b\[[0-9;]*m")
BEGIN, END = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
HIDDEN_NOTE = "# (hidden tests ran here on fresh inputs chosen for you; their code is not shown)"


def strip_hidden(source: str) -> str:
    """``source`` with every hidden-test region replaced by a one-line note."""
    out, hidden = [], False
    for line in source.splitlines():
        if BEGIN in line:
            hidden = True
            out.append(HIDDEN_NOTE)
        elif END in line:
            hidden = False
        elif not hidden:
            out.append(line)
    return "\n".join(out)


def explain_error(ename: str, evalue: str) -> str:
    """The student-facing text of an error raised in a test cell (no traceback)."""
    evalue = ANSI.sub("", evalue).strip()
    if ename == "CheckFailed":
        return f"✗ {evalue}"
    if ename in {"KeyboardInterrupt", "CellTimeoutError"}:
        return ("✗ this cell did not finish: it was stopped after the time limit "
                "(an infinite loop, or a very slow function?)")
    if ename == "DeadKernelError":
        return f"✗ {evalue}"
    if ename == "MemoryError":
        return "✗ MemoryError: your code asked for more memory than a grading kernel may use"
    if ename == "NameError":
        return (f"✗ {ename}: {evalue}. Did the cell that defines it run without error, "
                "and is the name spelled as in the exercise?")
    return f"✗ {ename}: {evalue}"


def redact_outputs(outputs: list[NotebookNode]) -> list[NotebookNode]:
    """Replace each error output's traceback by :func:`explain_error`; drop stderr."""
    kept = []
    for out in outputs:
        if out.get("output_type") == "error":
            out["traceback"] = [explain_error(out.get("ename", ""), out.get("evalue", ""))]
        elif out.get("output_type") == "stream" and out.get("name") == "stderr":
            continue
        kept.append(out)
    return kept


class RedactTests(Preprocessor):
    """Hide hidden tests in test cells, and shorten every error to one line, in a feedback notebook."""

    # nbconvert registers configured preprocessors disabled; this one must always run
    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell: NotebookNode, resources: dict, index: int):
        if cell.cell_type != "code":
            return cell, resources
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            cell.source = strip_hidden(cell.source)
        # every error, in any cell, as one line: frames may run through the checks' code
        cell.outputs = redact_outputs(cell.get("outputs", []))
        return cell, resources
