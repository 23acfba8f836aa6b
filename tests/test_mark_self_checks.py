"""Does Run All go on past a failing self-check, while Validate still reports it as a failure?"""
from __future__ import annotations

import shutil
import subprocess
import sys

import nbformat
import pytest

from autograder.layout import COURSE, REPO, notebook_name
from autograder.preprocessors import MarkSelfChecks
from autograder.preprocessors.mark_self_checks import TAG, is_test_cell


def cell(kind: str, **nbgrader: object) -> nbformat.NotebookNode:
    new = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    c = new("x = 1")
    if nbgrader:
        c.metadata["nbgrader"] = dict(nbgrader)
    return c


def test_only_test_cells_are_tagged_and_only_once():
    test, answer, plain, prose = (cell("code", grade=True, solution=False), cell("code", grade=False, solution=True),
                                  cell("code"), cell("markdown", grade=True, solution=False))
    test.metadata["tags"] = ["keep-me"]
    nb = nbformat.v4.new_notebook(cells=[test, answer, plain, prose])
    MarkSelfChecks().preprocess(nb, {})
    MarkSelfChecks().preprocess(nb, {})
    assert test.metadata["tags"] == ["keep-me", TAG]
    assert all(TAG not in c.metadata.get("tags", []) for c in (answer, plain, prose))


def test_an_answer_cell_that_is_also_graded_is_not_a_test_cell():
    assert not is_test_cell(cell("code", grade=True, solution=True))


@pytest.mark.slow
def test_validate_still_fails_an_unsolved_lesson_whose_self_checks_are_tagged(tmp_path):
    lesson = "01_derivatives"
    target = tmp_path / notebook_name(lesson)
    shutil.copy(COURSE / lesson / notebook_name(lesson), target)
    assert any(TAG in c.metadata.get("tags", []) for c in nbformat.read(target, as_version=4).cells)
    proc = subprocess.run([sys.executable, "-m", "nbgrader", "validate", str(target)], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert "The following cell failed" in out, out[-2000:]
    assert "check_central_difference(central_difference)" in out
    assert "Success! Your notebook passes all the tests." not in out
