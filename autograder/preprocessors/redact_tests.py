"""RedactTests: hide hidden tests, their inputs and tracebacks in feedback (runs in ``nbgrader generate_feedback``).

:class:`RedactTests` runs inside ``nbgrader generate_feedback`` (see
``nbgrader_config.py``). nbgrader's own feedback shows the autograded
notebook as it ran: with the hidden tests restored into the test cells and
with full tracebacks into test code. This preprocessor removes both and keeps
what teaches: the visible self-check's code, the points, and the grader's
verdict on each exercise, with the one-paragraph diagnosis of the checks.

What the student's code printed cannot be trusted once a hidden test has run
in the kernel: ``print(In)`` shows its source, a function that prints its
arguments shows the inputs it was called with, and any later cell can print
what an earlier one kept. So, fail closed:

* a test cell shows only the grader's verdict (its first output, which the
  grader wrote: ``autograder.verify.apply_verdicts``), never what the kernel
  printed around it;
* every other cell shows its outputs only if it ran before the first hidden
  test; later ones show a one-line note instead;
* and any output that still quotes a line of a hidden test is replaced by
  that note too.
"""
from __future__ import annotations

import re

from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from traitlets import Bool

ANSI = re.compile(r"\x1b\[[0-9;]*m")
BEGIN, END = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
HIDDEN_NOTE = "# (hidden tests ran here on fresh inputs chosen for you; their code is not shown)"
#: What stands for the outputs of a cell that ran after a hidden test.
OUTPUT_NOTE = "(output not shown in feedback: this cell ran after a hidden test, whose code and inputs stay hidden)"
#: The first line of a passing verdict (see autograder.verify.PASSED).
PASSED = re.compile(r"^\u2714 \w+: passed \(judged by the grader on hidden inputs\)$")


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


def hidden_lines(source: str) -> list[str]:
    """The non-trivial lines of ``source``'s hidden-test regions (what no output may quote)."""
    out, hidden = [], False
    for line in source.splitlines():
        if BEGIN in line:
            hidden = True
        elif END in line:
            hidden = False
        elif hidden and len(line.strip()) >= 8:
            out.append(line.strip())
    return out


def output_text(out: NotebookNode) -> str:
    """Every piece of text an output carries (stream, error, every data format), joined."""
    parts = [out.get("text", ""), out.get("ename", ""), out.get("evalue", ""), *out.get("traceback", [])]
    parts += [v if isinstance(v, str) else str(v) for v in (out.get("data") or {}).values()]
    return "\n".join(p if isinstance(p, str) else "".join(map(str, p)) for p in parts)


def is_verdict(out: NotebookNode) -> bool:
    """Is ``out`` the grader's verdict on a test cell (an error, or the "passed" line), as apply_verdicts writes it?"""
    if out.get("output_type") == "error":
        return True
    text = str(out.get("text", ""))
    return (out.get("output_type") == "stream" and out.get("name") == "stdout" and bool(text.strip())
            and all(PASSED.match(line) for line in text.strip().splitlines()))


def note_output() -> NotebookNode:
    return NotebookNode(output_type="stream", name="stdout", text=OUTPUT_NOTE + "\n")


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


def is_test_cell(cell: NotebookNode) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and isinstance(meta, dict) and bool(meta.get("grade")) \
        and not meta.get("solution")


class RedactTests(Preprocessor):
    """Hide hidden tests and whatever could carry them, and shorten every error to one line, in a feedback notebook."""

    # nbconvert registers configured preprocessors disabled; this one must always run
    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict):
        tests = [i for i, c in enumerate(nb.cells) if is_test_cell(c)]
        hidden = [i for i in tests if BEGIN in nb.cells[i].get("source", "")]
        first = min(hidden or tests, default=len(nb.cells))
        secrets = [line for i in tests for line in hidden_lines(nb.cells[i].get("source", ""))]
        for index, cell in enumerate(nb.cells):
            if cell.get("cell_type") != "code":
                continue
            outputs = list(cell.get("outputs", []))
            if index in tests:
                cell.source = strip_hidden(cell.source)
                outputs = outputs[:1] if outputs and is_verdict(outputs[0]) else []
            elif index > first and outputs:
                outputs = [note_output()]
            outputs = [note_output() if any(s in output_text(o) for s in secrets) else o for o in outputs]
            # every error, in any cell, as one line: frames may run through the checks' code
            cell.outputs = redact_outputs(outputs)
        return nb, resources
