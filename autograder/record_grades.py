"""Step 5, record: write the scores of every workspace's executed notebooks into the main gradebook.

One ``nbgrader autograde "*"`` in record-only mode (``BACKPROP_RECORD_ONLY=1``,
see ``nbgrader_config.py``: no clearing, no execution) reads the notebooks the
parallel workspaces executed, so the main gradebook has exactly one writer.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from .chunk_grading import ChunkResult, run_step
from .nbgrader_runner import Nbgrader
from .records import Failure


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
