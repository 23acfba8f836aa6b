"""Does a regrade run only what changed, and does every student still end in the outputs?

A class of two lesson-01 students is graded three times into one instructor
folder, with real nbgrader and sandboxed kernels: first both; then after one
student changed their notebook (only that notebook may run: read from the
nbgrader logs of the run, not assumed); then after the lesson's checks
fingerprint changed (both run again). Cheaper questions (what changes a
lesson's fingerprint, what ``full`` does) are answered on files alone.
"""
from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from conftest import require_sandbox

from autograder import demo, incremental, layout, mistakes, pipeline, records
from autograder.secret import course_secret
from autograder.students import StudentIds

L = "01_derivatives"
NB = layout.notebook_name(L)
FULL = sum(demo.graded_tasks(L).values())
MISTAKE = mistakes.for_lesson(L)[0]


def write(subs: Path, student: str, replace: dict[str, str]) -> None:
    path = subs / student / L / NB
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(demo.submission(L, demo.solution_sources(L) | replace), path)


def logs_text(instructor: Path) -> str:
    """Every nbgrader log of the instructor folder, the parallel workspaces' included."""
    return "".join(p.read_text(errors="replace") for p in sorted(instructor.rglob("nbgrader.log")))


def executed(before: str, after: str) -> set[str]:
    """The students whose lesson-01 notebook nbgrader autograded between two readings of the logs."""
    new = after[len(before):] if after.startswith(before) else after
    return set(re.findall(rf"Autograding \S*/([^/\s]+)/{L}/{NB}", new))


def run_totals(run: pipeline.GradeRun) -> dict[str, tuple[float, float]]:
    return {s: v for (s, lesson), v in records.totals(run.scores).items() if lesson == L}


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory):
    require_sandbox()
    root = tmp_path_factory.mktemp("incremental")
    subs, instructor = root / "subs", root / "instructor"
    write(subs, "ada", {})
    write(subs, "ben", {MISTAKE.task: MISTAKE.code})
    runs, ran, autograded, decisions = [], [], [], []

    def grade(workers: int) -> None:
        before = logs_text(instructor) if instructor.exists() else ""
        shutil.rmtree(instructor / "workers", ignore_errors=True)  # only this run's workspace logs are read
        runs.append(pipeline.grade(subs, instructor, cell_timeout=10, workers=workers, progress=False))
        ran.append(executed(before, logs_text(instructor)))
        autograded.append({s: (instructor / "autograded" / s / L / NB).read_bytes() for s in ("ada", "ben")})
        decisions.append((instructor / "logs" / "regrade.log").read_text())

    grade(1)
    write(subs, "ben", {})  # ben hands in a corrected notebook
    grade(2)  # the parallel path: one chunk, recorded from its workspace
    state_file = instructor / incremental.STATE
    state = json.loads(state_file.read_text())
    for entry in state["notebooks"].values():
        entry["lesson"]["checks"] = "0" * 64  # as if the checks had been another version when last graded
    state_file.write_text(json.dumps(state))
    grade(1)
    return runs, ran, autograded, instructor, decisions


@pytest.mark.slow
def test_first_run_grades_everyone(three_runs):
    runs, ran, *_ = three_runs
    assert ran[0] == {"ada", "ben"}
    assert run_totals(runs[0]) == {"ada": (FULL, FULL), "ben": (FULL - demo.graded_tasks(L)[MISTAKE.task], FULL)}


@pytest.mark.slow
def test_a_changed_submission_is_the_only_notebook_that_runs(three_runs):
    runs, ran, autograded, _, decisions = three_runs
    # (a grading file edited while this test runs, in a shared working tree, also regrades: the log says so)
    assert ran[1] == {"ben"}, f"nbgrader's logs name what it autograded in the second run; why: {decisions[1]}"
    assert "ada 01_derivatives: kept: submission and lesson unchanged" in decisions[1]
    assert "ben 01_derivatives: graded: the submission changed" in decisions[1]
    assert autograded[1]["ada"] == autograded[0]["ada"]  # her executed notebook was not rewritten
    assert autograded[1]["ben"] != autograded[0]["ben"]
    assert run_totals(runs[1]) == {"ada": (FULL, FULL), "ben": (FULL, FULL)}


@pytest.mark.slow
def test_every_student_is_still_in_every_output(three_runs):
    runs, _, _, instructor, _ = three_runs
    for run in runs:
        assert not run.failures and not run.rejected
        assert {(s.student, s.lesson) for s in run.scores} == {("ada", L), ("ben", L)}
    with open(instructor / "grades.csv") as fh:
        assert {row["student_id"] for row in csv.DictReader(fh)} == {"ada", "ben"}
    for student in ("ada", "ben"):
        assert layout.feedback_path(instructor, student, L).exists()
    assert (instructor / "submitted" / "ada" / L / NB).exists()  # held aside while grading, then put back


@pytest.mark.slow
def test_a_changed_lesson_regrades_all_its_notebooks_with_the_same_grades(three_runs):
    runs, ran, _, _, decisions = three_runs
    assert ran[2] == {"ada", "ben"}
    assert run_totals(runs[2]) == run_totals(runs[1])
    assert "ada 01_derivatives: graded: the lesson's checks" in decisions[2]


# -- on files alone: what a fingerprint covers, what full does

def small_repo(root: Path) -> Path:
    """The parts of the repository a lesson's fingerprint reads, copied."""
    for part in ("solutions/" + L, "backprop_lib", *incremental.GRADING_CODE[1:]):
        src = layout.REPO / part
        if not src.exists():
            continue
        if src.is_dir():
            shutil.copytree(src, root / part, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (root / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, root / part)
    return root


@pytest.mark.parametrize("edit, part", [
    (f"solutions/{L}/{NB}", "source"),
    ("backprop_lib/exercises/lesson01.py", "checks"),
    ("backprop_lib/nn/engine.py", "library"),
    ("autograder/verify.py", "library"),
])
def test_what_changes_a_lessons_fingerprint(tmp_path, edit, part):
    repo = small_repo(tmp_path)
    settings = incremental.settings(10)
    before = incremental.lesson_fingerprint(L, settings, repo, secret=b"s" * 32)
    with open(repo / edit, "a") as fh:
        fh.write("\n")
    after = incremental.lesson_fingerprint(L, settings, repo, secret=b"s" * 32)
    assert [k for k in before if before[k] != after[k]] == [part]


def test_the_secret_and_the_time_limit_are_part_of_the_fingerprint(tmp_path):
    repo = small_repo(tmp_path)
    base = incremental.lesson_fingerprint(L, incremental.settings(10), repo, secret=b"s" * 32)
    other_secret = incremental.lesson_fingerprint(L, incremental.settings(10), repo, secret=b"t" * 32)
    other_limit = incremental.lesson_fingerprint(L, incremental.settings(20), repo, secret=b"s" * 32)
    assert [k for k in base if base[k] != other_secret[k]] == ["secret"]
    assert [k for k in base if base[k] != other_limit[k]] == ["settings"]
    assert b"s" * 32 not in json.dumps(base).encode()


def test_full_grades_a_notebook_that_would_be_kept(tmp_path):
    instructor = tmp_path / "instructor"
    subs = tmp_path / "subs"
    write(subs, "ada", {})
    for part in ("submitted", "autograded"):
        (instructor / part / "ada" / L).mkdir(parents=True)
        shutil.copy(subs / "ada" / L / NB, instructor / part / "ada" / L / NB)
    page = layout.feedback_path(instructor, "ada", L)
    page.parent.mkdir(parents=True)
    page.write_text("<html></html>")
    ids = StudentIds.assign(["ada"])
    course_secret(create=True)
    fingerprint = incremental.lesson_fingerprint(L, incremental.settings(10))
    digest = incremental.submission_digest(instructor / "submitted" / "ada" / L / NB)
    (instructor / incremental.STATE).write_text(json.dumps({
        "gradebook": layout.gradebook_url(instructor),
        "notebooks": {f"ada/{L}": {"submission": digest, "lesson": fingerprint}}}))
    assert incremental.plan(instructor, {L: ["ada"]}, ids, 10).unchanged == {("ada", L)}
    assert incremental.plan(instructor, {L: ["ada"]}, ids, 10, full=True).todo == {L: ["ada"]}
    page.unlink()  # a page the instructor deleted is written again
    assert incremental.plan(instructor, {L: ["ada"]}, ids, 10).todo == {L: ["ada"]}
