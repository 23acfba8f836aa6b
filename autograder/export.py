"""Step 6, export: the scores out of the gradebook, into the CSVs an instructor reads.

``grades_by_exercise.csv`` (one row per student, lesson and exercise) and
nbgrader's own ``grades.csv`` (one per student and lesson), both under the
students' names and with no live formula (:mod:`autograder.csv_safe`).
"""
from __future__ import annotations

import csv
from pathlib import Path

from . import csv_safe
from .layout import gradebook_url, ids_path
from .records import TaskScore
from .students import StudentIds


def read_scores(instructor: Path, ids: StudentIds | None = None) -> list[TaskScore]:
    """Every autograded test cell's score from the gradebook, under the students' names (``ids`` maps them)."""
    from nbgrader.api import Gradebook

    ids = ids or StudentIds.load(ids_path(instructor))
    rows = []
    with Gradebook(gradebook_url(instructor)) as gb:
        for assignment in gb.assignments:
            for sub in assignment.submissions:
                for nb in sub.notebooks:
                    for grade in nb.grades:
                        if grade.cell.cell_type != "code":
                            continue
                        task = grade.name.removeprefix("test_")
                        rows.append(TaskScore(ids.name(sub.student.id), assignment.name, task,
                                              float(grade.score), float(grade.max_score)))
    return sorted(rows, key=lambda r: (r.student, r.lesson, r.task))


def write_task_csv(rows: list[TaskScore], path: Path) -> None:
    """One row per student, lesson and exercise: the CSV an instructor reads (no cell is a formula)."""
    with csv_safe.open_csv(path) as fh:
        writer = csv_safe.writer(fh)
        writer.writerow(["student", "lesson", "exercise", "score", "max_score"])
        for r in rows:
            writer.writerow([r.student, r.lesson, r.task, f"{r.score:g}", f"{r.max_score:g}"])


def export_summary(instructor: Path, path: Path, ids: StudentIds, rejected: set[tuple[str, str]] = frozenset()
                   ) -> None:
    """nbgrader's own CSV (one row per student and lesson), with the students' names and no live formula.

    Written by the plugin ``nbgrader export`` runs (``CsvExportPlugin``), in
    this process: the command would cost about 3 s to start for a file that
    takes milliseconds. The rows of ``rejected`` ``(student, lesson)`` are
    left out: nbgrader may have made them before it failed on the notebook.
    Rows come by lesson, then student, whatever order the gradebook holds
    them in (PostgreSQL and SQLite differ).
    """
    from nbgrader.api import Gradebook
    from nbgrader.plugins import CsvExportPlugin

    with Gradebook(gradebook_url(instructor)) as gb:
        CsvExportPlugin(to=str(path)).export(gb)
    with open(path, newline="", encoding="utf-8", errors="surrogateescape") as fh:
        rows = list(csv.reader(fh))
    header, body = (rows[0], rows[1:]) if rows else ([], [])
    student = header.index("student_id") if "student_id" in header else None
    lesson = header.index("assignment") if "assignment" in header else None
    if student is not None and lesson is not None:
        body = [row[:student] + [ids.name(row[student])] + row[student + 1:] for row in body]
        body = sorted((row for row in body if (row[student], row[lesson]) not in rejected),
                      key=lambda row: (row[lesson], row[student]))  # the gradebook's own order is its insertions'
    with csv_safe.open_csv(path) as fh:
        csv_safe.writer(fh).writerows([header] + body if rows else [])
