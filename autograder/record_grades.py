"""Step 5, record: copy each workspace's grades into the main gradebook, and its autograded notebooks beside them.

A parallel workspace (:mod:`autograder.parallel`) grades its chunk into a
SQLite gradebook of its own; when its chunk ends, :func:`record` copies what
``nbgrader autograde`` wrote there into the main gradebook, through nbgrader's
own API, exactly as nbgrader would have written it had it graded the notebook
against the main gradebook:

* the student and the submission (with the submission's time, if it had one);
* each grade's ``auto_score``, and ``needs_manual_grade`` as nbgrader's
  ``SaveAutoGrades`` decides it: a grade the instructor set by hand
  (``manual_score``, from the formgrader or an override) is kept and marked
  for review, as nbgrader keeps it on a regrade;
* each comment's ``auto_comment``;
* each notebook's late penalty as nbgrader's ``AssignLatePenalties`` gives it
  against the main gradebook (where an extension the instructor granted
  lives): none unless the submission is late there, and then the penalty its
  workspace gave, capped at the notebook's score.

Only the grading process writes the main gradebook, one workspace at a time,
so it has exactly one writer; this costs milliseconds a notebook, where an
``nbgrader autograde`` in record-only mode (what this step was) cost about
0.4 s a notebook, serially, after every chunk had ended.

On a gradebook that is not SQLite (PostgreSQL), each workspace's own SQLite
gradebook is made by :func:`copy_lessons`: the main gradebook's lesson rows
(assignments, notebooks, cells) copied through nbgrader's own tables, instead
of a ``generate_assignment`` per workspace.
"""
from __future__ import annotations

import warnings
from pathlib import Path

from .layout import gradebook_url, move_folder
from .records import Failure

#: The gradebook tables that describe the lessons (the course, its assignments, notebooks and cells), not the
#: students or their grades: what a workspace needs to autograde against.
LESSON_TABLES = ("course", "assignment", "notebook", "base_cell", "source_cell", "grade_cells", "solution_cells",
                 "task_cells")


def copy_lessons(main_url: str, dest: Path) -> None:
    """A new SQLite gradebook at ``dest`` holding the lessons of the gradebook at ``main_url`` and no student.

    The tables are nbgrader's own (``nbgrader.api.Base``), stamped with the
    main gradebook's alembic version; the rows of :data:`LESSON_TABLES` are
    copied as they are, ids included, so the workspace grades against exactly
    the cells ``generate_assignment`` recorded in the main gradebook. Costs a
    fraction of a second, where a ``generate_assignment`` costs several.
    """
    from nbgrader.api import Base
    from sqlalchemy import create_engine, text

    dest.unlink(missing_ok=True)
    tables = [t for t in Base.metadata.sorted_tables if t.name in LESSON_TABLES]
    source, target = create_engine(main_url), create_engine(f"sqlite:///{dest}")
    try:
        Base.metadata.create_all(bind=target)
        with source.connect() as src, target.begin() as dst:
            version = src.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
            dst.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
            dst.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": version})
            for table in tables:
                rows = [dict(row._mapping) for row in src.execute(table.select())]
                if rows:
                    dst.execute(table.insert(), rows)
    finally:
        source.dispose()
        target.dispose()


def record(instructor: Path, workspace: Path) -> tuple[list[tuple[str, str]], list[Failure]]:
    """Copy the grades and autograded notebooks of ``workspace`` into ``instructor``: ``(recorded, failures)``.

    ``recorded`` are the ``(student id, lesson)`` now in the main gradebook
    and in ``instructor/autograded``; a notebook whose grades could not be
    copied is a :class:`Failure` of the ``record`` step (the grader's, never
    the student's), and its autograded copy is not moved.
    """
    from nbgrader.api import Gradebook, SubmittedAssignment
    from sqlalchemy.exc import SAWarning

    recorded: list[tuple[str, str]] = []
    failures: list[Failure] = []
    # nbgrader's own session warns as it makes a submission's rows (its commands run with warnings off)
    with warnings.catch_warnings(), Gradebook(f"sqlite:///{workspace / 'gradebook.db'}") as src, \
            Gradebook(gradebook_url(instructor)) as dst:
        warnings.simplefilter("ignore", SAWarning)
        for submission in src.db.query(SubmittedAssignment).all():
            student, lesson = submission.student.id, submission.assignment.name
            notebooks = workspace / "autograded" / student / lesson
            if not notebooks.is_dir():
                continue  # nbgrader removed a notebook it failed on: the chunk reports it
            try:
                _copy_submission(dst, submission)
            except Exception as exc:  # noqa: BLE001 - the grader's failure for this notebook, never a crash
                dst.db.rollback()
                failures.append(Failure(student, lesson, "record", f"its grades could not be recorded in the "
                                                                   f"gradebook: {type(exc).__name__}: {exc}"[:300]))
                continue
            move_folder(notebooks, instructor / "autograded" / student / lesson)
            recorded.append((student, lesson))
    return recorded, failures


def _copy_submission(dst, submission) -> None:
    """Write one workspace ``submission`` (an nbgrader ``SubmittedAssignment``) into the gradebook ``dst``."""
    student, lesson = submission.student.id, submission.assignment.name
    dst.update_or_create_student(student)
    when = {"timestamp": submission.timestamp} if submission.timestamp is not None else {}
    target = dst.update_or_create_submission(lesson, student, **when)
    penalties = {}
    for notebook in submission.notebooks:
        into = dst.find_submission_notebook(notebook.name, lesson, student)
        grades = {g.name: g for g in into.grades}
        for grade in notebook.grades:
            mine = grades[grade.name]
            mine.auto_score = grade.auto_score
            mine.needs_manual_grade = mine.manual_score is not None or mine.auto_score is None
        comments = {c.name: c for c in into.comments}
        for comment in notebook.comments:
            comments[comment.name].auto_comment = comment.auto_comment
        penalties[notebook.name] = (into, notebook.late_submission_penalty)
    dst.db.commit()
    for into, penalty in penalties.values():  # scores are read back from the grades just written
        late = target.total_seconds_late > 0 and penalty is not None
        into.late_submission_penalty = min(penalty, into.score) if late else None
    dst.db.commit()
