"""Step 5, record: write the scores of every workspace's executed notebooks into the main gradebook.

One ``nbgrader autograde "*"`` in record-only mode (``BACKPROP_RECORD_ONLY=1``,
see ``nbgrader_config.py``: no clearing, no execution) reads the notebooks the
parallel workspaces executed, so the main gradebook has exactly one writer.

On a gradebook that is not SQLite (PostgreSQL), each workspace's own SQLite
gradebook is made by :func:`copy_lessons`: the main gradebook's lesson rows
(assignments, notebooks, cells) copied through nbgrader's own tables, instead
of a ``generate_assignment`` per workspace.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from .chunk_grading import ChunkResult, run_step
from .nbgrader_runner import Nbgrader
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


def record(instructor: Path, workspaces: list[Nbgrader], cell_timeout: int | None) -> ChunkResult:
    """Write the scores of every workspace's executed notebooks into the main gradebook (retried like a chunk)."""
    merged = instructor / "workers" / "executed"
    if merged.exists():
        shutil.rmtree(merged)
    merged.mkdir(parents=True)
    for ws in workspaces:
        if not (ws.instructor / "autograded").exists():
            continue
        for student_dir in (ws.instructor / "autograded").iterdir():
            (merged / student_dir.name).symlink_to(student_dir.resolve())
    result = ChunkResult()
    runner = Nbgrader(instructor, cell_timeout, {"BACKPROP_RECORD_ONLY": "1", "BACKPROP_SUBMITTED_DIR": str(merged)})
    for r in run_step(runner, "autograde", sorted(p.name for p in merged.iterdir()), result):
        result.failures.append(Failure(r.student, r.lesson, "record", f"its grades could not be recorded: {r.reason}"))
    return result
