"""Step 3, normalize: rebuild every collected submission around its released notebook.

The rebuilding itself is :func:`autograder.sanitize.normalize`; this step
applies it to the instructor folder's submissions, one notebook at a time.
"""
from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import nbformat

from .layout import notebook_name
from .records import Rejected
from .sanitize import normalize


def normalize_submissions(instructor: Path, by_lesson: dict[str, list[str]]
                          ) -> tuple[dict[tuple[str, str], list[str]], list[Rejected]]:
    """Rebuild every collected submission around its released notebook (see :mod:`autograder.sanitize`).

    Needs ``instructor/release`` (made by :meth:`autograder.nbgrader_runner.Nbgrader.generate`).
    Returns the repairs made, by ``(student, lesson)``, and the submissions that could
    not be rebuilt (text that is not valid Unicode, say): those are removed
    from ``by_lesson`` and from ``submitted/``, never graded half-repaired.
    """
    repairs, rejected = {}, []
    for lesson, students in by_lesson.items():
        released = nbformat.read(instructor / "release" / lesson / notebook_name(lesson), as_version=4)
        for student in list(students):
            path = instructor / "submitted" / student / lesson / notebook_name(lesson)
            try:
                nb, notes = normalize(nbformat.read(path, as_version=4), released)
                nbformat.write(nb, path)
            except Exception as exc:  # noqa: BLE001 - one notebook the grader cannot rebuild is rejected, alone
                rejected.append(Rejected(student, lesson, f"the notebook cannot be prepared for grading: "
                                                          f"{type(exc).__name__}: {exc}"[:300]))
                students.remove(student)
                shutil.rmtree(path.parent, ignore_errors=True)
                with contextlib.suppress(OSError):
                    path.parent.parent.rmdir()  # nothing else of theirs is graded
                continue
            if notes:
                repairs[(student, lesson)] = notes
    return repairs, rejected
