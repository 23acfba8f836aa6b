"""Step 1, collect: copy every student's submitted notebooks into the instructor folder, or say why not.

Every folder of the submissions folder is a student; each ends collected
(under a safe grading id, :mod:`autograder.students`) or rejected with a
reason, and the batch goes on.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

from .lateness import as_utc
from .layout import lessons, notebook_name
from .records import Collected, Notice, Rejected
from .students import StudentIds

#: the file beside a notebook saying when it was submitted (nbgrader's name and format)
TIMESTAMP = "timestamp.txt"


def _visible(path: Path) -> bool:
    return not path.name.startswith(".") and path.name != "__MACOSX"


def _lesson_notebook(student: str, lesson_dir: Path, found: Collected) -> Path | None:
    """The notebook to grade in a lesson folder, or ``None`` (rejected, with the reason recorded)."""
    lesson = lesson_dir.name
    name = notebook_name(lesson)
    others = sorted(p.name for p in lesson_dir.iterdir() if _visible(p) and p.suffix == ".ipynb" and p.name != name)
    src = lesson_dir / name
    if not src.exists() and not src.is_symlink():
        why = f"no {name} in the folder" + (f" (found {', '.join(others)}: rename the one to grade)" if others else "")
        found.rejected.append(Rejected(student, lesson, why))
        return None
    if src.is_symlink() or not src.is_file():
        found.rejected.append(Rejected(student, lesson, f"{name} is a link or a folder, not a notebook file"))
        return None
    if others:
        found.notices.append(Notice(student, lesson, f"graded {name}; also in the folder and not graded: "
                                                     f"{', '.join(others)}"))
    return src


def keep_time(student: str, lesson_dir: Path, found: Collected) -> None:
    """Record when the lesson was submitted, from its ``timestamp.txt`` (as ``nbgrader collect`` and
    ``python -m autograder import`` write it); an unreadable one is named in a notice, none is no time."""
    stamp = lesson_dir / TIMESTAMP
    if not stamp.is_file() or stamp.is_symlink():
        return
    try:
        found.times[(student, lesson_dir.name)] = as_utc(stamp.read_text(encoding="utf-8")[:100])
    except Exception as exc:  # noqa: BLE001 - a bad timestamp costs the time, not the grade
        found.notices.append(Notice(student, lesson_dir.name, f"timestamp.txt is not a time "
                                                              f"({type(exc).__name__}): submission time unknown"))


def collect(submissions: Path, instructor: Path) -> Collected:
    """Copy ``submissions/<student>/<lesson>/<lesson>.ipynb`` into ``instructor/submitted/<id>/<lesson>``.

    Every folder in ``submissions`` is a student, whatever its name (hidden
    ones, ``.git`` say, aside): each ends graded or rejected with a reason.
    Odd names are graded under a safe id (:mod:`autograder.students`).
    Only the notebook is copied; other files a student put beside it are left
    out (the lesson's own data files come from the course when it is graded),
    and other notebooks are named in a notice. A file that is not a readable
    notebook, a missing notebook, an unknown lesson or a student folder
    without lessons is rejected with a reason instead of stopping the batch.
    A ``timestamp.txt`` beside the notebook gives its submission time
    (``found.times``, for the late penalty, :mod:`autograder.lateness`).
    """
    found = Collected()
    known = set(lessons())
    entries = sorted(p for p in submissions.iterdir() if _visible(p))
    for entry in entries:
        if not entry.is_dir() or entry.is_symlink():
            found.rejected.append(Rejected(entry.name, "", "not a student folder: submissions are laid out "
                                                           "<student>/<lesson>/<lesson>.ipynb"))
    students = [p for p in entries if p.is_dir() and not p.is_symlink()]
    found.ids = StudentIds.assign([p.name for p in students])
    for student_dir in students:
        student = student_dir.name
        lesson_dirs = sorted(p for p in student_dir.iterdir() if _visible(p) and p.is_dir() and not p.is_symlink())
        if not lesson_dirs:
            loose = sorted(p.name for p in student_dir.iterdir() if _visible(p))
            seen = f" (found {', '.join(loose[:5])})" if loose else " (the folder is empty)"
            found.rejected.append(Rejected(student, "", "no lesson folder: expected "
                                                        "<student>/<lesson>/<lesson>.ipynb" + seen))
            continue
        for lesson_dir in lesson_dirs:
            lesson = lesson_dir.name
            if lesson not in known:
                found.rejected.append(Rejected(student, lesson, f"unknown lesson folder {lesson!r}"))
                continue
            src = _lesson_notebook(student, lesson_dir, found)
            if src is None:
                continue
            try:
                nbformat.validate(nbformat.read(src, as_version=4))
            except Exception as exc:  # noqa: BLE001 - any unreadable file is rejected, not fatal
                found.rejected.append(Rejected(student, lesson,
                                               f"not a valid notebook: {type(exc).__name__}: {exc}"[:300]))
                continue
            dst = instructor / "submitted" / found.ids.id(student) / lesson
            if dst.exists():
                shutil.rmtree(dst)
            dst.mkdir(parents=True)
            # the notebook only: a .py file beside it could be imported by the notebook, out of the grader's sight
            shutil.copyfile(src, dst / notebook_name(lesson))
            found.by_lesson.setdefault(lesson, []).append(found.ids.id(student))
            keep_time(student, lesson_dir, found)
    return found
