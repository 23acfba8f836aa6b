"""Hand out the feedback pages: each under its student's name, and each made safe to open.

Runs after the execute step wrote the pages under the grading ids; every page
goes through :func:`autograder.feedback_html.clean_file` first.
"""
from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

from .feedback_html import clean_file
from .layout import feedback_path
from .records import Failure
from .students import StudentIds


def place_feedback(instructor: Path, ids: StudentIds, graded: set[tuple[str, str]]) -> list[Failure]:
    """Make the feedback of ``graded`` ``(id, lesson)`` safe to open, under each student's name.

    Each page goes through :func:`autograder.feedback_html.clean_file` (no
    script, event handler or ``javascript:`` URL of the student's survives);
    a page that cannot be cleaned is deleted, never handed out, and is the
    grader's failure. A student graded under a safe id gets the folder of
    their name.
    """
    failures = []
    for student_id, lesson in sorted(graded):
        name = ids.name(student_id)
        src, dest = feedback_path(instructor, student_id, lesson), feedback_path(instructor, name, lesson)
        if not src.exists():
            continue
        if src != dest:
            shutil.rmtree(dest.parent, ignore_errors=True)
            dest.parent.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(src.parent, dest.parent)
            with contextlib.suppress(OSError):
                src.parent.parent.rmdir()
        try:
            clean_file(dest)
        except Exception as exc:  # noqa: BLE001 - a page that cannot be made safe is not handed out
            dest.unlink(missing_ok=True)
            failures.append(Failure(name, lesson, "feedback", f"the feedback page could not be made safe, so it "
                                                              f"was deleted: {type(exc).__name__}: {exc}"[:300]))
    return failures
