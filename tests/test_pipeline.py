"""The instructor loop, end to end with real nbgrader: does every student get the score they earned?

One class is built from solutions/ and graded once per module, for every
lesson with exercises: the reference solution, a blank notebook, a submission
that raises, one that loops forever, one per known typical mistake; plus (for
lesson 01) a spy that reports which student the hidden tests think it is, and
a file that is not a notebook.
"""
from __future__ import annotations

import re
import shutil

import nbformat
import pytest
from conftest import require_sandbox

from autograder import demo, layout, mistakes, pipeline, records

pytestmark = pytest.mark.slow
LESSON = "01_derivatives"
SPY_LINE = "from backprop_lib.exercises import student_id; print('graded as', student_id())"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    require_sandbox()
    root = tmp_path_factory.mktemp("class")
    subs = root / "submissions"
    expected = demo.build_class(subs, which="combined")
    spy = demo.submission(LESSON, demo.solution_sources(LESSON))
    first_solution = next(c for c in spy.cells if c.metadata.get("nbgrader", {}).get("solution"))
    first_solution.source += "\n" + SPY_LINE
    (subs / "spy" / LESSON).mkdir(parents=True)
    nbformat.write(spy, subs / "spy" / LESSON / f"{LESSON}.ipynb")
    (subs / "garbage" / LESSON).mkdir(parents=True)
    (subs / "garbage" / LESSON / f"{LESSON}.ipynb").write_text("this is not a notebook {")
    run = pipeline.grade(subs, root / "instructor", cell_timeout=10, workers=2, progress=False)
    return {(e.student, e.lesson): e for e in expected}, run


GRADED_LESSONS = [lesson for lesson in layout.lessons() if demo.graded_tasks(lesson)]


def totals(run, lesson=LESSON):
    return {s: v for (s, l2), v in records.totals(run.scores).items() if l2 == lesson}


def feedback_text(run, student, lesson=LESSON):
    html = layout.feedback_path(run.instructor, student, lesson).read_text()
    html = re.sub(r"<style.*?</style>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", "", html)


def unescape(text):
    return text.replace("&#39;", "'").replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


@pytest.mark.parametrize("lesson", GRADED_LESSONS)
def test_reference_solution_gets_full_marks(graded, lesson):
    expected, run = graded
    score, max_score = totals(run, lesson)["correct"]
    assert score == max_score == expected[("correct", lesson)].high > 0


@pytest.mark.parametrize("lesson", GRADED_LESSONS)
def test_blank_notebook_gets_zero_and_is_told_what_to_do(graded, lesson):
    _, run = graded
    assert totals(run, lesson)["blank"][0] == 0
    assert "not implemented yet" in feedback_text(run, "blank", lesson)


def combined_student(mistake):
    """The combined-class student who makes ``mistake`` (see autograder.demo)."""
    same_task = [m for m in mistakes.for_lesson(mistake.lesson) if m.task == mistake.task]
    return f"m{mistake.lesson[:2]}-combined-{same_task.index(mistake) + 1}"


COMBINED = sorted({(combined_student(m), m.lesson) for m in mistakes.all_mistakes() if m.lesson in GRADED_LESSONS})


@pytest.mark.parametrize("student, lesson", COMBINED, ids=lambda v: v)
def test_mistakes_in_several_exercises_each_lose_exactly_their_own_points(graded, student, lesson):
    """One mistake per exercise in one notebook: the loss is the sum, never more (no double charging)."""
    expected, run = graded
    score, max_score = totals(run, lesson)[student]
    assert score == expected[(student, lesson)].low < max_score


@pytest.mark.parametrize("mistake", [m for m in mistakes.all_mistakes() if m.lesson in GRADED_LESSONS],
                         ids=lambda m: m.student)
def test_each_typical_mistake_is_named_in_the_feedback(graded, mistake):
    _, run = graded
    assert mistake.feedback in unescape(feedback_text(run, combined_student(mistake), mistake.lesson))


@pytest.mark.parametrize("lesson", GRADED_LESSONS)
def test_an_exception_costs_only_its_own_exercise(graded, lesson):
    expected, run = graded
    assert totals(run, lesson)["raises"][0] == expected[("raises", lesson)].low
    assert "ValueError: a bug in my code" in feedback_text(run, "raises", lesson)


@pytest.mark.parametrize("lesson", GRADED_LESSONS)
def test_an_infinite_loop_is_stopped_and_the_batch_finishes(graded, lesson):
    expected, run = graded
    assert totals(run, lesson)["loops"][0] == expected[("loops", lesson)].low
    assert "did not finish" in feedback_text(run, "loops", lesson)
    assert totals(run, lesson)["correct"][0] == expected[("correct", lesson)].high  # the batch is unharmed


@pytest.mark.parametrize("lesson", GRADED_LESSONS)
def test_feedback_never_shows_hidden_tests_or_tracebacks(graded, lesson):
    _, run = graded
    for student in totals(run, lesson):
        text = feedback_text(run, student, lesson)
        assert "BEGIN HIDDEN TESTS" not in text
        assert 'hidden_rng("' not in text.replace("&quot;", '"')
        assert "Traceback (most recent call last)" not in text
        assert "backprop_lib/exercises" not in text, "a path into the test code leaked"
        assert "hidden tests ran here" in text


def test_the_graded_kernel_cannot_tell_which_student_it_runs(graded):
    """The grader draws each student's hidden inputs itself (course secret + student): the kernel never knows."""
    _, run = graded
    nb = nbformat.read(run.instructor / "autograded" / "spy" / LESSON / f"{LESSON}.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "graded as" in printed and "graded as spy" not in printed


def test_a_file_that_is_not_a_notebook_is_rejected_with_a_reason(graded):
    _, run = graded
    [rejected] = [r for r in run.rejected if r.student == "garbage"]
    assert "not a valid notebook" in rejected.reason
    assert "garbage" not in totals(run)


def test_grade_csvs_have_one_row_per_student_and_exercise(graded):
    expected, run = graded
    rows = run.csv_path.read_text().splitlines()
    assert rows[0] == "student,lesson,exercise,score,max_score"
    expected_rows = sum(len(demo.graded_tasks(lesson)) for _, lesson in expected)
    assert len(rows) - 1 == expected_rows + len(demo.graded_tasks(LESSON))  # + the spy
    summary = run.summary_csv.read_text().splitlines()
    assert any(line.split(",")[3] == "correct" for line in summary[1:])


def test_a_serial_regrade_gives_the_same_grades_and_loses_no_row(graded, tmp_path):
    """Parallel grading equals plain serial nbgrader, and regrading changes nothing.

    Lesson 01 is regraded serially into the same gradebook; every row, of that
    lesson and of the others, must come out as it was.
    """
    _, run = graded
    before = [(s.student, s.lesson, s.task, s.score, s.max_score) for s in run.scores]
    subs = run.instructor.parent / "submissions"
    for path in subs.glob(f"*/{LESSON}"):
        shutil.copytree(path, tmp_path / path.parent.name / LESSON)
    # full: run every notebook again (a regrade otherwise keeps what did not change, autograder/incremental.py)
    again = pipeline.grade(tmp_path, run.instructor, cell_timeout=10, workers=1, progress=False, full=True)
    assert [(s.student, s.lesson, s.task, s.score, s.max_score) for s in again.scores] == before


def test_class_report_names_the_diagnosed_mistakes_and_lms_csv_has_a_row_per_student(graded):
    expected, run = graded
    report_dir = run.instructor / "report"
    assert (report_dir / "class_report.png").stat().st_size > 10_000
    diagnosed = (report_dir / "mistakes.csv").read_text()
    for student, _ in COMBINED:
        assert student in diagnosed
    assert "did not finish (time limit)" in diagnosed
    lms = (run.instructor / "grades_lms.csv").read_text().splitlines()
    assert lms[0].startswith("student,") and lms[0].endswith(",total")
    assert len(lms) - 1 == len({s for s, _ in expected} | {"spy", "garbage"})  # a rejected file counts 0
