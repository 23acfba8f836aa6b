"""Grading into a real PostgreSQL server: does the documented URL work, with the grades SQLite gives, twice?

The test starts its own server (Debian's postgresql, ``tests/postgres_support.py``)
once per session and grades the small class of lesson 01 into it with
``BACKPROP_DB_URL=postgresql://user@host:port/db``, as the README says, on two
dask workers (so each workspace builds its own gradebook from the main one),
then again after a score was set by hand as the formgrader sets it.
Under ``CI=true`` a missing postgresql is a failure; elsewhere a skip that says
what to install.
"""
from __future__ import annotations

import subprocess
import sys
import time

import pytest
from conftest import IN_CI, REPO, require_sandbox
from postgres_support import (GRADE_FILES, INSTALL_HINT, LESSON, ODD_NAME, ensure_installed, grade,
                              graded_on_sqlite, snapshot, start_server)

from autograder import layout, records

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def postgres():
    bindir = ensure_installed()
    if bindir is None:
        message = f"PostgreSQL's server (initdb, pg_ctl) is not installed: {INSTALL_HINT}"
        if IN_CI:
            pytest.fail(message + " (CI=true: a missing dependency is a failure)")
        pytest.skip(message)
    server = start_server(bindir)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def graded(postgres, tmp_path_factory):
    """The small class graded into PostgreSQL on two workers, then a score set by hand as the formgrader sets it,
    then the class graded again (every notebook run again, each workspace a fresh gradebook); and on SQLite."""
    require_sandbox()
    sqlite = graded_on_sqlite(tmp_path_factory)
    url = postgres.create_database("course")
    instructor = tmp_path_factory.mktemp("postgres") / "instructor"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("BACKPROP_DB_URL", url)
        started = time.perf_counter()
        first = grade(sqlite.submissions, instructor, workers=2)
        seconds = time.perf_counter() - started
        files, counts = snapshot(instructor), gradebook_counts(url)
        set_by_hand(url, "bob", BY_HAND, 1.0)
        second = grade(sqlite.submissions, instructor, workers=2)
    print(f"\nSQLite (--workers 1) {sqlite.seconds:.0f} s; PostgreSQL (2 workers) {seconds:.0f} s, "
          f"phases {rounded(first.timings)}; regrade phases {rounded(second.timings)}")
    return {"url": url, "instructor": instructor, "sqlite": sqlite, "first": first, "files": files,
            "counts": counts, "second": second}


#: The exercise whose score the instructor changes in the formgrader before the regrade (bob's blank notebook: 0).
BY_HAND = "sigmoid_prime"


def set_by_hand(url: str, student: str, task: str, score: float) -> None:
    """What nbgrader's formgrader does when the instructor types a score: the grade's ``manual_score``."""
    from nbgrader.api import Gradebook

    with Gradebook(url) as gb:
        gb.find_grade(f"test_{task}", LESSON, LESSON, student).manual_score = score
        gb.db.commit()


def rounded(timings: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 1) for k, v in timings.items()}


def gradebook_counts(url: str) -> dict[str, int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as db:
            return {t: db.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                    for t in ("student", "submitted_assignment", "submitted_notebook", "grade")}
    finally:
        engine.dispose()


def test_the_documented_url_names_no_driver_and_reaches_the_server(graded):
    assert graded["url"].startswith("postgresql://") and "+" not in graded["url"].split("://")[0]
    assert gradebook_counts(graded["url"])["submitted_notebook"] == len(graded["sqlite"].expected)
    assert not (graded["instructor"] / "gradebook.db").exists()


def test_every_student_is_graded_with_no_failure(graded):
    run = graded["first"]
    assert run.failures == [] and run.rejected == []
    totals = {s: score for (s, _), (score, _) in records.totals(run.scores).items()}
    assert totals == graded["sqlite"].expected


def test_postgresql_holds_exactly_the_grades_sqlite_holds(graded):
    assert graded["first"].scores == graded["sqlite"].run.scores
    for name in GRADE_FILES:
        assert graded["files"][name] == graded["sqlite"].files[name], name


def test_a_regrade_changes_nothing_but_the_score_set_by_hand_and_duplicates_nothing(graded):
    first, second = graded["first"].scores, graded["second"].scores
    assert graded["second"].failures == []
    assert [r for r in second if (r.student, r.task) != ("bob", BY_HAND)] == \
        [r for r in first if (r.student, r.task) != ("bob", BY_HAND)]
    assert [r.score for r in second if (r.student, r.task) == ("bob", BY_HAND)] == [1.0]
    now, before = snapshot(graded["instructor"]), graded["files"]
    assert now["grades_by_exercise.csv"] == before["grades_by_exercise.csv"].replace(
        f"bob,{LESSON},{BY_HAND},0,1", f"bob,{LESSON},{BY_HAND},1,1")
    assert now["grades_lms.csv"] == before["grades_lms.csv"].replace("bob,0,0", "bob,1,1")
    assert gradebook_counts(graded["url"]) == graded["counts"]
    assert graded["counts"]["student"] == graded["counts"]["submitted_notebook"] == len(graded["sqlite"].expected)


def test_a_score_set_in_the_formgrader_reaches_the_feedback_of_a_regrade(graded):
    """The workspaces' gradebooks knew nothing of it, so nbgrader's own page showed the autograder's 0."""
    page = layout.feedback_path(graded["instructor"], "bob", LESSON).read_text()
    assert "(Score: 1.0 / 8.0)" in page and "Score: 1.0 / 1.0" in page
    assert "Score set by the instructor: 1 of 1 points (the autograder gave 0)." in page


def test_each_workspace_copied_the_lessons_instead_of_generating_them(graded):
    workspaces = sorted((graded["instructor"] / "workers").glob("w*"))
    assert len(workspaces) >= 2  # two workers, a chunk or more each
    for ws in workspaces:
        assert not (ws / "release").exists()
        assert "generate_assignment" not in (ws / "logs" / "nbgrader.log").read_text()


def test_an_override_on_postgresql_reaches_the_csvs_and_the_feedback(graded):
    """The instructor's command, against the PostgreSQL gradebook: the same as on SQLite."""
    import os

    env = dict(os.environ, BACKPROP_DB_URL=graded["url"])
    proc = subprocess.run([sys.executable, "-m", "autograder", "override", ODD_NAME, LESSON, "central_difference",
                           "1.5", "--reason", "the idea is right, the step is not", "--instructor",
                           str(graded["instructor"])], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = (graded["instructor"] / "grades_by_exercise.csv").read_text()
    assert f"\"{ODD_NAME}\",{LESSON},central_difference,1.5,2" in rows
    page = layout.feedback_path(graded["instructor"], ODD_NAME, LESSON).read_text()
    assert "the idea is right, the step is not" in page and "set by the instructor" in page
