"""Does every exercise of the student version say which library functions it may not use, and what it may change?"""
from __future__ import annotations

import ast

import nbformat
import pytest

from autograder import demo
from autograder.layout import COURSE, lessons
from autograder.preprocessors.state_forbidden import (IN_PLACE_MARK, MARK, exercise_statement, in_place_statement,
                                                      statement, takes_inputs)
from autograder.verify import checks_module

GRADED = [lesson for lesson in lessons() if demo.graded_tasks(lesson)]


@pytest.mark.parametrize("lesson", GRADED)
def test_each_exercise_names_every_function_its_check_forbids_and_what_it_may_change(lesson):
    nb = nbformat.read(COURSE / lesson / f"{lesson}.ipynb", as_version=4)
    module = checks_module(lesson)
    forbidden, may_modify = module.FORBIDDEN_REFERENCES, module.MAY_MODIFY
    above = ""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            above = cell.source
            continue
        task = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution"):
            assert forbidden.get(task), f"{lesson}: {task} forbids nothing"
            may = tuple(may_modify.get(task, ())) if takes_inputs(cell.source, task) else None
            assert above.endswith(exercise_statement(tuple(forbidden[task]), may).strip()), f"{lesson}: {task}"


def _parameters(lesson: str, task: str) -> list[str]:
    for node in ast.walk(ast.parse(demo.solution_sources(lesson)[task])):
        if isinstance(node, ast.FunctionDef) and node.name == task:
            return [a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs]
    raise AssertionError(f"{lesson}: no def {task}")


@pytest.mark.parametrize("lesson", GRADED)
def test_does_each_input_an_exercise_may_change_exist_and_each_answer_kind_name_a_task(lesson):
    module = checks_module(lesson)
    tasks = set(demo.graded_tasks(lesson))
    for task, positions in module.MAY_MODIFY.items():
        assert task in tasks, (lesson, task)
        assert all(_parameters(lesson, task)[i] == name for name, i in positions.items()), (lesson, task, positions)
    assert set(module.RETURNS) <= tasks, lesson


def test_the_statement_names_each_function_in_full():
    text = statement(("checking.gradcheck.central_difference", "nn.activations.sigmoid_prime"))
    assert MARK in text and "`backprop_lib.checking.gradcheck.central_difference`" in text
    assert "`backprop_lib.nn.activations.sigmoid_prime`" in text and "copied" in text


def test_does_the_in_place_sentence_say_what_may_change_and_what_may_not():
    assert IN_PLACE_MARK in in_place_statement(()) and "must not change" in in_place_statement(())
    allowed = in_place_statement(("params",))
    assert "may change `params` in place" in allowed and "every other array" in allowed
    assert exercise_statement((), None) == ""  # a function without inputs: nothing to say
    assert takes_inputs("def f():\n    return 1", "f") is False and takes_inputs("def f(x): pass", "f")
