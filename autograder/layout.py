"""Where things are: the repository's lessons and the instructor folder's files.

Every grading step finds the lessons (``solutions/``, ``course/``) and the
instructor folder's parts (gradebook, student map, feedback pages) through
these names, so the layout is written down once.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"
COURSE = REPO / "course"
#: Where every instructor output goes (BACKPROP_INSTRUCTOR_DIR moves it, as it does for nbgrader_config.py).
DEFAULT_INSTRUCTOR = Path(os.environ.get("BACKPROP_INSTRUCTOR_DIR") or REPO / "instructor")


def notebook_name(lesson: str) -> str:
    """The file name of a lesson's notebook: ``01_derivatives.ipynb``."""
    return f"{lesson}.ipynb"


def lessons() -> list[str]:
    """Lesson ids (``01_derivatives``, ...) in order: the folders of ``solutions/`` holding their notebook."""
    return sorted(p.name for p in SOLUTIONS.iterdir()
                  if p.is_dir() and p.name[:2].isdigit() and (p / notebook_name(p.name)).exists())


def gradebook_url(instructor: Path) -> str:
    """The gradebook URL nbgrader uses for ``instructor`` (``BACKPROP_DB_URL`` overrides)."""
    return os.environ.get("BACKPROP_DB_URL", f"sqlite:///{instructor / 'gradebook.db'}")


def ids_path(instructor: Path) -> Path:
    """Where the map of student names to grading ids is kept (:mod:`autograder.students`)."""
    return instructor / "students.json"


def feedback_path(instructor: Path, student: str, lesson: str) -> Path:
    """Where a student's HTML feedback for a lesson ends (under the student's name)."""
    return instructor / "feedback" / student / lesson / Path(notebook_name(lesson)).with_suffix(".html")


def move_folder(src: Path, dest: Path) -> None:
    """Move the folder ``src`` to ``dest``, replacing whatever ``dest`` held (its parent folders are made)."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(src, dest)
