"""When a workspace's grades are copied into the main gradebook, is the result what nbgrader itself would have written?

No kernels: two small SQLite gradebooks made through nbgrader's own API, the
workspace's a copy of the main one (as :mod:`autograder.parallel` makes it),
graded as ``nbgrader autograde`` grades.
"""
from __future__ import annotations

import shutil
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder.record_grades import record

#: nbgrader's own session warns as it makes a submission's rows (its commands run with warnings off)
pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")
LESSON = "01_derivatives"
DUE = datetime(2027, 1, 20, 18, 0)


@pytest.fixture(scope="module")
def lessons_db(tmp_path_factory):
    """A main gradebook with one lesson of two graded cells and an answer, and no student (made once: 4 s)."""
    from nbgrader.api import Gradebook

    path = tmp_path_factory.mktemp("lessons") / "gradebook.db"
    with Gradebook(f"sqlite:///{path}") as gb:
        gb.add_assignment(LESSON, duedate=DUE)
        gb.add_notebook(LESSON, LESSON)
        for name, points in (("test_a", 2.0), ("test_b", 3.0)):
            gb.add_grade_cell(name, LESSON, LESSON, max_score=points, cell_type="code")
        gb.add_solution_cell("answer_a", LESSON, LESSON)
    return path


@pytest.fixture
def folders(tmp_path, lessons_db):
    """``(instructor, workspace)``: the main gradebook of :func:`lessons_db`, and the workspace's copy of it."""
    instructor, workspace = tmp_path / "instructor", tmp_path / "instructor" / "workers" / "w000-try1"
    workspace.mkdir(parents=True)
    for db in (instructor / "gradebook.db", workspace / "gradebook.db"):
        shutil.copy(lessons_db, db)
    return instructor, workspace


def autograde(workspace, student: str, scores: dict[str, float], when: datetime | None = None,
              penalty: float | None = None) -> None:
    """What ``nbgrader autograde`` leaves in a workspace: the gradebook's rows and the autograded notebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{workspace / 'gradebook.db'}") as gb:
        gb.update_or_create_student(student)
        gb.add_submission(LESSON, student, **({"timestamp": when} if when else {}))
        notebook = gb.find_submission_notebook(LESSON, LESSON, student)
        for grade in notebook.grades:
            grade.auto_score, grade.needs_manual_grade = scores[grade.name], False
        notebook.comments[0].auto_comment = "No response."
        notebook.late_submission_penalty = penalty
        gb.db.commit()
    folder = workspace / "autograded" / student / LESSON
    folder.mkdir(parents=True)
    (folder / f"{LESSON}.ipynb").write_text("{}")


def main_grades(instructor, student: str) -> dict[str, tuple]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{instructor / 'gradebook.db'}") as gb:
        notebook = gb.find_submission_notebook(LESSON, LESSON, student)
        return {g.name: (g.auto_score, g.manual_score, g.needs_manual_grade) for g in notebook.grades} | {
            "comment": notebook.comments[0].auto_comment, "penalty": notebook.late_submission_penalty,
            "timestamp": notebook.assignment.timestamp}


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=st.sampled_from([0.0, 1.0, 2.0]), b=st.sampled_from([0.0, 3.0]))
def test_the_main_gradebook_gets_the_scores_the_workspace_gave(folders, lessons_db, a, b):
    instructor, workspace = folders
    shutil.rmtree(workspace / "autograded", ignore_errors=True)
    shutil.rmtree(instructor / "autograded", ignore_errors=True)
    for db in (instructor / "gradebook.db", workspace / "gradebook.db"):  # a fresh class each example
        shutil.copy(lessons_db, db)
    autograde(workspace, "ada", {"test_a": a, "test_b": b}, when=DUE - timedelta(hours=1))
    recorded, failures = record(instructor, workspace)
    assert recorded == [("ada", LESSON)] and failures == []
    assert main_grades(instructor, "ada") == {"test_a": (a, None, False), "test_b": (b, None, False),
                                              "comment": "No response.", "penalty": None,
                                              "timestamp": DUE - timedelta(hours=1)}
    assert (instructor / "autograded" / "ada" / LESSON / f"{LESSON}.ipynb").exists()
    assert not (workspace / "autograded" / "ada" / LESSON).exists(), "moved, not copied"


def test_a_score_set_by_hand_survives_and_is_marked_for_review_as_nbgrader_marks_it(folders):
    from nbgrader.api import Gradebook

    instructor, workspace = folders
    with Gradebook(f"sqlite:///{instructor / 'gradebook.db'}") as gb:  # graded before, then changed in the formgrader
        gb.add_student("ada")
        gb.add_submission(LESSON, "ada")
        gb.find_grade("test_a", LESSON, LESSON, "ada").manual_score = 1.5
        gb.db.commit()
    autograde(workspace, "ada", {"test_a": 2.0, "test_b": 0.0})
    record(instructor, workspace)
    grades = main_grades(instructor, "ada")
    assert grades["test_a"] == (2.0, 1.5, True) and grades["test_b"] == (0.0, None, False)


def test_a_late_penalty_counts_only_if_the_submission_is_late_in_the_main_gradebook(folders):
    """An extension lives in the main gradebook: the workspace, which knew nothing of it, found the work late."""
    from nbgrader.api import Gradebook

    instructor, workspace = folders
    late = DUE + timedelta(days=1)
    with Gradebook(f"sqlite:///{instructor / 'gradebook.db'}") as gb:
        gb.add_student("bob")
        gb.add_submission(LESSON, "bob", extension=timedelta(days=2))
    for student in ("ada", "bob"):
        autograde(workspace, student, {"test_a": 2.0, "test_b": 3.0}, when=late, penalty=5.0)
    record(instructor, workspace)
    assert main_grades(instructor, "ada")["penalty"] == 5.0
    assert main_grades(instructor, "bob")["penalty"] is None


def test_a_notebook_nbgrader_failed_on_is_not_recorded(folders):
    instructor, workspace = folders
    autograde(workspace, "ada", {"test_a": 2.0, "test_b": 3.0})
    shutil.rmtree(workspace / "autograded" / "ada")  # nbgrader removes what it failed on
    assert record(instructor, workspace) == ([], [])
    assert not (instructor / "autograded").exists()


def test_a_gradebook_that_refuses_a_notebook_costs_that_notebook_only(folders):
    """The main gradebook lacks a cell the workspace graded: that student's grader failure, and the rest recorded."""
    from nbgrader.api import Gradebook

    instructor, workspace = folders
    autograde(workspace, "ada", {"test_a": 2.0, "test_b": 3.0})
    with Gradebook(f"sqlite:///{workspace / 'gradebook.db'}") as gb:
        gb.add_assignment("02_graphs")
        gb.add_notebook("02_graphs", "02_graphs")
        gb.add_grade_cell("test_c", "02_graphs", "02_graphs", max_score=1.0, cell_type="code")
        gb.add_submission("02_graphs", "ada")
    (workspace / "autograded" / "ada" / "02_graphs").mkdir()
    recorded, failures = record(instructor, workspace)
    assert recorded == [("ada", LESSON)]
    assert [(f.student, f.lesson, f.stage) for f in failures] == [("ada", "02_graphs", "record")]
    assert (workspace / "autograded" / "ada" / "02_graphs").exists(), "kept where it was, never half-moved"
