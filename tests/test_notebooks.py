"""Do the lesson notebooks run, and is course/ exactly what nbgrader makes of solutions/?"""
from __future__ import annotations

import json

import nbformat
import pytest

from autograder.layout import COURSE, SOLUTIONS, lessons, notebook_name
from autograder.nbgrader_runner import Nbgrader
from conftest import execute

from autograder.demo import graded_tasks
from autograder.preprocessors.mark_self_checks import TAG, is_test_cell

LESSONS = lessons()
GRADED = [lesson for lesson in LESSONS if graded_tasks(lesson)]  # lesson 00 has no exercises


def source_nb(lesson: str) -> nbformat.NotebookNode:
    return nbformat.read(SOLUTIONS / lesson / notebook_name(lesson), as_version=4)


def course_nb(lesson: str) -> nbformat.NotebookNode:
    return nbformat.read(COURSE / lesson / notebook_name(lesson), as_version=4)


def errors_and_stderr(nb: nbformat.NotebookNode) -> list[str]:
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                found.append(f"cell {i}: {out.ename}: {out.evalue}")
            elif out.output_type == "stream" and out.name == "stderr":
                found.append(f"cell {i} wrote to stderr: {out.text[:200]}")
    return found


@pytest.mark.slow
@pytest.mark.parametrize("lesson", LESSONS)
def test_solution_notebook_runs_top_to_bottom_in_a_fresh_kernel(lesson):
    nb = execute(source_nb(lesson), SOLUTIONS / lesson)
    assert errors_and_stderr(nb) == []


@pytest.mark.slow
@pytest.mark.parametrize("lesson", GRADED)
def test_run_all_on_an_unsolved_student_notebook_reaches_its_last_cell(lesson):
    """What a student sees after Run All before solving anything: the whole lesson, every self-check failing."""
    nb = execute(course_nb(lesson), COURSE / lesson)  # stops at an error in any cell not tagged raises-exception
    last = [c for c in nb.cells if c.cell_type == "code"][-1]
    assert last.execution_count is not None, "Run All stopped before the last cell"
    problems = errors_and_stderr(nb)
    failing = {i for i, c in enumerate(nb.cells) if any(o.output_type == "error" for o in c.get("outputs", []))}
    assert failing == {i for i, c in enumerate(nb.cells) if is_test_cell(c)}, problems
    assert all("NameError" not in p for p in problems), problems
    assert not [p for p in problems if "stderr" in p], problems


@pytest.mark.parametrize("lesson", LESSONS)
def test_student_notebook_holds_no_solution_no_hidden_test_and_no_output(lesson):
    nb = course_nb(lesson)
    text = json.dumps(nb)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "hidden_rng(\\\""):
        assert marker not in text, f"{marker} leaked into course/{lesson}"
    assert all(not c.get("outputs") and c.get("execution_count") is None
               for c in nb.cells if c.cell_type == "code")
    # and the reference code of each solution cell is gone
    for cell in source_nb(lesson).cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            body = cell.source.split("### BEGIN SOLUTION")[1].split("### END SOLUTION")[0].strip()
            assert body not in text


@pytest.mark.slow
@pytest.mark.parametrize("lesson", [lesson for lesson in LESSONS if not graded_tasks(lesson)])
def test_a_lesson_without_exercises_runs_top_to_bottom_as_a_student_gets_it(lesson):
    nb = execute(course_nb(lesson), COURSE / lesson)
    assert errors_and_stderr(nb) == []


@pytest.mark.parametrize("lesson", GRADED)
def test_every_exercise_stub_raises_not_implemented(lesson):
    stubs = [c for c in course_nb(lesson).cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert stubs, "a lesson with exercises has solution cells"
    for cell in stubs:
        task = cell.metadata["nbgrader"]["grade_id"]
        assert f"raise NotImplementedError('Exercise {task}: " in cell.source


@pytest.mark.parametrize("lesson", GRADED)
def test_only_the_self_checks_may_raise_during_run_all(lesson):
    tagged = [c for c in course_nb(lesson).cells if TAG in c.metadata.get("tags", [])]
    assert tagged and all(is_test_cell(c) for c in tagged)
    assert len(tagged) == sum(is_test_cell(c) for c in course_nb(lesson).cells)


@pytest.mark.slow
def test_course_folder_equals_what_make_course_generates(tmp_path):
    Nbgrader(tmp_path / "instructor").generate(LESSONS, release_dir=tmp_path / "release")
    for lesson in LESSONS:
        fresh = (tmp_path / "release" / lesson / notebook_name(lesson)).read_text()
        committed = (COURSE / lesson / notebook_name(lesson)).read_text()
        assert fresh == committed, f"course/{lesson} is stale: run `make course`"
