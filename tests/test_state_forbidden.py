"""Does every exercise of the student version say which library functions it may not use?"""
from __future__ import annotations

import nbformat
import pytest

from autograder import demo
from autograder.layout import COURSE, lessons
from autograder.preprocessors.state_forbidden import MARK, statement
from autograder.verify import checks_module


@pytest.mark.parametrize("lesson", [lesson for lesson in lessons() if demo.graded_tasks(lesson)])
def test_each_exercise_names_every_function_its_check_forbids(lesson):
    nb = nbformat.read(COURSE / lesson / f"{lesson}.ipynb", as_version=4)
    forbidden = checks_module(lesson).FORBIDDEN_REFERENCES
    above = ""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            above = cell.source
            continue
        task = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution"):
            assert forbidden.get(task), f"{lesson}: {task} forbids nothing"
            assert above.endswith(statement(tuple(forbidden[task])).strip()), f"{lesson}: {task}"


def test_the_statement_names_each_function_in_full():
    text = statement(("checking.gradcheck.central_difference", "nn.activations.sigmoid_prime"))
    assert MARK in text and "`backprop_lib.checking.gradcheck.central_difference`" in text
    assert "`backprop_lib.nn.activations.sigmoid_prime`" in text and "copied" in text
