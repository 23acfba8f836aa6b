"""Does `make lab`'s workspace keep every byte a student wrote while the course changes under it?"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from autograder import workspace as ws
from autograder.layout import COURSE, REPO

LESSON = "01_x/01_x.ipynb"


def files(root: Path) -> dict[str, bytes]:
    """Every file a student sees in the workspace (the sync's own bookkeeping left out)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and p.name not in (ws.MANIFEST, ws.NOTES)}


def test_a_fresh_workspace_gets_every_lesson(tmp_path):
    course = {LESSON: b"v1", "02_y/02_y.ipynb": b"w1"}
    changes = ws.sync(tmp_path / "work", course)
    assert files(tmp_path / "work") == course
    assert [c.kind for c in changes] == ["seeded", "seeded"]


def test_running_make_lab_again_changes_nothing(tmp_path):
    course = {LESSON: b"v1"}
    ws.sync(tmp_path, course)
    (tmp_path / LESSON).write_bytes(b"v1 + my answers")
    assert ws.sync(tmp_path, course) == []
    assert (tmp_path / LESSON).read_bytes() == b"v1 + my answers"


def test_a_lesson_added_to_the_course_later_is_seeded_beside_the_students_work(tmp_path):
    ws.sync(tmp_path, {LESSON: b"v1"})
    (tmp_path / LESSON).write_bytes(b"mine")
    changes = ws.sync(tmp_path, {LESSON: b"v1", "02_y/02_y.ipynb": b"w1"})
    assert changes == [ws.Change("seeded", "02_y/02_y.ipynb")]
    assert (tmp_path / LESSON).read_bytes() == b"mine"


def test_a_changed_lesson_the_student_worked_on_is_put_beside_theirs_and_they_are_told(tmp_path):
    ws.sync(tmp_path, {LESSON: b"v1"})
    (tmp_path / LESSON).write_bytes(b"v1 + my answers")
    changes = ws.sync(tmp_path, {LESSON: b"v2"})
    assert changes == [ws.Change("offered", LESSON, "01_x/01_x.new.ipynb")]
    assert (tmp_path / LESSON).read_bytes() == b"v1 + my answers"
    assert (tmp_path / "01_x/01_x.new.ipynb").read_bytes() == b"v2"
    notes = (tmp_path / ws.NOTES).read_text()
    assert "01_x/01_x.new.ipynb" in notes and "unchanged" in notes
    assert [c.kind for c in ws.sync(tmp_path, {LESSON: b"v2"})] == ["kept"], "a reminder, nothing rewritten"


def test_a_changed_lesson_the_student_never_opened_is_simply_updated(tmp_path):
    ws.sync(tmp_path, {LESSON: b"v1"})
    assert ws.sync(tmp_path, {LESSON: b"v2"}) == [ws.Change("updated", LESSON)]
    assert files(tmp_path) == {LESSON: b"v2"}


def test_a_new_version_never_replaces_a_new_file_the_student_edited(tmp_path):
    ws.sync(tmp_path, {LESSON: b"v1"})
    (tmp_path / LESSON).write_bytes(b"mine")
    ws.sync(tmp_path, {LESSON: b"v2"})
    (tmp_path / "01_x/01_x.new.ipynb").write_bytes(b"v2 + more of mine")
    changes = ws.sync(tmp_path, {LESSON: b"v3"})
    assert changes == [ws.Change("offered", LESSON, "01_x/01_x.new2.ipynb")]
    assert (tmp_path / "01_x/01_x.new.ipynb").read_bytes() == b"v2 + more of mine"


def test_a_deleted_lesson_comes_back_fresh(tmp_path):
    ws.sync(tmp_path, {LESSON: b"v1"})
    (tmp_path / LESSON).unlink()
    assert ws.sync(tmp_path, {LESSON: b"v1"}) == [ws.Change("seeded", LESSON)]


#: A history: each step either the course publishes a new version of a lesson, or the student writes into a file.
STEPS = st.lists(st.one_of(
    st.tuples(st.just("course"), st.sampled_from(["01_x/01_x.ipynb", "02_y/02_y.ipynb"]), st.binary(max_size=4)),
    st.tuples(st.just("student"), st.sampled_from(["01_x/01_x.ipynb", "02_y/02_y.ipynb", "01_x/01_x.new.ipynb"]),
              st.binary(min_size=5, max_size=8)),
), max_size=12)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(STEPS)
def test_whatever_happens_nothing_a_student_wrote_is_ever_lost(tmp_path_factory, steps):
    """Student bytes are 5-8 long and course bytes at most 4, so a student's file can be told apart."""
    root = tmp_path_factory.mktemp("work")
    course: dict[str, bytes] = {"01_x/01_x.ipynb": b"v1"}
    ws.sync(root, course)
    written: dict[str, bytes] = {}
    started_from: dict[str, bytes] = {}  # the course version a file was when the student first wrote into it
    for who, path, data in steps:
        published = who == "course" and course.get(path) != data
        if who == "course":
            course[path] = data
        elif (root / path).exists():
            started_from.setdefault(path, course.get(path, b""))
            (root / path).write_bytes(data)
            written[path] = data
        before = files(root)
        ws.sync(root, course)
        after = files(root)
        for name, content in written.items():
            assert after.get(name) == content, f"{name}: the student's bytes were overwritten"
        assert all(after.get(name) == content for name, content in before.items() if len(content) >= 5)
        for lesson, content in course.items():
            if lesson not in written:
                assert after[lesson] == content, f"{lesson}: an untouched copy is the course's version"
            elif published and lesson == path and content != started_from[lesson]:  # offered when published
                assert content in after.values(), f"{lesson}: the course's new version is not beside it"

def test_the_course_is_read_as_committed_not_as_edited(tmp_path):
    committed = ws.course_from_git(REPO)
    assert committed is not None, "this checkout is a git repository"
    assert set(committed) == set(ws.course_from_files(COURSE))
    expected = subprocess.run(["git", "-C", str(REPO), "show", "HEAD:course/01_derivatives/01_derivatives.ipynb"],
                              capture_output=True, check=True).stdout
    assert committed["01_derivatives/01_derivatives.ipynb"] == expected


def test_outside_a_git_checkout_the_files_are_read(tmp_path):
    (tmp_path / "course" / "01_x").mkdir(parents=True)
    (tmp_path / "course" / "01_x" / "01_x.ipynb").write_bytes(b"v1")
    (tmp_path / "course" / "01_x" / ".ipynb_checkpoints").mkdir()
    (tmp_path / "course" / "01_x" / ".ipynb_checkpoints" / "01_x-checkpoint.ipynb").write_bytes(b"old")
    assert ws.committed_course(tmp_path) == {"01_x/01_x.ipynb": b"v1"}


def test_the_command_make_lab_runs_seeds_a_workspace_and_says_so(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "autograder.workspace", str(tmp_path / "work")],
                          capture_output=True, text=True, check=True)
    assert "lesson file(s) copied" in proc.stdout
    assert (tmp_path / "work" / "01_derivatives" / "01_derivatives.ipynb").exists()
    again = subprocess.run([sys.executable, "-m", "autograder.workspace", str(tmp_path / "work")],
                           capture_output=True, text=True, check=True)
    assert again.stdout == ""


def test_make_lab_tells_the_student_when_a_lesson_they_worked_on_changed(tmp_path):
    """Outside a git checkout (a downloaded archive) the course's files are read; the notice is printed and kept."""
    course = tmp_path / "repo" / "course" / "01_x"
    course.mkdir(parents=True)
    (course / "01_x.ipynb").write_bytes(b"v1")
    work = tmp_path / "work"
    command = [sys.executable, "-m", "autograder.workspace", str(work), "--repo", str(tmp_path / "repo")]
    subprocess.run(command, capture_output=True, check=True)
    (work / "01_x" / "01_x.ipynb").write_bytes(b"v1 + my answers")
    (course / "01_x.ipynb").write_bytes(b"v2")
    said = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    assert "01_x/01_x.ipynb changed in the course" in said and "01_x/01_x.new.ipynb" in said
    assert "UPDATES.md" in said and (work / "UPDATES.md").exists()
    assert (work / "01_x" / "01_x.ipynb").read_bytes() == b"v1 + my answers"
