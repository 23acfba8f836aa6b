"""Does collecting a submissions folder account for every student, whatever the folder holds? (autograder.collect)"""
from __future__ import annotations

import nbformat

from autograder import collect, demo, normalize
from autograder.students import is_safe

L = "01_derivatives"


def put(root, student, name=f"{L}.ipynb", lesson=L, text=None):
    path = root / student / lesson / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if text is None:
        nbformat.write(demo.submission(L, {}), path)
    else:
        path.write_text(text)
    return path


def test_every_student_folder_is_collected_or_rejected_with_a_reason(tmp_path):
    subs, instructor = tmp_path / "subs", tmp_path / "instructor"
    for student in ["plain", "*", "Smith, J [1234]", "=cmd|'calc'!A0"]:
        put(subs, student)
    put(subs, "two-notebooks")
    put(subs, "two-notebooks", "copy.ipynb")
    put(subs, "misnamed", "mine.ipynb")
    put(subs, "garbage", text="{ not json")
    put(subs, "wrong-lesson", lesson="99_nothing")
    (subs / "no-lessons").mkdir()
    (subs / "no-lessons" / f"{L}.ipynb").write_text("{}")
    (subs / "linked" / L).mkdir(parents=True)
    (subs / "linked" / L / f"{L}.ipynb").symlink_to(put(subs, "plain"))
    (subs / "stray-file.txt").write_text("hello")
    (subs / ".git").mkdir()
    found = collect.collect(subs, instructor)
    graded = {found.ids.name(i) for i in found.by_lesson[L]}
    assert graded == {"plain", "*", "Smith, J [1234]", "=cmd|'calc'!A0", "two-notebooks"}
    reasons = {r.student: r.reason for r in found.rejected}
    assert set(reasons) == {"misnamed", "garbage", "wrong-lesson", "no-lessons", "linked", "stray-file.txt"}
    assert "found mine.ipynb" in reasons["misnamed"] and "no lesson folder" in reasons["no-lessons"]
    assert "link" in reasons["linked"] and "not a valid notebook" in reasons["garbage"]
    assert [(n.student, n.text) for n in found.notices] == [
        ("two-notebooks", f"graded {L}.ipynb; also in the folder and not graded: copy.ipynb")]
    for student_id in found.by_lesson[L]:
        assert is_safe(student_id) and (instructor / "submitted" / student_id / L / f"{L}.ipynb").is_file()


def test_a_notebook_the_grader_cannot_rewrite_is_rejected_alone(tmp_path):
    subs, instructor = tmp_path / "subs", tmp_path / "instructor"
    put(subs, "fine")
    nb = demo.submission(L, {})
    nb.cells.append(nbformat.v4.new_markdown_cell("a lone surrogate: \ud800"))
    put(subs, "surrogate", text=nbformat.writes(nb).encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        .replace("\ufffd", "\\ud800"))
    found = collect.collect(subs, instructor)
    (instructor / "release" / L).mkdir(parents=True)
    nbformat.write(demo.submission(L, {}), instructor / "release" / L / f"{L}.ipynb")
    repairs, rejected = normalize.normalize_submissions(instructor, found.by_lesson)
    assert found.by_lesson[L] == ["fine"]
    assert [r.student for r in rejected] == ["surrogate"] and "cannot be prepared" in rejected[0].reason
