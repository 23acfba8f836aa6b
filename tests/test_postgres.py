"""Grading into a real PostgreSQL server: does the documented URL work, with the grades SQLite gives, twice?

The test starts its own server (Debian's postgresql, ``tests/postgres_support.py``)
once per session and grades the small class of lesson 01 into it with
``BACKPROP_DB_URL=postgresql://user@host:port/db``, as the README says, on two
dask workers (so each workspace builds its own gradebook from the main one).
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
    """The small class graded into PostgreSQL (two workers), then again (one); and the same class on SQLite."""
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
        # again, in the other mode: nbgrader itself writes into PostgreSQL (no workspace), every notebook run again
        second = grade(sqlite.submissions, instructor, workers=1)
    print(f"\nSQLite (--workers 1) {sqlite.seconds:.0f} s; PostgreSQL (2 workers) {seconds:.0f} s, "
          f"phases {rounded(first.timings)}; regrade (--workers 1) phases {rounded(second.timings)}")
    return {"url": url, "instructor": instructor, "sqlite": sqlite, "first": first, "files": files,
            "counts": counts, "second": second}


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


def test_a_regrade_changes_nothing_and_duplicates_nothing(graded):
    assert graded["second"].failures == [] and graded["second"].scores == graded["first"].scores
    assert snapshot(graded["instructor"]) == graded["files"]
    assert gradebook_counts(graded["url"]) == graded["counts"]
    assert graded["counts"]["student"] == graded["counts"]["submitted_notebook"] == len(graded["sqlite"].expected)


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
