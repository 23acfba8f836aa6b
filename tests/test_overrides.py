"""An instructor changes one exercise's score by hand: does every output show it, with the reason, and keep it?

The small class of lesson 01 (``tests/postgres_support.py``) is graded once on
SQLite; then ``python -m autograder override`` gives the student with a typical
mistake (named ``Smith, J [1234]``, which nbgrader cannot take as an id) 1.5 of
the 2 points of ``central_difference``, the class is graded again on two dask
workers (each workspace a gradebook of its own), and the override is cleared.
The same command on PostgreSQL is in ``tests/test_postgres.py``.
"""
from __future__ import annotations

import csv
import re
import subprocess
import sys

import pytest
from conftest import REPO, require_sandbox
from postgres_support import LESSON, ODD_NAME, grade, graded_on_sqlite, snapshot

from autograder import layout, overrides, records

pytestmark = pytest.mark.slow
TASK = "central_difference"
REASON = "The idea is right; only the step size was off (see my note in class)"


def command(instructor, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", "override", *args, "--instructor", str(instructor)],
                          cwd=REPO, capture_output=True, text=True, timeout=600)


def state(instructor) -> dict:
    """What the student and the instructor read: the grade files, the student's page, the report's plot."""
    page = layout.feedback_path(instructor, ODD_NAME, LESSON).read_text(encoding="utf-8")
    return {"files": snapshot(instructor), "page": page, "text": re.sub(r"<[^>]+>", " ", page),
            "plot": (instructor / "report" / "class_report.png").stat().st_mtime_ns}


@pytest.fixture(scope="module")
def journey(tmp_path_factory):
    require_sandbox()
    graded = graded_on_sqlite(tmp_path_factory)
    instructor = graded.instructor
    before = state(instructor)
    refused = command(instructor, ODD_NAME, LESSON, TASK, "2.5", "--reason", REASON)
    after_refusal = state(instructor)
    done = command(instructor, ODD_NAME, LESSON, TASK, "1.5", "--reason", REASON)
    after_set = state(instructor)
    regrade = grade(graded.submissions, instructor, workers=2)
    after_regrade = state(instructor)
    cleared = command(instructor, ODD_NAME, LESSON, TASK, "--clear")
    after_clear = state(instructor)
    return {"graded": graded, "instructor": instructor, "before": before, "refused": refused,
            "after_refusal": after_refusal, "done": done, "after_set": after_set, "regrade": regrade,
            "after_regrade": after_regrade, "cleared": cleared, "after_clear": after_clear}


def score_in(files: dict[str, str], name: str, student: str = ODD_NAME) -> dict[str, str]:
    rows = list(csv.DictReader(files[name].splitlines()))
    key = "student_id" if name == "grades.csv" else "student"
    return next(r for r in rows if r[key] == student and (name == "grades_lms.csv" or r.get(
        "exercise", TASK) == TASK))


def test_the_command_names_what_it_did(journey):
    assert journey["done"].returncode == 0, journey["done"].stderr
    assert f"{ODD_NAME} {LESSON} {TASK} = 1.5" in journey["done"].stdout


def test_every_grade_file_shows_the_instructors_score(journey):
    files, auto = journey["after_set"]["files"], journey["graded"].expected[ODD_NAME]
    assert score_in(files, "grades_by_exercise.csv")["score"] == "1.5"
    assert float(score_in(files, "grades.csv")["score"]) == auto + 1.5
    assert score_in(files, "grades_lms.csv")["total"] == f"{auto + 1.5:g}"
    assert score_in(files, "grades_lms.csv", "ann") == score_in(journey["before"]["files"], "grades_lms.csv", "ann")
    assert journey["after_set"]["plot"] > journey["before"]["plot"]  # the class report was drawn again


def test_the_feedback_says_the_instructor_set_the_score_and_why(journey):
    text, auto = journey["after_set"]["text"], journey["graded"].expected[ODD_NAME]
    assert f"Score: {auto + 1.5} / 8.0" in text
    assert "Score: 1.5 / 2.0" in text and "Score: 0.0 / 2.0" not in text
    assert "Score set by the instructor: 1.5 of 2 points (the autograder gave 0)" in text
    assert REASON.replace("'", "&#39;") in text or REASON in text


def test_an_impossible_score_is_refused_and_changes_nothing(journey):
    assert journey["refused"].returncode == 2
    assert "worth 0 to 2 points" in journey["refused"].stderr and "nothing was changed" in journey["refused"].stderr
    assert journey["after_refusal"] == journey["before"]


@pytest.mark.parametrize("student, lesson, task, score, reason, says", [
    ("nobody-here", LESSON, TASK, 1.0, "r", "no student named 'nobody-here'"),
    (ODD_NAME, "02_graphs", TASK, 1.0, "r", "no lesson '02_graphs' was graded"),
    (ODD_NAME, LESSON, "no_such_task", 1.0, "r", "has no exercise 'no_such_task'"),
    (ODD_NAME, LESSON, TASK, -0.5, "r", "worth 0 to 2 points"),
    (ODD_NAME, LESSON, TASK, 1.0, "  ", "say why"),
])
def test_an_unknown_student_lesson_or_exercise_is_named_and_changes_nothing(journey, student, lesson, task, score,
                                                                           reason, says):
    instructor = journey["instructor"]
    kept = overrides.load(instructor)
    with pytest.raises(overrides.OverrideError, match=re.escape(says)):
        overrides.set_override(instructor, student, lesson, task, score, reason)
    assert overrides.load(instructor) == kept


def test_clearing_a_score_nobody_set_is_refused(journey):
    with pytest.raises(overrides.OverrideError, match="'ann' has no score set by hand in 01_derivatives dL_dw"):
        overrides.clear_override(journey["instructor"], "ann", LESSON, "dL_dw")


def test_the_override_survives_a_regrade_in_fresh_workspaces(journey):
    run = journey["regrade"]
    assert run.failures == []
    mine = [r for r in run.scores if r.student == ODD_NAME and r.task == TASK]
    assert [r.score for r in mine] == [1.5]
    assert records.totals(run.scores)[(ODD_NAME, LESSON)][0] == journey["graded"].expected[ODD_NAME] + 1.5
    assert journey["after_regrade"]["files"] == journey["after_set"]["files"]
    text = journey["after_regrade"]["text"]
    assert "Score: 1.5 / 2.0" in text and "Score set by the instructor: 1.5 of 2 points" in text
    assert text.count("set by the instructor") == journey["after_set"]["text"].count("set by the instructor")


def test_clear_gives_the_autograders_score_back_everywhere(journey):
    assert journey["cleared"].returncode == 0, journey["cleared"].stderr
    assert journey["after_clear"]["files"] == journey["graded"].files
    text = journey["after_clear"]["text"]
    assert "set by the instructor" not in text and "Score: 0.0 / 2.0" in text
    assert overrides.load(journey["instructor"]) == []
