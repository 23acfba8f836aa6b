"""The student notebooks of every lesson, regenerated from ``solutions/`` into ``course/`` (``make course``).

Grading generates its own release too, into the instructor folder
(:meth:`autograder.nbgrader_runner.Nbgrader.generate`, called by
:func:`autograder.pipeline.grade`); this module is the course's copy.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from .layout import COURSE, lessons, notebook_name
from .nbgrader_runner import Nbgrader


def generate_course(release_dir: Path | None = None) -> list[Path]:
    """Regenerate the student notebooks of every lesson; returns their paths.

    ``release_dir`` defaults to ``course/``. A throwaway gradebook is used: the
    student notebooks do not depend on it, and the instructor's gradebook
    (which refuses changed cells once a lesson has submissions) is not touched.
    """
    with tempfile.TemporaryDirectory(prefix="backprop-generate-") as tmp:
        runner = Nbgrader(Path(tmp), extra_env={"BACKPROP_DB_URL": f"sqlite:///{tmp}/gradebook.db"})
        runner.generate(lessons(), release_dir or COURSE)
    return [(release_dir or COURSE) / lesson / notebook_name(lesson) for lesson in lessons()]
