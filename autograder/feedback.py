"""Hand out the feedback pages: each under its student's name.

Runs after the execute step wrote the pages under the grading ids, each
already made safe to open as nbgrader wrote it
(:class:`autograder.feedback_html.SafeHTMLExporter`).
"""
from __future__ import annotations

import contextlib
from pathlib import Path

from .layout import feedback_path, move_folder
from .students import StudentIds


def place_feedback(instructor: Path, ids: StudentIds, graded: set[tuple[str, str]]) -> None:
    """Move the feedback of ``graded`` ``(id, lesson)`` under each student's name (where it differs from the id)."""
    for student_id, lesson in sorted(graded):
        src, dest = feedback_path(instructor, student_id, lesson), feedback_path(instructor, ids.name(student_id), lesson)
        if src == dest or not src.exists():
            continue
        move_folder(src.parent, dest.parent)
        with contextlib.suppress(OSError):
            src.parent.parent.rmdir()
